"""The FHIR writers (alstrack.interop.fhir) are pure: plain values in, a checked Bundle out, no
database. Edge cases the clinic's cast does not reach are tried here: King's 4A and 4B together,
a half point from PRO-ACT, a withdrawn consent, and an export whose reader may not see the doses
and plans that other records point at (no reference is left pointing outside the Bundle)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fhir_reading import codings, references

from alstrack.domain.instruments import builtin_instruments
from alstrack.interop.fhir.bundle import patient_bundle
from alstrack.interop.fhir.questionnaire import answer_labels
from alstrack.interop.fhir.view import (
    AdverseEventFacts,
    AlsfrsVisit,
    ConsentFacts,
    DoseFacts,
    PatientFacts,
    PatientRecord,
    ProductFacts,
)

AT = datetime(2026, 11, 1, 10, tzinfo=UTC)
LABELS = answer_labels(builtin_instruments()["alsfrs_r"])
KINGS = "https://fhir.alstrack.org/CodeSystem/kings-stage"


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_kings_4a_and_4b_together_are_stage_4_with_both_in_the_text() -> None:
    visit = AlsfrsVisit(
        id=1, assessed_on=date(2026, 3, 1), instrument_version="1.0",
        responses={"q1": 2, "q5b": 1, "q10": 2.5, "q12": 2},
        measures={"total": None}, kings_stage=4, kings_4a=True, kings_4b=True, mitos_stage=None,
    )  # fmt: skip
    record = PatientRecord(PatientFacts(1, "NORTH-00001", "female", True), AT, alsfrs=(visit,))
    bundle = patient_bundle(record, LABELS)
    [condition] = _resources(bundle, "Condition")
    [kings] = condition["stage"]
    assert codings(kings["summary"]) == [(KINGS, "4")]
    assert "4A and 4B" in kings["summary"]["text"]
    [response] = _resources(bundle, "QuestionnaireResponse")
    answers = {i["linkId"]: i["answer"][0] for i in response["item"]}
    assert answers["q10"] == {"valueDecimal": 2.5}  # a half point is no choice of the form
    assert answers["q5b"]["valueCoding"]["code"] == "1"
    # No total (indeterminate): no Observation, and the stage names no assessment it lacks.
    assert _resources(bundle, "Observation") == []
    assert set(references(bundle)) <= {e["fullUrl"] for e in bundle["entry"]}
    [patient] = _resources(bundle, "Patient")
    assert patient["meta"]["tag"][0]["code"] == "HTEST"  # synthetic


def test_a_withdrawn_consent_is_inactive_from_the_withdrawal() -> None:
    consent = ConsentFacts(
        3, "2.0", "Consent <MSC>", date(2026, 1, 5), "representative", date(2026, 6, 1)
    )
    record = PatientRecord(PatientFacts(1, "NORTH-00001", None, False), AT, consents=(consent,))
    [made] = _resources(patient_bundle(record, LABELS), "Consent")
    assert made["status"] == "inactive"
    assert made["provision"]["period"] == {"start": "2026-01-05", "end": "2026-06-01"}
    assert "Consent &lt;MSC&gt; (2.0), signed by a legal representative" in made["text"]["div"]


def test_no_reference_points_at_a_record_the_reader_may_not_see() -> None:
    product = ProductFacts(5, "G123426000001", "allogeneic_uc_msc", "administered", None, 2)
    dose = DoseFacts(9, 5, 2, 1, "intravenous", 1e8, 20.0, AT)
    event = AdverseEventFacts(
        id=4, term="Fever", meddra_code="10016558", onset_date=date(2026, 11, 2),
        aware_on=date(2026, 11, 3), grade=1, serious_criteria=(),
        related_to_procedure="possible", related_to_product="not_related", outcome="recovered",
        recorded_at=AT, administration_id=9,
    )  # fmt: skip
    patient = PatientFacts(1, "NORTH-00001", "male", False)
    # The plan (2) is not in the export: the dose names no plan.
    with_dose = patient_bundle(
        PatientRecord(patient, AT, products=(product,), doses=(dose,), adverse_events=(event,)),
        LABELS,
    )
    [procedure] = _resources(with_dose, "Procedure")
    assert "basedOn" not in procedure
    [fever] = _resources(with_dose, "AdverseEvent")
    assert fever["suspectEntity"][0]["instance"]["reference"] == f"urn:uuid:{procedure['id']}"
    assert codings(fever["event"]) == [("http://terminology.hl7.org/CodeSystem/mdr", "10016558")]
    assert fever["outcome"]["coding"][0]["code"] == "resolved"
    assert fever["detected"] == "2026-11-03"
    # Neither is the dose: the event names no suspect and keeps its relatedness.
    without = patient_bundle(PatientRecord(patient, AT, adverse_events=(event,)), LABELS)
    [fever] = _resources(without, "AdverseEvent")
    assert "suspectEntity" not in fever
    assert [e["valueCoding"]["code"] for e in fever["extension"][0]["extension"]] == [
        "possible",
        "not_related",
    ]
    for bundle in (with_dose, without):
        assert set(references(bundle)) <= {e["fullUrl"] for e in bundle["entry"]}
