"""Collection orders: the patient's own tissue, ordered when an autologous plan is approved.

Collecting tissue is invasive, so a patient has at most one open order, and it always fits the
approved version of the patient's plan: revising or closing the plan cancels it, and so may a
coordinator or a physician, with a reason. The table has no reason column: the reason of a
cancellation is kept in its audit entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.plans import CellSource
from alstrack.errors import Conflict, StepRefused
from alstrack.services.context import (
    Actor,
    audited,
    load_of_patient,
    now,
    require_reason,
)
from alstrack.services.fields import Version
from alstrack.services.plan_views import CollectionOrderOut, present_order
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import CollectionOrder, Patient, TreatmentPlan, TreatmentPlanVersion
from alstrack.store.versioning import update_versioned

__all__ = ["CancelIn", "cancel_collection_order", "cancel_open_orders", "order_collection"]

_ORDER_FIELDS = ("plan_id", "plan_version_id", "tissue", "status")


class CancelIn(BaseModel):
    """Cancel an open collection order: its record version as read, and why."""

    model_config = ConfigDict(extra="forbid")
    version: Version = Field(
        description="The order's record `version` as read (optimistic concurrency)"
    )
    reason: str


def cancel_collection_order(
    db: Database, actor: Actor, order_id: int, data: CancelIn
) -> CollectionOrderOut:
    """Cancel an open order with a reason (kept in the audit entry)."""
    actor.require("plans.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        order, patient = load_of_patient(
            session, actor, CollectionOrder, order_id, "collection order", lock=True
        )
        if order.status != "open":
            raise StepRefused(
                f"Collection order {order_id} is {order.status}; only an open order is cancelled."
            )
        _cancel(session, order, data.version)
        audit.record(session, [_cancelled(actor, order, patient, reason, now())])
        session.refresh(order)
        return present_order(order)


def cancel_open_orders(
    session: Session, actor: Actor, plan: TreatmentPlan, patient: Patient, reason: str, at: datetime
) -> list[dict[str, Any]]:
    """Cancel the plan's open orders (each at the version it stands); their audit entries."""
    orders = session.scalars(
        select(CollectionOrder)
        .where(CollectionOrder.plan_id == plan.id, CollectionOrder.status == "open")
        .order_by(CollectionOrder.id)
    ).all()
    entries = []
    for order in orders:
        _cancel(session, order, order.version)
        entries.append(_cancelled(actor, order, patient, reason, at))
    return entries


def order_collection(
    session: Session,
    actor: Actor,
    plan: TreatmentPlan,
    row: TreatmentPlanVersion,
    source: CellSource,
    patient: Patient,
    at: datetime,
) -> list[dict[str, Any]]:
    """Order the patient's tissue for autologous cells; the audit entry of the order, if any.

    Any open order of the patient is refused rather than left beside the new one: it belongs to
    an earlier approval that revising or closing a plan should have cancelled.
    """
    open_order = session.scalars(
        select(CollectionOrder)
        .where(CollectionOrder.patient_id == patient.id, CollectionOrder.status == "open")
        .order_by(CollectionOrder.id)
        .limit(1)
    ).first()
    if open_order is not None:
        raise StepRefused(
            f"Collection order {open_order.id} ({open_order.tissue.replace('_', ' ')}, treatment "
            f"plan {open_order.plan_id}) is open for patient {patient.id}. A patient has one open "
            f"order at a time: cancel it (POST /collection-orders/{open_order.id}/cancel) "
            "before approving."
        )
    if not source.requires_collection:
        return []
    order = CollectionOrder(
        patient_id=patient.id,
        plan_id=plan.id,
        plan_version_id=row.id,
        tissue=source.tissue,
        status="open",
        ordered_by=actor.user_id,
        ordered_at=at,
        version=1,
    )
    session.add(order)
    session.flush()
    return [
        audited(
            actor,
            at=at,
            action="create",
            entity="collection_order",
            entity_id=order.id,
            patient_id=patient.id,
            site_id=patient.site_id,
            new={name: getattr(order, name) for name in _ORDER_FIELDS},
        )
    ]


def _cancel(session: Session, order: CollectionOrder, version: int) -> None:
    try:
        update_versioned(
            session,
            CollectionOrder,
            CollectionOrder.id == order.id,
            version,
            {"status": "cancelled"},
            f"Collection order {order.id}",
        )
    except Conflict:
        raise Conflict(
            f"Collection order {order.id} changed since record version {version} was read; "
            "reload it and try again."
        ) from None


def _cancelled(
    actor: Actor, order: CollectionOrder, patient: Patient, reason: str, at: datetime
) -> dict[str, Any]:
    return audited(
        actor,
        at=at,
        action="cancel",
        entity="collection_order",
        entity_id=order.id,
        patient_id=patient.id,
        site_id=patient.site_id,
        old={"status": "open"},
        new={"status": "cancelled"},
        reason=reason,
    )
