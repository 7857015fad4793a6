"""A patient has one active plan at a time; closing one, with a reason, makes room for another."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import Conflict, InvalidInput, NotFound, PermissionDenied, StepRefused
from alstrack.services.plans import CloseIn, close_plan
from alstrack.store.models import AuditEntry

Step = Callable[..., Any]


@pytest.mark.parametrize("approved", [False, True])
def test_a_second_plan_is_refused_while_one_is_active_naming_it(
    draft: Step, approve: Step, stored: Callable[[], dict[str, int]], approved: bool
) -> None:
    plan = draft()
    if approved:
        plan = approve(plan)
    before = stored()
    with pytest.raises(StepRefused) as refused:
        draft(cell_source="allogeneic_uc_msc")
    assert f"has treatment plan {plan.id} ({plan.status})" in refused.value.message
    assert f"close it first (POST /plans/{plan.id}/close)" in refused.value.message
    assert stored() == before


def test_once_the_plan_is_closed_another_may_be_drafted(draft: Step, close: Step) -> None:
    first = close(draft())
    assert (first.status, first.version) == ("closed", 2)
    second = draft(cell_source="allogeneic_uc_msc")
    assert (second.id, second.status) == (first.id + 1, "draft")


def test_closing_is_audited_with_its_reason(clinic: Any, draft: Step, close: Step) -> None:
    plan = close(draft(), by="chen", reason="Patient moved to another centre")
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "close")).one()
    assert (entry.username, entry.entity, entry.entity_id) == (
        "chen",
        "treatment_plan",
        str(plan.id),
    )
    assert (entry.old, entry.new) == ({"status": "draft"}, {"status": "closed"})
    assert entry.reason == "Patient moved to another centre"


def test_closing_an_approved_plan_cancels_its_open_order_with_the_same_reason(
    clinic: Any, draft: Step, approve: Step, close: Step
) -> None:
    approved = approve(draft())
    [order] = approved.collection_orders
    closed = close(approved, reason="Patient declined the bone-marrow aspiration")
    [cancelled] = closed.collection_orders
    assert (cancelled.id, cancelled.status, cancelled.version) == (order.id, "cancelled", 2)
    with clinic.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "collection_order", AuditEntry.action == "cancel"
            )
        ).one()
    assert (entry.entity_id, entry.old, entry.new) == (
        str(order.id),
        {"status": "open"},
        {"status": "cancelled"},
    )
    assert entry.reason == "Patient declined the bone-marrow aspiration"


def test_closing_needs_a_reason_and_the_record_version_as_read(
    clinic: Any, draft: Step, revise: Step, stored: Callable[[], dict[str, int]]
) -> None:
    plan = draft()
    revise(plan)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        close_plan(clinic.db, clinic["alice"], plan.id, CloseIn(version=2, reason="  "))
    assert [f.field for f in caught.value.fields] == ["reason"]
    with pytest.raises(Conflict, match="changed since record version 1 was read"):
        close_plan(clinic.db, clinic["alice"], plan.id, CloseIn(version=1, reason="Declined"))
    assert stored() == before


def test_a_closed_plan_is_not_closed_again(
    draft: Step, close: Step, stored: Callable[[], dict[str, int]]
) -> None:
    closed = close(draft())
    before = stored()
    with pytest.raises(StepRefused, match=f"Treatment plan {closed.id} is closed already"):
        close(closed)
    assert stored() == before


@pytest.mark.parametrize("who", ["nina", "ben", "olga", "aude"])
def test_only_coordinators_and_physicians_close_plans(draft: Step, close: Step, who: str) -> None:
    plan = draft()
    with pytest.raises(PermissionDenied, match=r"plans\.write"):
        close(plan, by=who)


def test_another_sites_coordinator_finds_no_plan_to_close(draft: Step, close: Step) -> None:
    plan = draft()
    with pytest.raises(NotFound, match=f"No treatment plan {plan.id}"):
        close(plan, by="sami")
