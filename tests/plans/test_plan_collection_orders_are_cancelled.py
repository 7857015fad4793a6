"""A collection order fits the approved version: revising cancels it, and it can be cancelled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import Conflict, InvalidInput, NotFound, PermissionDenied, StepRefused
from alstrack.services.collection_orders import CancelIn, cancel_collection_order
from alstrack.services.plans import get_plan
from alstrack.store.models import AuditEntry

Step = Callable[..., Any]


def cancellations(clinic: Any) -> list[AuditEntry]:
    with clinic.db.read() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == "collection_order", AuditEntry.action == "cancel")
                .order_by(AuditEntry.id)
            )
        )


def test_revising_an_approved_plan_cancels_its_order_and_approval_opens_a_new_one(
    clinic: Any, draft: Step, revise: Step, approve: Step
) -> None:
    approved = approve(draft())
    [order] = approved.collection_orders
    revised = revise(approved, reason="Two doses agreed", administrations=2)
    assert [(o.id, o.status) for o in revised.collection_orders] == [(order.id, "cancelled")]
    [entry] = cancellations(clinic)
    assert (entry.entity_id, entry.username) == (str(order.id), "alice")
    assert entry.reason == "plan revised to version 2: Two doses agreed"
    again = approve(revised)
    assert [(o.status, o.plan_version_id) for o in again.collection_orders] == [
        ("cancelled", order.plan_version_id),
        ("open", again.collection_orders[1].plan_version_id),
    ]
    assert again.collection_orders[1].plan_version_id != order.plan_version_id


def test_revising_to_allogeneic_cells_cancels_the_order_and_orders_none(
    draft: Step, revise: Step, approve: Step
) -> None:
    approved = approve(draft())
    again = approve(revise(approved, cell_source="allogeneic_uc_msc"))
    assert [o.status for o in again.collection_orders] == ["cancelled"]


def test_an_open_order_is_cancelled_with_a_reason_kept_in_the_audit_trail(
    clinic: Any, draft: Step, approve: Step
) -> None:
    approved = approve(draft())
    [order] = approved.collection_orders
    data = CancelIn(version=order.version, reason="Aspiration postponed: patient febrile")
    cancelled = cancel_collection_order(clinic.db, clinic["chen"], order.id, data)
    assert (cancelled.id, cancelled.status, cancelled.version) == (order.id, "cancelled", 2)
    [entry] = cancellations(clinic)
    assert (entry.username, entry.entity_id) == ("chen", str(order.id))
    assert (entry.old, entry.new) == ({"status": "open"}, {"status": "cancelled"})
    assert entry.reason == "Aspiration postponed: patient febrile"
    plan = get_plan(clinic.db, clinic["alice"], approved.id)
    assert plan.status == "approved"  # the plan stands; revise and approve it to order again
    assert plan.collection_orders == [cancelled]


def test_cancelling_needs_an_open_order_a_reason_and_the_record_version(
    clinic: Any, draft: Step, approve: Step, stored: Callable[[], dict[str, int]]
) -> None:
    [order] = approve(draft()).collection_orders
    before = stored()
    alice = clinic["alice"]
    with pytest.raises(InvalidInput) as caught:
        cancel_collection_order(clinic.db, alice, order.id, CancelIn(version=1, reason=""))
    assert [f.field for f in caught.value.fields] == ["reason"]
    with pytest.raises(Conflict, match=f"order {order.id} changed since record version 7"):
        cancel_collection_order(clinic.db, alice, order.id, CancelIn(version=7, reason="No"))
    assert stored() == before
    cancel_collection_order(clinic.db, alice, order.id, CancelIn(version=1, reason="No"))
    before = stored()
    with pytest.raises(StepRefused, match=f"order {order.id} is cancelled; only an open order"):
        cancel_collection_order(clinic.db, alice, order.id, CancelIn(version=2, reason="No"))
    assert stored() == before


@pytest.mark.parametrize("who", ["nina", "ben", "olga", "aude"])
def test_only_coordinators_and_physicians_cancel_orders(
    clinic: Any, draft: Step, approve: Step, who: str
) -> None:
    [order] = approve(draft()).collection_orders
    with pytest.raises(PermissionDenied, match=r"plans\.write"):
        cancel_collection_order(clinic.db, clinic[who], order.id, CancelIn(version=1, reason="x"))


def test_another_sites_coordinator_or_an_unknown_id_finds_no_order(
    clinic: Any, draft: Step, approve: Step
) -> None:
    [order] = approve(draft()).collection_orders
    for who, order_id in (("sami", order.id), ("alice", 10**9)):
        with pytest.raises(NotFound, match=f"No collection order {order_id}"):
            cancel_collection_order(
                clinic.db, clinic[who], order_id, CancelIn(version=1, reason="x")
            )
