"""A physician approves the current version with a signature; autologous cells need a collection."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import Conflict, PermissionDenied, StepRefused
from alstrack.services import records
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.plans import ApprovalIn, approve_plan
from alstrack.store.models import (
    AuditEntry,
    CollectionOrder,
    ElectronicSignature,
    TreatmentPlanVersion,
)
from signing_cast import SECRET

Step = Callable[..., Any]


def test_approval_signs_the_current_version_approved(draft: Step, approve: Step) -> None:
    approved = approve(draft())
    assert (approved.status, approved.version) == ("approved", 2)
    signature = approved.versions[0].approval
    assert signature is not None
    assert (signature.username, signature.display_name) == ("chen", "Dr Wei Chen")
    assert (signature.role, signature.meaning) == ("physician", "approved")


def test_approval_is_audited_and_the_signature_names_the_version(
    clinic: Any, draft: Step, approve: Step
) -> None:
    plan = approve(draft(cell_source="allogeneic_uc_msc"))
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "approve")).one()
        signature = session.scalars(select(ElectronicSignature)).all()[-1]
    assert (entry.username, entry.entity, entry.entity_id) == (
        "chen",
        "treatment_plan",
        str(plan.id),
    )
    assert entry.old == {"status": "draft"}
    assert entry.new == {
        "status": "approved",
        "number": 1,
        "signature_id": signature.id,
        "meaning": "approved",
    }
    assert (signature.entity, signature.entity_id) == ("treatment_plan", f"{plan.id}/1")


@pytest.mark.parametrize("who", ["alice", "nina", "ben", "aude", "adam"])
def test_only_a_physician_approves(
    draft: Step, approve: Step, stored: Callable[[], dict[str, int]], who: str
) -> None:
    plan = draft()
    before = stored()
    with pytest.raises(PermissionDenied, match=r"plans\.approve"):
        approve(plan, by=who)
    assert stored() == before


def test_an_autologous_plan_opens_one_collection_order(
    clinic: Any, maria: Any, draft: Step, approve: Step
) -> None:
    approved = approve(draft())
    [order] = approved.collection_orders
    assert (order.tissue, order.status, order.version) == ("bone_marrow", "open", 1)
    assert order.plan_id == approved.id
    with clinic.db.read() as session:
        row = session.get(CollectionOrder, order.id)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "collection_order")
        ).one()
    assert row is not None
    assert (row.patient_id, row.plan_id) == (maria.patient_id, approved.id)
    assert (entry.action, entry.entity_id, entry.username) == ("create", str(order.id), "chen")
    assert entry.new == {
        "plan_id": approved.id,
        "plan_version_id": order.plan_version_id,
        "tissue": "bone_marrow",
        "status": "open",
    }


def test_an_adipose_plan_orders_adipose_tissue(draft: Step, approve: Step) -> None:
    approved = approve(draft(cell_source="autologous_adipose_msc"))
    assert [o.tissue for o in approved.collection_orders] == ["adipose"]


def test_an_open_order_of_the_patient_stops_another_approval_naming_it(
    clinic: Any,
    maria: Any,
    draft: Step,
    approve: Step,
    stored: Callable[[], dict[str, int]],
) -> None:
    plan = draft(cell_source="allogeneic_uc_msc")
    # An order left open by an earlier plan (before closing a plan cancelled its orders).
    with clinic.db.transaction() as session:
        version_id = session.scalars(
            select(TreatmentPlanVersion.id).where(TreatmentPlanVersion.plan_id == plan.id)
        ).one()
        order = CollectionOrder(
            patient_id=maria.patient_id,
            plan_id=plan.id,
            plan_version_id=version_id,
            tissue="adipose",
            status="open",
            ordered_by=clinic["chen"].user_id,
            ordered_at=datetime(2026, 10, 1, tzinfo=UTC),
            version=1,
        )
        session.add(order)
        session.flush()
        order_id = order.id
    before = stored()
    with pytest.raises(
        StepRefused,
        match=rf"order {order_id} \(adipose, treatment plan {plan.id}\) is open.*"
        rf"POST /collection-orders/{order_id}/cancel",
    ):
        approve(plan)
    assert stored() == before


@pytest.mark.parametrize("source", ["allogeneic_uc_msc", "allogeneic_wj_msc"])
def test_an_allogeneic_plan_opens_no_collection_order(
    draft: Step, approve: Step, stored: Callable[[], dict[str, int]], source: str
) -> None:
    approved = approve(draft(cell_source=source))
    assert approved.status == "approved"
    assert approved.versions[0].cell_source.origin == "allogeneic"
    assert approved.collection_orders == []
    assert stored()["collection_orders"] == 0


def test_approving_a_version_that_is_not_the_current_one_is_a_conflict(
    clinic: Any, draft: Step, revise: Step, stored: Callable[[], dict[str, int]]
) -> None:
    revised = revise(draft())
    before = stored()
    with pytest.raises(Conflict, match="Plan version number 1 is not the current one"):
        approve_plan(
            clinic.db, clinic["chen"], revised.id, ApprovalIn(number=1, version=2, password=SECRET)
        )
    with pytest.raises(Conflict, match="changed since record version 1 was read"):
        approve_plan(
            clinic.db, clinic["chen"], revised.id, ApprovalIn(number=2, version=1, password=SECRET)
        )
    assert stored() == before


def test_a_version_is_approved_once(draft: Step, approve: Step) -> None:
    approved = approve(draft())
    with pytest.raises(
        StepRefused, match=f"Plan version number 1 of treatment plan {approved.id} is approved"
    ):
        approve(approved)


def test_a_plan_whose_screening_was_superseded_is_not_approved(
    clinic: Any, maria: Any, draft: Step, approve: Step, stored: Callable[[], dict[str, int]]
) -> None:
    plan = draft()
    newer = maria.screen(clinic)
    before = stored()
    with pytest.raises(StepRefused, match=f"newer screening {newer.id}"):
        approve(plan)
    assert stored() == before


def test_a_plan_is_not_approved_after_a_recorded_death(
    clinic: Any, maria: Any, draft: Step, approve: Step
) -> None:
    plan = draft()
    death = MilestoneIn(kind="death", occurred_on=date(2026, 11, 1))
    records.add(clinic.db, clinic["alice"], MILESTONE, maria.patient_id, death)
    with pytest.raises(StepRefused, match="recorded death"):
        approve(plan)
