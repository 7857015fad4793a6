"""The pathway's part of a patient's FHIR export: Consent, CarePlan, BiologicallyDerivedProduct,
Procedure (collections and administrations) and AdverseEvent.

R4 cannot name a product from a Procedure: the R5 element comes as the cross-version extension
``extension-Procedure.used`` (interop.md). Relatedness to the procedure and to the product are
separate causality entries of the administration suspected (safety.md).
"""

from __future__ import annotations

from typing import Any

from alstrack.interop.fhir.codes import local
from alstrack.interop.fhir.resources import (
    coding,
    concept,
    extension_url,
    quantity,
    ref,
    resource_id,
    when,
)
from alstrack.interop.fhir.view import (
    AdverseEventFacts,
    CollectionFacts,
    ConsentFacts,
    DoseFacts,
    PlanFacts,
    ProductFacts,
)

__all__ = [
    "PROCEDURE_USED",
    "adverse_event",
    "care_plan",
    "collection",
    "consent",
    "dose",
    "product",
]

PROCEDURE_USED = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Procedure.used"
DIN_SYSTEM = local("NamingSystem/isbt128-din")
CHAIN_SYSTEM = local("NamingSystem/chain-of-identity")
_PROCEDURE = local("CodeSystem/procedure")
_THO = "http://terminology.hl7.org/CodeSystem"
# A product a clinic may still give (or has in hand); otherwise unavailable.
_AVAILABLE = {
    "released", "in_inventory", "allocated", "shipped_to_clinic", "received_at_clinic",
    "stored", "thawed", "verified",
}  # fmt: skip
_PLAN_STATUS = {"draft": "draft", "approved": "active", "closed": "completed"}
_OUTCOME = {
    "recovered": "resolved",
    "recovering": "recovering",
    "not_recovered": "ongoing",
    "recovered_with_sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
    "unknown": "unknown",
}
# WHO-UMC has no "not related": that one is coded in alstrack's system only.
_WHO_UMC = {
    "definite": "Certain",
    "probable": "Probably-Likely",
    "possible": "Possible",
    "unlikely": "Unlikely",
}


def consent(facts: ConsentFacts, patient_id: int) -> dict[str, Any]:
    """Consent to the program's research treatment; inactive once withdrawn."""
    period: dict[str, str] = {"start": when(facts.consented_on)}
    if facts.withdrawn_on is not None:
        period["end"] = when(facts.withdrawn_on)
    signer = "the patient" if facts.signed_by == "patient" else "a legal representative"
    return {
        "resourceType": "Consent",
        "id": resource_id(ref("Consent", facts.id)),
        "status": "inactive" if facts.withdrawn_on is not None else "active",
        "scope": concept(f"{_THO}/consentscope", "research"),
        "category": [concept("http://loinc.org", "59284-0")],
        "patient": {"reference": ref("Patient", patient_id)},
        "dateTime": when(facts.consented_on),
        "policy": [{"uri": local(f"consent-documents/{facts.document_version}")}],
        "provision": {"type": "permit", "period": period},
        "text": {
            "status": "generated",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml">'
            f"{_escape(facts.title)} ({_escape(facts.document_version)}), signed by {signer}"
            "</div>",
        },
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def care_plan(facts: PlanFacts, patient_id: int, doses: list[DoseFacts]) -> dict[str, Any]:
    given = [d for d in doses if d.plan_id == facts.id]
    if len(given) >= facts.administrations:
        progress = "completed"
    else:
        progress = "in-progress" if given else "not-started"
    dose = f", {facts.dose_cells:.3g} cells each" if facts.dose_cells else ""
    every = f" every {facts.interval_days} days" if facts.interval_days else ""
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": resource_id(ref("CarePlan", facts.id)),
        "status": _PLAN_STATUS.get(facts.status, "unknown"),
        "intent": "plan",
        "category": [concept(_PROCEDURE, "msc-therapy-plan")],
        "title": f"MSC treatment plan {facts.id}, version {facts.version}",
        "subject": {"reference": ref("Patient", patient_id)},
        "created": when(facts.created_at),
        "activity": [
            {
                "outcomeReference": [{"reference": ref("Procedure/dose", d.id)} for d in given],
                "detail": {
                    "kind": "ServiceRequest",
                    "code": concept(_PROCEDURE, "msc-administration"),
                    "status": progress,
                    "productCodeableConcept": concept(
                        local("CodeSystem/cell-source"), facts.cell_source
                    ),
                    "description": f"{facts.administrations} administration(s), "
                    f"{facts.route}{every}{dose}",
                },
            }
        ],
    }
    if facts.approved_at is not None:
        resource["period"] = {"start": when(facts.approved_at)}
    if not given:
        del resource["activity"][0]["outcomeReference"]
    return resource


def product(
    facts: ProductFacts, patient_id: int, collected: CollectionFacts | None
) -> dict[str, Any]:
    """A cell product under its ISBT 128 DIN and the chain-of-identity code of its therapy."""
    identifiers = [{"system": DIN_SYSTEM, "value": facts.din}]
    if facts.chain_of_identity is not None:
        identifiers.append({"system": CHAIN_SYSTEM, "value": facts.chain_of_identity})
    resource: dict[str, Any] = {
        "resourceType": "BiologicallyDerivedProduct",
        "id": resource_id(ref("BiologicallyDerivedProduct", facts.id)),
        "identifier": identifiers,
        "productCategory": "cells",
        "productCode": concept(local("CodeSystem/cell-source"), facts.cell_source),
        "status": "available" if facts.state in _AVAILABLE else "unavailable",
    }
    if collected is not None:
        resource["collection"] = {
            "source": {"reference": ref("Patient", patient_id)},
            "collectedDateTime": when(collected.at),
        }
    return resource


