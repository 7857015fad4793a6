"""Adjunct therapies: the catalogue in force, and sessions planned from the plan and held."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.domain.adjuncts import SessionState
from alstrack.services import adjuncts
from alstrack.services.adjuncts import (
    AdjunctSessionOut,
    CatalogueOut,
    SessionCancelIn,
    SessionHeldIn,
    SessionPlanIn,
    UnplannedSessionIn,
)

router = APIRouter(tags=["adjunct therapies"])


@router.get(
    "/adjunct-therapies",
    summary="The adjunct therapies in force: the shipped ones and the programme's own",
    openapi_extra=needs("plans.read"),
)
def catalogue(actor: CurrentActor) -> CatalogueOut:
    return adjuncts.catalogue(actor)


@router.post(
    "/plans/{plan_id}/adjunct-sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Plan the sessions of one of the plan's therapies, as many and as far apart as "
    "the plan says",
    openapi_extra=needs("plans.write"),
)
def plan_sessions(
    plan_id: Id, data: SessionPlanIn, db: DB, actor: CurrentActor
) -> list[AdjunctSessionOut]:
    return adjuncts.plan_sessions(db, actor, plan_id, data)


@router.post(
    "/adjunct-sessions/{session_id}/held",
    summary="Record a planned session as held: day, provider, notes",
    openapi_extra=needs("assessments.write"),
)
def record_session(
    session_id: Id, data: SessionHeldIn, db: DB, actor: CurrentActor
) -> AdjunctSessionOut:
    return adjuncts.record_session(db, actor, session_id, data)


@router.post(
    "/adjunct-sessions/{session_id}/cancel",
    summary="Cancel a planned session with a reason",
    openapi_extra=needs("plans.write"),
)
def cancel_session(
    session_id: Id, data: SessionCancelIn, db: DB, actor: CurrentActor
) -> AdjunctSessionOut:
    return adjuncts.cancel_session(db, actor, session_id, data)


@router.post(
    "/patients/{patient_id}/adjunct-sessions",
    status_code=status.HTTP_201_CREATED,
    summary="Record a session that was not planned, as held",
    openapi_extra=needs("assessments.write"),
)
def add_session(
    patient_id: Id, data: UnplannedSessionIn, db: DB, actor: CurrentActor
) -> AdjunctSessionOut:
    return adjuncts.add_session(db, actor, patient_id, data)


@router.get(
    "/patients/{patient_id}/adjunct-sessions",
    summary="The patient's adjunct sessions by day, with their state on a day",
    openapi_extra=needs("plans.read"),
)
def patient_sessions(
    patient_id: Id, db: DB, actor: CurrentActor, on: date | None = None
) -> list[AdjunctSessionOut]:
    return adjuncts.patient_sessions(db, actor, patient_id, on=on)


@router.get(
    "/adjunct-sessions",
    summary="Adjunct sessions due, overdue (or any state) on a day, per site",
    openapi_extra=needs("plans.read"),
)
def list_sessions(
    db: DB,
    actor: CurrentActor,
    on: date | None = None,
    site: str | None = None,
    state: SessionState | None = None,
) -> list[AdjunctSessionOut]:
    return adjuncts.list_sessions(db, actor, on=on, site_code=site, state=state)
