"""Every adjustment of a plan is a new version with a reason; the old versions stay as written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import Conflict, InvalidInput, PermissionDenied, StepRefused
from alstrack.services.plans import get_plan
from alstrack.store.models import AuditEntry

Step = Callable[..., Any]


def test_a_revision_is_a_new_version_with_its_reason(draft: Step, revise: Step) -> None:
    plan = draft()
    revised = revise(plan, reason="Four doses agreed with the patient", administrations=4)
    assert (revised.status, revised.current_version, revised.version) == ("draft", 2, 2)
    first, second = revised.versions
    assert (first.number, first.administrations, first.reason) == (1, 3, None)
    assert (second.number, second.administrations) == (2, 4)
    assert second.reason == "Four doses agreed with the patient"
    assert second.total_cells == 4 * 64_000_000


def test_a_revision_needs_a_reason(
    draft: Step, revise: Step, stored: Callable[[], dict[str, int]]
) -> None:
    plan = draft()
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        revise(plan, reason="   ")
    assert caught.value.fields[0].field == "reason"
    assert stored() == before


def test_a_revision_of_a_stale_version_is_a_conflict(
    draft: Step, revise: Step, stored: Callable[[], dict[str, int]]
) -> None:
    plan = draft()
    revise(plan, administrations=2)
    before = stored()
    with pytest.raises(Conflict, match="changed since record version 1 was read"):
        revise(plan, administrations=4)
    assert stored() == before


def test_revising_an_approved_plan_sends_it_back_to_draft(
    clinic: Any, draft: Step, revise: Step, approve: Step
) -> None:
    approved = approve(draft())
    assert approved.status == "approved"
    revised = revise(approved, route="intravenous")
    assert (revised.status, revised.current_version) == ("draft", 2)
    first, second = revised.versions
    assert first.approval is not None  # the approval of version 1 stays on version 1
    assert second.approval is None
    assert get_plan(clinic.db, clinic["alice"], revised.id) == revised


def test_a_closed_plan_cannot_be_revised_or_approved(
    draft: Step, revise: Step, approve: Step, close: Step
) -> None:
    plan = close(draft())
    with pytest.raises(StepRefused, match="closed; it cannot be revised"):
        revise(plan)
    with pytest.raises(StepRefused, match="closed; it cannot be approved"):
        approve(plan)


def test_a_revision_rests_on_the_patients_latest_plannable_screening(
    clinic: Any, maria: Any, draft: Step, revise: Step
) -> None:
    plan = draft()
    newer = maria.screen(clinic)
    with pytest.raises(StepRefused, match=f"newer screening {newer.id}"):
        revise(plan)


def test_a_revision_is_audited_with_what_changed_and_why(
    clinic: Any, draft: Step, revise: Step, approve: Step
) -> None:
    plan = approve(draft())
    revise(
        plan, by="chen", reason="Intravenous after a failed lumbar puncture", route="intravenous"
    )
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "revise")).one()
    assert (entry.username, entry.entity, entry.entity_id) == (
        "chen",
        "treatment_plan",
        str(plan.id),
    )
    assert entry.reason == "Intravenous after a failed lumbar puncture"
    assert entry.old == {
        "status": "approved",
        "number": 1,
        "route": "intrathecal",
        "endotoxin_k_eu_per_kg": 0.2,
        "endotoxin_limit_eu": 12.8,
    }
    assert entry.new == {
        "status": "draft",
        "number": 2,
        "route": "intravenous",
        "endotoxin_k_eu_per_kg": 5,
        "endotoxin_limit_eu": 320,
    }


@pytest.mark.parametrize("who", ["nina", "ben", "adam"])
def test_only_coordinators_and_physicians_revise(draft: Step, revise: Step, who: str) -> None:
    plan = draft()
    with pytest.raises(PermissionDenied):
        revise(plan, by=who)
