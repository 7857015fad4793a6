"""The registry's part of a patient's FHIR export: Patient, the ALS Condition, ALSFRS-R
(QuestionnaireResponse and derived Observations), FVC, weight and BMI.

Codes are those of interop.md: ALS as SNOMED CT 86044005 and ICD-10-CM G12.21, FVC, weight and
BMI by LOINC; ALSFRS-R, its stages and the registry's own categories in alstrack's code systems.
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
from alstrack.interop.fhir.view import AlsfrsVisit, BodyFacts, PatientFacts, SpirometryFacts

__all__ = ["ALSFRS", "alsfrs_resources", "body_resources", "condition", "patient", "spirometry"]

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
ALSFRS = local("CodeSystem/alsfrs-r")
ALSFRS_ANSWER = local("CodeSystem/alsfrs-r-answer")
QUESTIONNAIRE = local("Questionnaire/alsfrs-r")
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# Categories of the revised El Escorial criteria that assert ALS, and those that leave it open.
_CONFIRMED = {"definite", "probable", "probable_laboratory_supported", "als"}
_PROVISIONAL = {"possible", "suspected"}
MEASURES = ("total", "bulbar", "fine_motor", "gross_motor", "respiratory", "delta_fs")


def patient(facts: PatientFacts) -> dict[str, Any]:
    """Pseudonymous (the study id) unless ``facts.identity`` holds the direct identifiers."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": resource_id(ref("Patient", facts.id)),
        "identifier": [{"system": local("NamingSystem/study-id"), "value": facts.study_id}],
    }
    if facts.synthetic:
        resource["meta"] = {
            "tag": [coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HTEST")]
        }
    if facts.sex is not None:
        # Recorded sex, the one alstrack keeps (female or male): FHIR's administrative gender.
        resource["gender"] = facts.sex
    if (identity := facts.identity) is not None:
        resource["name"] = [{"family": identity.family_name, "given": [identity.given_name]}]
        resource["birthDate"] = when(identity.date_of_birth)
        if identity.record_number:
            resource["identifier"].append(
                {
                    "type": concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR"),
                    "system": local("NamingSystem/record-number"),
                    "value": identity.record_number,
                }
            )
    return resource


def condition(facts: PatientFacts, staged_by: AlsfrsVisit | None) -> dict[str, Any]:
    """ALS with its onset, onset region, diagnostic category and the stages of ``staged_by``
    (the latest ALSFRS-R that gives a stage)."""
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": resource_id(ref("Condition", facts.id)),
        "clinicalStatus": concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
        ),
        "category": [
            concept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item")
        ],
        "code": {
            "coding": [coding(SNOMED, "86044005"), coding(ICD10CM, "G12.21")],
            "text": "Amyotrophic lateral sclerosis",
        },
        "subject": {"reference": ref("Patient", facts.id)},
    }
    status = _verification(facts.diagnostic_category)
    if status is not None:
        resource["verificationStatus"] = concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", status
        )
    if facts.onset_date is not None:
        resource["onsetDateTime"] = when(facts.onset_date)
    extensions: list[dict[str, Any]] = []
    if facts.diagnosis_date is not None:
        extensions.append(
            {
                "url": "http://hl7.org/fhir/StructureDefinition/condition-assertedDate",
                "valueDateTime": when(facts.diagnosis_date),
            }
        )
    if facts.onset_region is not None:
        extensions.append(
            {
                "url": extension_url("onset-region"),
                "valueCodeableConcept": concept(
                    local("CodeSystem/onset-region"), facts.onset_region
                ),
            }
        )
    if facts.diagnostic_category is not None:
        extensions.append(
            {
                "url": extension_url("diagnostic-category"),
                "valueCodeableConcept": concept(
                    local("CodeSystem/diagnostic-category"), facts.diagnostic_category
                ),
            }
        )
    if extensions:
        resource["extension"] = extensions
    if staged_by is not None and (stages := _stages(staged_by)):
        resource["stage"] = stages
    return resource


def _verification(category: str | None) -> str | None:
    if category in _CONFIRMED:
        return "confirmed"
    if category in _PROVISIONAL:
        return "provisional"
    return "refuted" if category == "not_als" else None


def kings_code(visit: AlsfrsVisit) -> str | None:
    """King's stage as coded: 4A or 4B where one holds; plain 4 where both hold (both flags are
    then in the text), as alstrack reports it (alsfrs-r-and-staging.md)."""
    if visit.kings_stage is None:
        return None
    if visit.kings_stage != 4 or visit.kings_4a == visit.kings_4b:
        return str(visit.kings_stage)
    return "4B" if visit.kings_4b else "4A"


