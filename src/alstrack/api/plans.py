"""Treatment plans: drafted on an eligible screening, revised with a reason, approved."""

from __future__ import annotations

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id
from alstrack.services import plans
from alstrack.services.plans import ApprovalIn, PlanIn, PlanOut, PlanRevisionIn

router = APIRouter(tags=["plans"])


@router.post(
    "/patients/{patient_id}/plans",
    status_code=status.HTTP_201_CREATED,
    summary="Draft a plan on the patient's latest plannable screening, dosed by the latest weight",
)
def create_plan(patient_id: Id, data: PlanIn, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.create_plan(db, actor, patient_id, data)


@router.get("/patients/{patient_id}/plans", summary="A patient's treatment plans, newest first")
def list_plans(patient_id: Id, db: DB, actor: CurrentActor) -> list[PlanOut]:
    return plans.list_plans(db, actor, patient_id)


@router.get("/plans/{plan_id}")
def get_plan(plan_id: Id, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.get_plan(db, actor, plan_id)


@router.post(
    "/plans/{plan_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Revise a plan: a new version with a reason (back to draft until approved)",
)
def revise_plan(plan_id: Id, data: PlanRevisionIn, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.revise_plan(db, actor, plan_id, data)


@router.post(
    "/plans/{plan_id}/approval",
    summary="A physician approves the current version (signed 'approved'; an autologous plan "
    "opens a collection order)",
)
def approve_plan(plan_id: Id, data: ApprovalIn, db: DB, actor: CurrentActor) -> PlanOut:
    return plans.approve_plan(db, actor, plan_id, data)
