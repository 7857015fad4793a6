"""A patient's record as one FHIR R4 Bundle (type collection), every resource checked by its
R4B model and every coding by alstrack's code table."""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle

from alstrack.interop.fhir import clinical, pathway
from alstrack.interop.fhir.codes import require_known_codes
from alstrack.interop.fhir.resources import parse
from alstrack.interop.fhir.view import PatientRecord

__all__ = ["patient_bundle", "patient_resources"]


def patient_resources(
    record: PatientRecord, labels: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """Every resource of the export as FHIR JSON, not yet checked."""
    pid = record.patient.id
    staged = [v for v in record.alsfrs if v.kings_stage is not None or v.mitos_stage is not None]
    out: list[dict[str, Any]] = [
        clinical.patient(record.patient),
        clinical.condition(record.patient, staged[-1] if staged else None),
    ]
    for visit in record.alsfrs:
        out += clinical.alsfrs_resources(visit, pid, labels)
    for test in record.spirometry:
        if (fvc := clinical.spirometry(test, pid)) is not None:
            out.append(fvc)
    for measured in record.body:
        out += clinical.body_resources(measured, pid)
    out += [pathway.consent(c, pid) for c in record.consents]
    out += [pathway.care_plan(p, pid, list(record.doses)) for p in record.plans]
    # A reference names only what the Bundle holds: a part the user may not read is left out,
    # and so is every reference to it.
    plans = {p.id for p in record.plans}
    doses = {d.id for d in record.doses}
    collected = {c.product_id: c for c in record.collections}
    plan_of = {p.id: p.plan_id for p in record.products if p.plan_id in plans}
    out += [pathway.product(p, pid, collected.get(p.id)) for p in record.products]
    out += [pathway.collection(c, pid, plan_of.get(c.product_id)) for c in record.collections]
    out += [pathway.dose(d, pid, plan_shown=d.plan_id in plans) for d in record.doses]
    out += [
        pathway.adverse_event(e, pid, dose_shown=e.administration_id in doses)
        for e in record.adverse_events
    ]
    return out


def patient_bundle(record: PatientRecord, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The Bundle as FHIR JSON; InvalidInput if a coding is not in the code table (a fault of
    alstrack's, never handed out)."""
    entries = []
    for resource in patient_resources(record, labels):
        checked = parse(resource)
        entries.append({"fullUrl": ref_of(checked), "resource": checked})
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": record.exported_at.isoformat(),
            "entry": entries,
        }
    )
    out: dict[str, Any] = bundle.model_dump(mode="json", exclude_none=True)
    require_known_codes(out)
    return out


def ref_of(resource: dict[str, Any]) -> str:
    """The fullUrl of a resource whose id is the uuid of its ``ref``."""
    return f"urn:uuid:{resource['id']}"