def _stages(visit: AlsfrsVisit) -> list[dict[str, Any]]:
    # The stage rests on the visit's total Observation, which exists only for a determinate total.
    rests_on: dict[str, Any] = {}
    if visit.measures.get("total") is not None:
        rests_on["assessment"] = [{"reference": ref("Observation/alsfrs-r-total", visit.id)}]
    staging = local("CodeSystem/staging-system")
    stages = []
    if (kings := kings_code(visit)) is not None:
        text = None
        if kings == "4" and visit.kings_4a and visit.kings_4b:
            text = "Stage 4 (4A and 4B: gastrostomy and non-invasive ventilation needed)"
        stages.append(
            {
                "summary": concept(local("CodeSystem/kings-stage"), kings, text),
                "type": concept(staging, "kings"),
                **rests_on,
            }
        )
    if visit.mitos_stage is not None:
        stages.append(
            {
                "summary": concept(local("CodeSystem/mitos-stage"), str(visit.mitos_stage)),
                "type": concept(staging, "mitos"),
                **rests_on,
            }
        )
    return stages


def alsfrs_resources(
    visit: AlsfrsVisit, patient_id: int, labels: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """The QuestionnaireResponse of one ALSFRS-R and an Observation per derived measure, each
    derived from it. ``labels`` gives each item's answer wording by item and value."""
    response_ref = ref("QuestionnaireResponse", visit.id)
    subject = {"reference": ref("Patient", patient_id)}
    items = []
    for key, answer in sorted(visit.responses.items(), key=lambda kv: _item_order(kv[0])):
        if answer is None:
            continue
        items.append(
            {
                "linkId": key,
                "text": coding(ALSFRS, key)["display"],
                "answer": [_answer(answer, labels.get(key, {}))],
            }
        )
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id(response_ref),
        "questionnaire": f"{QUESTIONNAIRE}|{visit.instrument_version}",
        "status": "completed",
        "subject": subject,
        "authored": when(visit.assessed_on),
        "item": items,
    }
    resources = [response]
    for measure in MEASURES:
        value = visit.measures.get(measure)
        if value is None:
            continue
        unit = "{score}/mo" if measure == "delta_fs" else "{score}"
        resources.append(
            {
                "resourceType": "Observation",
                "id": resource_id(ref(f"Observation/alsfrs-r-{measure}", visit.id)),
                "status": "final",
                "category": [concept(_CATEGORY, "survey")],
                "code": concept(ALSFRS, measure),
                "subject": subject,
                "effectiveDateTime": when(visit.assessed_on),
                "valueQuantity": quantity(round(value, 4), unit),
                "derivedFrom": [{"reference": response_ref}],
            }
        )
    return resources


def _item_order(key: str) -> tuple[int, str]:
    digits = "".join(c for c in key if c.isdigit())
    return (int(digits) if digits else 99, key)


def _answer(value: Any, labels: dict[str, str]) -> dict[str, Any]:
    text = str(value)
    if text in labels:
        return {"valueCoding": {"system": ALSFRS_ANSWER, "code": text, "display": labels[text]}}
    # A half point (PRO-ACT) is no choice of the form: kept as the number it is.
    return {"valueDecimal": float(value)}


def spirometry(facts: SpirometryFacts, patient_id: int) -> dict[str, Any] | None:
    """FVC in litres with the predicted value and % predicted; None without an FVC."""
    if facts.fvc_l is None:
        return None
    components: list[dict[str, Any]] = [
        {
            "code": concept(LOINC, "19869-7"),
            "valueQuantity": quantity(round(facts.predicted_l, 3), "L"),
        }
    ]
    if facts.fvc_percent_predicted is not None:
        components.append(
            {
                "code": concept(LOINC, "19872-1"),
                "valueQuantity": quantity(round(facts.fvc_percent_predicted, 1), "%"),
            }
        )
    return {
        "resourceType": "Observation",
        "id": resource_id(ref("Observation/fvc", facts.id)),
        "status": "final",
        "code": {
            "coding": [coding(LOINC, "19870-5"), coding(SNOMED, "50834005")],
            "text": "Forced vital capacity",
        },
        "subject": {"reference": ref("Patient", patient_id)},
        "effectiveDateTime": when(facts.assessed_on),
        "valueQuantity": quantity(facts.fvc_l, "L"),
        "method": {"text": f"spirometry, {facts.position}"},
        "component": components,
    }


def body_resources(facts: BodyFacts, patient_id: int) -> list[dict[str, Any]]:
    """Weight and BMI as vital signs (a height alone is not exported)."""
    out = []
    for kind, value, code, unit in (
        ("weight", facts.weight_kg, "29463-7", "kg"),
        ("bmi", facts.bmi, "39156-5", "kg/m2"),
    ):
        if value is None:
            continue
        out.append(
            {
                "resourceType": "Observation",
                "id": resource_id(ref(f"Observation/{kind}", facts.id)),
                "status": "final",
                "category": [concept(_CATEGORY, "vital-signs")],
                "code": concept(LOINC, code),
                "subject": {"reference": ref("Patient", patient_id)},
                "effectiveDateTime": when(facts.assessed_on),
                "valueQuantity": quantity(round(value, 2), unit),
            }
        )
    return out
