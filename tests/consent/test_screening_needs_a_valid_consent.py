"""No screening and no pretreatment evaluation without a valid consent; registry data needs none.

The screening reads the consent from the consent record (one fact, one place): INC-CONSENT-001
passes on a consent to a version that discloses the evidence status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from screening_cast import AS_OF, evaluation

from alstrack.errors import InvalidInput, StepRefused
from alstrack.services import records
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    BodyMeasurementIn,
)
from alstrack.services.evaluations import PRETREATMENT_EVALUATION, EvaluationIn
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn
from alstrack.services.screenings import ScreeningIn, screen_patient
from alstrack.store.models import PretreatmentEvaluation

Stored = Callable[[], dict[str, int]]


def _criterion(screening: Any, rule: str) -> Any:
    return next(c for c in screening.criteria if c.id == rule)


def test_a_patient_without_a_consent_is_not_screened_and_nothing_is_stored(
    clinic: Any, pat: Any, stored: Stored
) -> None:
    before = stored()
    with pytest.raises(StepRefused) as caught:
        screen_patient(clinic.db, clinic["alice"], pat.id, ScreeningIn(as_of=AS_OF))
    assert caught.value.message == (
        "Patient NORTH-00001 has no valid consent for screening on 2026-11-01: no consent is "
        "recorded; record the patient's consent first."
    )
    assert stored() == before


def test_a_pretreatment_evaluation_needs_a_consent_that_holds_on_its_day(
    clinic: Any, pat: Any, consented: Callable[..., Any], stored: Stored
) -> None:
    labs = EvaluationIn(
        assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", observations={"lab.inr": 1.0}
    )
    before = stored()
    with pytest.raises(StepRefused, match="no valid consent for a pretreatment evaluation"):
        records.add(clinic.db, clinic["nina"], PRETREATMENT_EVALUATION, pat.id, labs)
    assert stored() == before
    consented(pat.id, date(2024, 3, 6))
    with pytest.raises(StepRefused, match="first consent is dated 2024-03-06, after 2024-03-05"):
        records.add(clinic.db, clinic["nina"], PRETREATMENT_EVALUATION, pat.id, labs)
    later = labs.model_copy(update={"assessed_on": date(2024, 3, 6)})
    assert records.add(clinic.db, clinic["nina"], PRETREATMENT_EVALUATION, pat.id, later).id


def test_registry_data_is_recorded_without_a_consent(
    clinic: Any, pat: Any, alsfrs: Callable[..., Any]
) -> None:
    # Demographics, history and the natural-history measures are the registry's, consent or not.
    db, alice, on = clinic.db, clinic["alice"], date(2024, 3, 5)
    weight = BodyMeasurementIn(assessed_on=on, assessed_by="Nina Okafor", weight_kg=71)
    records.add(db, alice, BODY_MEASUREMENT, pat.id, weight)
    records.add(db, alice, INSTRUMENT_ASSESSMENT, pat.id, alsfrs(on))
    records.add(db, alice, MILESTONE, pat.id, MilestoneIn(kind="niv_start", occurred_on=on))
    riluzole = DrugCourseIn(drug="riluzole", start_date=date(2023, 10, 1))
    records.add(db, alice, DRUG_COURSE, pat.id, riluzole)
    assert len(records.list_for_patient(db, alice, INSTRUMENT_ASSESSMENT, pat.id)) == 1


def test_the_screening_reads_the_consent_from_its_record(clinic: Any, maria: Any) -> None:
    screening = maria.screen(clinic)
    assert screening.inputs["consent.signed"] == {
        "value": True,
        "date": "2026-10-20",
        "source": f"consent {maria.consent_id}",
    }
    disclosure = screening.inputs["consent.version_includes_evidence_status_disclosure"]
    assert disclosure["value"] is True
    assert disclosure["source"].endswith("(version 1.0)")
    assert _criterion(screening, "INC-CONSENT-001").result == "PASS"


def test_a_consent_is_not_entered_in_an_evaluation_it_has_its_own_record(
    clinic: Any, maria: Any
) -> None:
    with pytest.raises(InvalidInput) as caught:
        records.add(
            clinic.db,
            clinic["nina"],
            PRETREATMENT_EVALUATION,
            maria.patient_id,
            evaluation(**{"consent.signed": True}),
        )
    assert {f.field: f.message for f in caught.value.fields} == {
        "observations.consent.signed": "comes from the registry (consents); record it there"
    }


def test_a_consent_to_a_version_without_the_evidence_status_fails_inc_consent_001(
    clinic: Any, maria: Any, version: Callable[..., Any], consented: Callable[..., Any]
) -> None:
    bare = version("1.0-short", date(2026, 10, 1), discloses_evidence_status=False)
    consented(maria.patient_id, date(2026, 10, 25), document_id=bare.id)
    screening = maria.screen(clinic)
    assert _criterion(screening, "INC-CONSENT-001").result == "FAIL"
    assert screening.verdict == "not_eligible"


def test_a_consent_stored_in_an_evaluation_before_consents_had_records_is_not_read(
    clinic: Any, maria: Any
) -> None:
    # Evaluations made before migration 0007 could hold consent.*; the consent record wins.
    stale = {"value": False, "date": "2026-10-29"}
    with clinic.db.transaction() as session:
        row = session.get_one(PretreatmentEvaluation, maria.evaluation_id)
        row.observations = row.observations | {
            "consent.version_includes_evidence_status_disclosure": stale
        }
    screening = maria.screen(clinic)
    disclosure = screening.inputs["consent.version_includes_evidence_status_disclosure"]
    assert disclosure["value"] is True
    assert disclosure["source"].startswith("consent document ")
