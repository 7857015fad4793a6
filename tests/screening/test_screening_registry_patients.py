"""Screening a registry patient: what it reads, what it stores, and that it is never rewritten."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from screening_cast import AS_OF
from sqlalchemy import select

from alstrack.config import get_settings
from alstrack.errors import InvalidInput, NotFound, PermissionDenied, StepRefused
from alstrack.services import records
from alstrack.services.evaluations import PRETREATMENT_EVALUATION, EvaluationIn
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.screenings import (
    ScreeningIn,
    get_screening,
    list_screenings,
    screen_patient,
)
from alstrack.store.models import AuditEntry, Screening


def results(screening: Any) -> dict[str, str]:
    return {c.id: c.result for c in screening.criteria}


def test_maria_needs_review_only_where_the_draft_has_no_threshold(clinic: Any, maria: Any) -> None:
    screening = maria.screen(clinic)
    assert screening.verdict == "needs_review"
    assert screening.status == "needs_review"
    assert {i for i, r in results(screening).items() if r != "PASS"} == {"INC-PROG-001"}
    assert screening.open_reviews == ["INC-PROG-001"]
    assert (screening.ruleset_id, screening.profile) == ("msc-als-program", "nurown_p3_like")
    assert "draft" in screening.ruleset_version
    assert screening.as_of == AS_OF
    assert screening.as_of_date == date(2026, 11, 1)


def test_each_input_keeps_its_value_date_and_source(clinic: Any, maria: Any) -> None:
    inputs = maria.screen(clinic).inputs
    assert inputs["patient.age_years"]["value"] == 50
    assert inputs["fn.alsfrs_r_total"]["value"] == 40
    assert inputs["fn.alsfrs_r_total"]["date"] == "2026-10-29"
    assert inputs["fn.alsfrs_r_total"]["source"].startswith("instrument_assessment ")
    assert inputs["fn.alsfrs_r_slope_per_month"]["value"] == pytest.approx(1.096, abs=0.001)
    assert inputs["dx.el_escorial_category"]["value"] == "probable"
    assert inputs["meds.riluzole_stable_since"]["value"] == "2026-06-01"
    assert inputs["meds.edaravone_last_date"]["value"] == "never"
    assert inputs["gi.gastrostomy"] == {
        "value": False,
        "date": "2026-10-29",
        "source": "no gastrostomy recorded; registry confirmed complete in "
        f"pretreatment_evaluation {maria.evaluation_id}",
    }
    assert inputs["lab.inr"] == {
        "value": 1.0,
        "date": "2026-10-29",
        "source": f"pretreatment_evaluation {maria.evaluation_id}",
    }


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"inf.active_systemic_infection": True}, "EXC-INF-001"),
        ({"hx.autoimmune_disease": True}, "EXC-IMM-001"),
        ({"hx.active_malignancy": True}, "EXC-MAL-001"),
        (
            {
                "hx.prior_cell_or_stem_cell_therapy": True,
                "hx.prior_cell_therapy_adverse_reaction": True,
            },
            "EXC-CELL-002",
        ),
    ],
)
def test_each_seed_contraindication_makes_a_registry_patient_not_eligible(
    clinic: Any, maria: Any, change: dict[str, Any], rule: str
) -> None:
    maria.evaluate(clinic, **change)
    screening = maria.screen(clinic)
    assert results(screening)[rule] == "FAIL"
    assert screening.verdict == screening.status == "not_eligible"


def test_a_prior_cell_therapy_without_a_reaction_passes_the_seeds_rule_but_not_the_stricter_one(
    clinic: Any, maria: Any
) -> None:
    change = {
        "hx.prior_cell_or_stem_cell_therapy": True,
        "hx.prior_cell_therapy_adverse_reaction": False,
    }
    maria.evaluate(clinic, **change)
    found = results(maria.screen(clinic))
    assert (found["EXC-CELL-001"], found["EXC-CELL-002"]) == ("FAIL", "PASS")


def test_a_missing_value_makes_the_screening_incomplete(clinic: Any, maria: Any) -> None:
    maria.void_first_evaluation(clinic)
    maria.evaluate(clinic, **{"hx.autoimmune_disease": None})
    screening = maria.screen(clinic)
    assert results(screening)["EXC-IMM-001"] == "MISSING"
    assert screening.status == "incomplete"


def test_a_lab_value_older_than_the_rule_allows_counts_as_missing(clinic: Any, maria: Any) -> None:
    stale = {"lab.creatinine_x_uln": {"value": 0.9, "date": "2026-09-01"}}  # 61 days; 30 allowed
    maria.evaluate(clinic, **stale)
    screening = maria.screen(clinic)
    renal = next(c for c in screening.criteria if c.id == "EXC-RENAL-001")
    assert renal.result == "MISSING"
    assert "61 days old; at most 30 allowed" in renal.reason


def test_registry_facts_after_the_as_of_day_are_not_read(clinic: Any, maria: Any) -> None:
    gastrostomy = MilestoneIn(kind="gastrostomy", occurred_on=date(2026, 11, 10))
    records.add(clinic.db, clinic["alice"], MILESTONE, maria.patient_id, gastrostomy)
    before = maria.screen(clinic)
    after = maria.screen(clinic, as_of=datetime(2026, 11, 12, tzinfo=UTC))
    assert before.inputs["gi.gastrostomy"]["value"] is False
    assert after.inputs["gi.gastrostomy"]["value"] is True
    assert results(after)["EXC-GI-001"] == "REVIEW"  # a flag under nurown_p3_like


def test_screenings_use_the_programs_profile_and_only_a_physician_may_choose_another(
    clinic: Any, maria: Any
) -> None:
    assert maria.screen(clinic).profile == "nurown_p3_like"
    with pytest.raises(PermissionDenied, match="only a physician"):
        maria.screen(clinic, profile="alsummit_like")
    assert maria.screen(clinic, by="chen", profile="alsummit_like").profile == "alsummit_like"
    with pytest.raises(InvalidInput) as exc:
        maria.screen(clinic, by="chen", profile="lenient")
    assert exc.value.fields[0].field == "profile"


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        (datetime(2099, 1, 1, tzinfo=UTC), "must not be in the future"),
        (datetime(2026, 11, 1), "must carry a time zone"),
    ],
)
def test_an_as_of_in_the_future_or_without_a_zone_is_refused(
    clinic: Any, maria: Any, stored: Any, as_of: datetime, message: str
) -> None:
    before = stored()
    with pytest.raises(InvalidInput) as exc:
        maria.screen(clinic, as_of=as_of)
    assert message in exc.value.fields[0].message
    assert stored() == before


def test_each_element_comes_from_the_newest_evaluation_that_holds_it(
    clinic: Any, maria: Any
) -> None:
    labs_only = EvaluationIn(
        assessed_on=date(2026, 10, 31), assessed_by="Nina Okafor", observations={"lab.inr": 1.3}
    )
    newer = records.add(
        clinic.db, clinic["nina"], PRETREATMENT_EVALUATION, maria.patient_id, labs_only
    )
    inputs = maria.screen(clinic).inputs
    assert inputs["lab.inr"]["source"] == f"pretreatment_evaluation {newer.id}"
    assert inputs["lab.inr"]["value"] == 1.3
    assert (
        inputs["hx.autoimmune_disease"]["source"]
        == f"pretreatment_evaluation {maria.evaluation_id}"
    )


def test_an_evaluation_older_than_90_days_is_not_read(clinic: Any, maria: Any) -> None:
    later = datetime(2027, 1, 28, tzinfo=UTC)  # 91 days after the evaluation
    with time_machine.travel(datetime(2027, 1, 29, tzinfo=UTC)):
        screening = maria.screen(clinic, as_of=later)
    assert "hx.autoimmune_disease" not in screening.inputs
    assert screening.status == "incomplete"


def test_without_the_registry_confirmed_complete_an_absent_record_is_missing_not_no(
    clinic: Any, maria: Any
) -> None:
    maria.void_first_evaluation(clinic)
    maria.evaluate(
        clinic, **{"registry.milestones_complete": None, "registry.drug_courses_complete": None}
    )
    screening = maria.screen(clinic)
    assert screening.inputs["gi.gastrostomy"]["value"] is None
    assert "not confirmed complete" in screening.inputs["gi.gastrostomy"]["note"]
    assert screening.inputs["meds.edaravone_last_date"]["value"] is None
    found = results(screening)
    assert found["EXC-GI-001"] == found["EXC-EDAR-001"] == "MISSING"
    assert screening.status == "incomplete"


def test_a_missing_value_is_missing_even_where_the_profile_has_no_threshold(
    clinic: Any, pat: Any, consented: Any
) -> None:
    consented(pat.id)
    screening = screen_patient(clinic.db, clinic["alice"], pat.id, ScreeningIn(as_of=AS_OF))
    prog = next(c for c in screening.criteria if c.id == "INC-PROG-001")
    assert prog.result == "MISSING"  # nothing to review: a physician cannot judge no value


def test_a_screening_is_never_rewritten_a_new_one_is_a_new_record(clinic: Any, maria: Any) -> None:
    first = maria.screen(clinic)
    maria.evaluate(clinic, **{"inf.active_systemic_infection": True})
    second = maria.screen(clinic)
    assert second.id != first.id
    assert get_screening(clinic.db, clinic["alice"], first.id) == first
    assert [s.id for s in list_screenings(clinic.db, clinic["alice"], maria.patient_id)] == [
        second.id,
        first.id,
    ]


def test_screening_is_audited_with_rule_set_version_profile_and_as_of(
    clinic: Any, maria: Any
) -> None:
    screening = maria.screen(clinic)
    with clinic.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "screening", AuditEntry.action == "screen"
            )
        ).one()
        row = session.get(Screening, screening.id)
        assert row is not None
    assert entry.username == "alice"
    assert entry.entity_id == str(screening.id)
    assert entry.new is not None
    assert entry.new["verdict"] == "needs_review"
    assert entry.new["profile"] == "nurown_p3_like"
    assert entry.new["rule_set_version_id"] == row.rule_set_version_id


def test_a_patient_with_a_recorded_death_is_not_screened(clinic: Any, maria: Any) -> None:
    death = MilestoneIn(kind="death", occurred_on=date(2026, 10, 30))
    records.add(clinic.db, clinic["alice"], MILESTONE, maria.patient_id, death)
    with pytest.raises(StepRefused):
        maria.screen(clinic)


def test_roles_without_the_permission_cannot_screen_and_other_sites_cannot_see(
    clinic: Any, maria: Any
) -> None:
    with pytest.raises(PermissionDenied):
        maria.screen(clinic, by="nina")
    screening = maria.screen(clinic)
    with pytest.raises(NotFound):
        get_screening(clinic.db, clinic["sami"], screening.id)


def test_the_clinical_day_of_as_of_follows_the_programs_time_zone(
    clinic: Any, maria: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALSTRACK_TIME_ZONE", "Pacific/Auckland")  # UTC+13 in November
    get_settings.cache_clear()
    try:
        evening_in_utc = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
        screening = maria.screen(clinic, as_of=evening_in_utc.astimezone(UTC))
    finally:
        monkeypatch.delenv("ALSTRACK_TIME_ZONE")
        get_settings.cache_clear()
    assert screening.as_of == evening_in_utc
    assert screening.as_of_date == date(2026, 11, 2)


def test_an_as_of_with_an_offset_is_stored_in_utc(clinic: Any, maria: Any) -> None:
    paris = datetime.fromisoformat("2026-11-01T10:00:00+01:00")
    screening = maria.screen(clinic, as_of=paris)
    assert screening.as_of.utcoffset() == timedelta(0)
    assert screening.as_of == paris
