"""Treatment plans: drafted on a screening made for now, revised with a reason, approved, closed;
and their collection orders."""

from __future__ import annotations

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import collection_orders, plans
from alstrack.services.collection_orders import CancelIn
from alstrack.services.plan_views import CollectionOrderOut
from alstrack.services.plans import ApprovalIn, CloseIn, PlanIn, PlanOut, PlanRevisionIn

router = APIRouter(tags=["plans"])


@router.post(
    "/patients/{patient_id}/plans",
    status_code=status.HTTP_201_CREATED,
    summary="Draft a plan on the patient's latest screening made for now, dosed by the latest "
    "weight (one active plan per patient)",
    openapi_extra=needs("plans.write"),
)
def create_plan(patient_id: Id, data: PlanIn, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.create_plan(db, actor, patient_id, data)


@router.get(
    "/patients/{patient_id}/plans",
    summary="A patient's treatment plans, newest first",
    openapi_extra=needs("plans.read"),
)
def list_plans(patient_id: Id, db: DB, actor: CurrentActor) -> list[PlanOut]:
    return plans.list_plans(db, actor, patient_id)


@router.get("/plans/{plan_id}", openapi_extra=needs("plans.read"))
def get_plan(plan_id: Id, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.get_plan(db, actor, plan_id)


@router.post(
    "/plans/{plan_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Revise a plan: a new version with a reason (back to draft until approved; open "
    "collection orders are cancelled)",
    openapi_extra=needs("plans.write"),
)
def revise_plan(plan_id: Id, data: PlanRevisionIn, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.revise_plan(db, actor, plan_id, data)


@router.post(
    "/plans/{plan_id}/approval",
    summary="A physician approves the current version (signed 'approved'; an autologous plan "
    "opens a collection order)",
    openapi_extra=needs("plans.approve"),
)
def approve_plan(plan_id: Id, data: ApprovalIn, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.approve_plan(db, actor, plan_id, data)


@router.post(
    "/plans/{plan_id}/close",
    summary="Close a plan with a reason; its open collection orders are cancelled",
    openapi_extra=needs("plans.write"),
)
def close_plan(plan_id: Id, data: CloseIn, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.close_plan(db, actor, plan_id, data)


@router.post(
    "/collection-orders/{order_id}/cancel",
    summary="Cancel an open collection order with a reason (kept in the audit trail)",
    openapi_extra=needs("plans.write"),
)
def cancel_collection_order(
    order_id: Id, data: CancelIn, db: DB, actor: CurrentActor
) -> CollectionOrderOut:
    return collection_orders.cancel_collection_order(db, actor, order_id, data)
