"""The pretreatment evaluation records what the rules read, dated; it refuses what it should not."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from screening_cast import EVALUATED_ON, evaluation

from alstrack.errors import InvalidInput, PermissionDenied
from alstrack.services import records
from alstrack.services.evaluations import PRETREATMENT_EVALUATION, EvaluationIn
from alstrack.services.records import Correction


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {f.field: f.message for f in exc.value.fields}


def test_each_value_is_stored_with_the_evaluation_date_unless_it_gives_its_own(
    clinic: Any, maria: Any
) -> None:
    stored = records.get(clinic.db, clinic["alice"], PRETREATMENT_EVALUATION, maria.evaluation_id)
    assert stored.observations["lab.platelets_10e9_per_l"] == {"value": 220.0, "date": "2026-10-29"}
    made = records.add(
        clinic.db,
        clinic["nina"],
        PRETREATMENT_EVALUATION,
        maria.patient_id,
        evaluation(**{"lab.inr": {"value": 1.2, "date": "2026-10-20"}}),
    )
    assert made.observations["lab.inr"] == {"value": 1.2, "date": "2026-10-20"}
    assert made.assessed_by == "Dr Wei Chen"


def test_a_fact_the_registry_holds_is_refused_with_the_place_to_record_it(
    clinic: Any, maria: Any, stored: Any
) -> None:
    before = stored()
    with pytest.raises(InvalidInput) as exc:
        records.add(
            clinic.db,
            clinic["alice"],
            PRETREATMENT_EVALUATION,
            maria.patient_id,
            evaluation(**{"fn.alsfrs_r_total": 40, "gi.gastrostomy": False}),
        )
    assert _fields(exc) == {
        "observations.fn.alsfrs_r_total": "comes from the registry (ALSFRS-R assessments); "
        "record it there",
        "observations.gi.gastrostomy": "comes from the registry (milestones); record it there",
    }
    assert stored() == before


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("lab.inr", "high", "must be a number, not 'high'"),
        ("lab.platelet_count", 200, "not a data element of this rule set"),
        ("vitals.spo2_percent", 101, "must be from 50 to 100, not 101"),
        ("meds.anticoagulant_class", "warfarin", "must be one of none, vka"),
        ("lot.viability_pct", 95, "belongs to a donor, lot or administration"),
        ("lab.inr", {"value": 1.0, "date": "2026-10-30"}, "after the evaluation (2026-10-29)"),
        ("lab.inr", {"value": 1.0, "when": "2026-10-20"}, 'give a plain value or {"value"'),
    ],
)
def test_a_bad_value_is_refused_naming_the_data_element(
    clinic: Any, maria: Any, stored: Any, name: str, value: Any, message: str
) -> None:
    before = stored()
    with pytest.raises(InvalidInput) as exc:
        records.add(
            clinic.db,
            clinic["alice"],
            PRETREATMENT_EVALUATION,
            maria.patient_id,
            evaluation(**{name: value}),
        )
    assert message in _fields(exc)[f"observations.{name}"]
    assert stored() == before


def test_an_evaluation_with_nothing_in_it_is_refused(clinic: Any, maria: Any) -> None:
    empty = EvaluationIn(assessed_on=EVALUATED_ON, assessed_by="Dr Wei Chen", observations={})
    with pytest.raises(InvalidInput) as exc:
        records.add(clinic.db, clinic["alice"], PRETREATMENT_EVALUATION, maria.patient_id, empty)
    assert _fields(exc) == {"observations": "give at least one data element"}


def test_an_evaluation_is_corrected_by_superseding_with_a_reason(clinic: Any, maria: Any) -> None:
    corrected = records.correct(
        clinic.db,
        clinic["chen"],
        PRETREATMENT_EVALUATION,
        maria.evaluation_id,
        Correction[EvaluationIn](
            record=evaluation(**{"lab.inr": 1.3}), version=1, reason="INR transcribed wrongly"
        ),
    )
    assert corrected.supersedes_id == maria.evaluation_id
    assert corrected.observations["lab.inr"]["value"] == 1.3
    old = records.get(clinic.db, clinic["chen"], PRETREATMENT_EVALUATION, maria.evaluation_id)
    assert old.status == "superseded"


def test_only_roles_that_record_assessments_may_record_an_evaluation(
    clinic: Any, maria: Any
) -> None:
    with pytest.raises(PermissionDenied):
        records.add(
            clinic.db, clinic["olga"], PRETREATMENT_EVALUATION, maria.patient_id, evaluation()
        )
    assert records.get(clinic.db, clinic["olga"], PRETREATMENT_EVALUATION, maria.evaluation_id)


def test_an_evaluation_may_not_be_dated_in_the_future(clinic: Any, maria: Any) -> None:
    later = EvaluationIn(
        assessed_on=date(2099, 1, 1), assessed_by="Dr Wei Chen", observations={"lab.inr": 1.0}
    )
    with pytest.raises(InvalidInput) as exc:
        records.add(clinic.db, clinic["alice"], PRETREATMENT_EVALUATION, maria.patient_id, later)
    assert "assessed_on" in _fields(exc)
