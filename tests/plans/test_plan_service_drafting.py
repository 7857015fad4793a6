"""A plan is drafted only on the patient's latest screening, eligible or resolved on review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import InvalidInput, NotFound, PermissionDenied, StepRefused
from alstrack.services import records
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.plans import PlanIn, create_plan, get_plan, list_plans
from alstrack.services.screenings import ReviewIn, ScreeningIn, review_criterion, screen_patient
from alstrack.store.models import AuditEntry
from signing_cast import SECRET

Draft = Callable[..., Any]


def plan_for(clinic: Any, maria: Any, data: PlanIn, by: str = "alice") -> Any:
    return create_plan(clinic.db, clinic[by], maria.patient_id, data)


def test_a_plan_is_drafted_on_a_screening_whose_reviews_were_all_accepted(
    clinic: Any, maria: Any, eligible: int, draft: Draft
) -> None:
    plan = draft()
    assert (plan.status, plan.current_version, plan.version) == ("draft", 1, 1)
    [first] = plan.versions
    assert (first.number, first.screening_id, first.route) == (1, eligible, "intrathecal")
    assert first.cell_source.model_dump() == {
        "id": "autologous_bm_msc",
        "label": "Autologous bone-marrow MSC",
        "origin": "autologous",
        "tissue": "bone_marrow",
    }
    assert [(a.therapy, a.label) for a in first.adjunct_therapies] == [
        ("physiotherapy", "Physiotherapy")
    ]
    assert (first.administrations, first.interval_days) == (3, 28)
    assert (first.reason, first.approval, first.missing) == (None, None, {})
    assert plan.collection_orders == []  # ordered only once the plan is approved
    assert get_plan(clinic.db, clinic["ben"], plan.id) == plan
    assert list_plans(clinic.db, clinic["olga"], maria.patient_id) == [plan]


def test_drafting_is_audited_with_the_version_as_written(
    clinic: Any, maria: Any, draft: Draft
) -> None:
    plan = draft()
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "create")).all()[-1]
    assert (entry.username, entry.entity, entry.entity_id) == (
        "alice",
        "treatment_plan",
        str(plan.id),
    )
    assert entry.patient_id == maria.patient_id
    assert entry.new is not None
    assert entry.new["status"] == "draft"
    assert entry.new["number"] == 1
    assert entry.new["weight_kg"] == 64
    assert entry.new["weight_measured_on"] == "2026-10-29"
    assert entry.new["dose_cells"] == 64_000_000
    assert entry.new["endotoxin_limit_eu"] == 12.8
    assert entry.new["adjunct_therapies"] == [{"therapy": "physiotherapy", "detail": None}]


def _needs_review(clinic: Any, maria: Any) -> int:
    return int(maria.screen(clinic).id)


def _not_eligible(clinic: Any, maria: Any) -> int:
    maria.evaluate(clinic, **{"inf.active_systemic_infection": True})
    return int(maria.screen(clinic).id)


def _incomplete(clinic: Any, maria: Any) -> int:
    maria.evaluate(clinic, **{"lab.creatinine_x_uln": {"value": 0.9, "date": "2026-09-01"}})
    return int(maria.screen(clinic).id)  # the creatinine is too old to be read: MISSING


def _excluded_on_review(clinic: Any, maria: Any) -> int:
    screening = maria.screen(clinic)
    data = ReviewIn(
        criterion_id="INC-PROG-001", decision="exclude", reason="Slow progressor", password=SECRET
    )
    review_criterion(clinic.db, clinic["chen"], screening.id, data)
    return int(screening.id)


@pytest.mark.parametrize(
    ("screened", "status"),
    [
        (_needs_review, "needs review"),
        (_not_eligible, "not eligible"),
        (_incomplete, "incomplete"),
        (_excluded_on_review, "excluded on review"),
    ],
)
def test_a_screening_that_is_not_plannable_is_refused_naming_its_status(
    clinic: Any,
    maria: Any,
    plan_in: Callable[..., PlanIn],
    stored: Callable[[], dict[str, int]],
    screened: Callable[[Any, Any], int],
    status: str,
) -> None:
    screening_id = screened(clinic, maria)
    before = stored()
    with pytest.raises(StepRefused, match=f"Screening {screening_id} is {status}"):
        plan_for(clinic, maria, plan_in(screening_id))
    assert stored() == before


def test_a_newer_screening_supersedes_an_older_one(
    clinic: Any,
    maria: Any,
    eligible: int,
    plan_in: Callable[..., PlanIn],
    stored: Callable[[], dict[str, int]],
) -> None:
    newer = maria.screen(clinic)
    before = stored()
    with pytest.raises(
        StepRefused, match=f"superseded by the patient's newer screening {newer.id}"
    ):
        plan_for(clinic, maria, plan_in(eligible))
    assert stored() == before


def test_another_patients_screening_is_refused_naming_the_field(
    clinic: Any,
    maria: Any,
    pat: Any,
    plan_in: Callable[..., PlanIn],
    stored: Callable[[], dict[str, int]],
    consented: Callable[..., Any],
) -> None:
    consented(pat.id)
    pats = screen_patient(clinic.db, clinic["alice"], pat.id, ScreeningIn())
    before = stored()
    for screening_id in (pats.id, 10**9):
        with pytest.raises(InvalidInput) as caught:
            plan_for(clinic, maria, plan_in(screening_id))
        assert caught.value.fields[0].field == "screening_id"
        assert f"no screening {screening_id} of this patient" in caught.value.fields[0].message
    assert stored() == before


def test_a_patient_with_a_recorded_death_is_refused(
    clinic: Any, maria: Any, eligible: int, plan_in: Callable[..., PlanIn]
) -> None:
    death = MilestoneIn(kind="death", occurred_on=date(2026, 11, 1))
    records.add(clinic.db, clinic["alice"], MILESTONE, maria.patient_id, death)
    with pytest.raises(StepRefused, match="recorded death"):
        plan_for(clinic, maria, plan_in(eligible))


def test_each_field_at_fault_is_named_with_what_is_allowed(
    clinic: Any,
    maria: Any,
    eligible: int,
    plan_in: Callable[..., PlanIn],
    stored: Callable[[], dict[str, int]],
) -> None:
    before = stored()
    bad = plan_in(
        eligible,
        cell_source="autologous_liver_msc",
        route="intranasal",
        cells_per_kg=None,
        interval_days=None,
        adjunct_therapies=[{"therapy": "other"}, {"therapy": "yoga"}],
    )
    with pytest.raises(InvalidInput) as caught:
        plan_for(clinic, maria, bad)
    fields = {error.field: error.message for error in caught.value.fields}
    assert set(fields) == {
        "cell_source",
        "route",
        "cells_per_kg",
        "interval_days",
        "adjunct_therapies.0.detail",
        "adjunct_therapies.1.therapy",
    }
    assert "choose autologous_bm_msc, autologous_adipose_msc" in fields["cell_source"]
    assert "choose intrathecal, intravenous, intramuscular" in fields["route"]
    assert fields["cells_per_kg"] == "is required when basis is per_kg"
    assert stored() == before


@pytest.mark.parametrize("who", ["nina", "ben", "olga", "aude", "adam"])
def test_only_coordinators_and_physicians_draft_plans(
    clinic: Any, maria: Any, eligible: int, plan_in: Callable[..., PlanIn], who: str
) -> None:
    with pytest.raises(PermissionDenied, match=r"plans\.write"):
        plan_for(clinic, maria, plan_in(eligible), by=who)


def test_another_sites_coordinator_finds_no_such_patient_or_plan(
    clinic: Any, maria: Any, eligible: int, plan_in: Callable[..., PlanIn], draft: Draft
) -> None:
    plan = draft()
    with pytest.raises(NotFound):
        plan_for(clinic, maria, plan_in(eligible), by="sami")
    with pytest.raises(NotFound, match=f"No treatment plan {plan.id}"):
        get_plan(clinic.db, clinic["sami"], plan.id)
    with pytest.raises(NotFound):
        list_plans(clinic.db, clinic["sami"], maria.patient_id)