def _used(product_id: int) -> dict[str, Any]:
    return {
        "url": PROCEDURE_USED,
        "valueReference": {"reference": ref("BiologicallyDerivedProduct", product_id)},
    }


def collection(facts: CollectionFacts, patient_id: int, plan_id: int | None) -> dict[str, Any]:
    """The collection of the patient's own tissue for an autologous product."""
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": resource_id(ref("Procedure/collection", facts.product_id)),
        "extension": [_used(facts.product_id)],
        "status": "completed",
        "code": concept(_PROCEDURE, "tissue-collection"),
        "subject": {"reference": ref("Patient", patient_id)},
        "performedDateTime": when(facts.at),
    }
    if facts.tissue is not None:
        resource["bodySite"] = [concept(local("CodeSystem/tissue"), facts.tissue)]
    if plan_id is not None:
        resource["basedOn"] = [{"reference": ref("CarePlan", plan_id)}]
    return resource


def dose(facts: DoseFacts, patient_id: int, *, plan_shown: bool) -> dict[str, Any]:
    """One verified administration: route, cells and volume as alstrack's extensions; based on
    its plan where the plan is in the export (``plan_shown``)."""
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": resource_id(ref("Procedure/dose", facts.id)),
        "extension": [
            _used(facts.product_id),
            {
                "url": extension_url("route"),
                "valueCodeableConcept": concept(local("CodeSystem/route"), facts.route),
            },
            {
                "url": extension_url("cells-administered"),
                "valueQuantity": quantity(facts.cells_administered, "{cells}"),
            },
            {"url": extension_url("volume"), "valueQuantity": quantity(facts.volume_ml, "mL")},
            {"url": extension_url("dose-number"), "valuePositiveInt": facts.dose_number},
        ],
        "status": "completed",
        "code": concept(_PROCEDURE, "msc-administration"),
        "subject": {"reference": ref("Patient", patient_id)},
        "performedDateTime": when(facts.at),
    }
    if plan_shown:
        resource["basedOn"] = [{"reference": ref("CarePlan", facts.plan_id)}]
    return resource


def _relatedness(value: str, to: str) -> dict[str, Any]:
    codings = [coding(local("CodeSystem/relatedness"), value)]
    if value in _WHO_UMC:
        codings.append(coding(f"{_THO}/adverse-event-causality-assess", _WHO_UMC[value]))
    return {"assessment": {"coding": codings, "text": value.replace("_", " ")},
            "method": {"text": f"relatedness to the {to}"}}  # fmt: skip


def adverse_event(facts: AdverseEventFacts, patient_id: int, *, dose_shown: bool) -> dict[str, Any]:
    """The event with CTCAE grade, seriousness (ICH E2A criteria in its text) and outcome; the
    administration it is linked to is the suspect, with relatedness to procedure and product,
    where that administration is in the export (``dose_shown``)."""
    event: dict[str, Any] = {"text": facts.term}
    if facts.meddra_code:
        event["coding"] = [{"system": f"{_THO}/mdr", "code": facts.meddra_code}]
    serious = bool(facts.serious_criteria)
    severity = "mild" if facts.grade == 1 else "moderate" if facts.grade == 2 else "severe"
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "id": resource_id(ref("AdverseEvent", facts.id)),
        "actuality": "actual",
        "event": event,
        "subject": {"reference": ref("Patient", patient_id)},
        "date": when(facts.onset_date),
        "detected": when(facts.aware_on),
        "recordedDate": when(facts.recorded_at),
        "seriousness": {
            "coding": [
                coding(f"{_THO}/adverse-event-seriousness", "serious" if serious else "non-serious")
            ],
            "text": "serious: " + ", ".join(c.replace("_", " ") for c in facts.serious_criteria)
            if serious
            else "non-serious",
        },
        "severity": {
            "coding": [
                coding(f"{_THO}/adverse-event-severity", severity),
                coding(local("CodeSystem/ctcae-grade"), str(facts.grade)),
            ],
            "text": f"CTCAE grade {facts.grade}",
        },
        "outcome": concept(f"{_THO}/adverse-event-outcome", _OUTCOME[facts.outcome]),
    }
    if facts.administration_id is not None and dose_shown:
        product_causality = _relatedness(facts.related_to_product, "cell product")
        product_causality["productRelatedness"] = facts.related_to_product
        resource["suspectEntity"] = [
            {
                "instance": {"reference": ref("Procedure/dose", facts.administration_id)},
                "causality": [
                    _relatedness(facts.related_to_procedure, "procedure"),
                    product_causality,
                ],
            }
        ]
    else:
        # Not linked to a dose (an event before treatment, say), or the dose not shown: the
        # relatedness recorded is kept, in alstrack's extension, with no suspect named.
        resource["extension"] = [
            {
                "url": extension_url("relatedness"),
                "extension": [
                    {"url": to, "valueCoding": coding(local("CodeSystem/relatedness"), value)}
                    for to, value in (
                        ("procedure", facts.related_to_procedure),
                        ("product", facts.related_to_product),
                    )
                ],
            }
        ]
    return resource
