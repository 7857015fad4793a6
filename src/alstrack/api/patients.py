"""Routes for patients, their identifiers, ALS history, timeline and audit trail."""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from alstrack.api.deps import DB, MAX_ID, CurrentActor, Id, Offset, needs
from alstrack.config import Settings
from alstrack.services import audit_trail, outcomes, patients, timeline
from alstrack.services.audit_trail import AuditEntryOut, AuditFilter
from alstrack.services.context import Actor
from alstrack.services.outcomes import PatientOutcomesOut
from alstrack.services.patients import (
    HistoryIn,
    HistoryOut,
    IdentityOut,
    IdentityUpdate,
    PatientIn,
    PatientOut,
    PatientUpdate,
)
from alstrack.services.timeline import Timeline
from alstrack.store.db import Database

router = APIRouter(prefix="/patients", tags=["patients"])


class PatientPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[PatientOut]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=needs("patients.write", "identifiers.write"),
)
def register_patient(data: PatientIn, db: DB, actor: CurrentActor) -> PatientOut:
    return patients.register_patient(db, actor, data)


@router.get("", openapi_extra=needs("patients.read"))
def list_patients(
    db: DB,
    actor: CurrentActor,
    site_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> PatientPage:
    total, items = patients.list_patients(db, actor, site_id=site_id, limit=limit, offset=offset)
    return PatientPage(total=total, limit=limit, offset=offset, items=items)


@router.get("/{patient_id}", openapi_extra=needs("patients.read"))
def get_patient(patient_id: Id, db: DB, actor: CurrentActor) -> PatientOut:
    return patients.get_patient(db, actor, patient_id)


@router.patch("/{patient_id}", openapi_extra=needs("patients.write"))
def update_patient(patient_id: Id, data: PatientUpdate, db: DB, actor: CurrentActor) -> PatientOut:
    return patients.update_patient(db, actor, patient_id, data)


@router.get("/{patient_id}/identity", openapi_extra=needs("identifiers.read"))
def get_identity(patient_id: Id, db: DB, actor: CurrentActor) -> IdentityOut:
    return patients.get_identity(db, actor, patient_id)


@router.put("/{patient_id}/identity", openapi_extra=needs("identifiers.write"))
def set_identity(patient_id: Id, data: IdentityUpdate, db: DB, actor: CurrentActor) -> IdentityOut:
    return patients.set_identity(db, actor, patient_id, data)


@router.get("/{patient_id}/history", openapi_extra=needs("patients.read"))
def get_history(patient_id: Id, db: DB, actor: CurrentActor) -> HistoryOut:
    return patients.get_history(db, actor, patient_id)


@router.put("/{patient_id}/history", openapi_extra=needs("patients.write"))
def set_history(patient_id: Id, data: HistoryIn, db: DB, actor: CurrentActor) -> HistoryOut:
    return patients.set_history(db, actor, patient_id, data)


@router.get(
    "/{patient_id}/timeline",
    response_model=Timeline,
    openapi_extra=needs("patients.read", "assessments.read"),
)
async def get_timeline(patient_id: Id, db: DB, actor: CurrentActor, request: Request) -> Response:
    # The timeline is the most-read page of the API. When requests are served on one thread
    # (SQLite's default, see Settings.effective_request_threads), the event loop builds it itself
    # while holding that thread's token, as a sync route would: requests still run one at a time
    # and first come, first served, but skip the hop to the worker thread and back, which costs
    # about a fifth of the request. With more threads (PostgreSQL) it keeps the thread pool.
    settings: Settings = request.app.state.settings
    if settings.effective_request_threads == 1:
        async with anyio.to_thread.current_default_thread_limiter():
            return _timeline_response(db, actor, patient_id)
    return await run_in_threadpool(_timeline_response, db, actor, patient_id)


def _timeline_response(db: Database, actor: Actor, patient_id: int) -> Response:
    # The service returns a validated Timeline: encode it once instead of having FastAPI
    # validate it again.
    body = timeline.timeline(db, actor, patient_id).model_dump_json()
    return Response(body, media_type="application/json")


@router.get(
    "/{patient_id}/outcomes",
    summary="Observed beside expected without treatment: slopes with 95% intervals, observed "
    "minus expected at 3, 6 and 12 months, stages, ENCALS survival",
    openapi_extra=needs("patients.read", "assessments.read"),
)
def get_outcomes(patient_id: Id, db: DB, actor: CurrentActor) -> PatientOutcomesOut:
    return outcomes.patient_outcomes(db, actor, patient_id)


AuditQuery = Annotated[AuditFilter, Query()]


@router.get(
    "/{patient_id}/audit",
    summary="The patient's audit trail in the order written; filter by user, action, entity and "
    "UTC days from/to (both included)",
    openapi_extra=needs("audit.read"),
)
def get_audit(
    patient_id: Id, db: DB, actor: CurrentActor, response: Response, filters: AuditQuery
) -> list[AuditEntryOut]:
    response.headers["Cache-Control"] = "no-store"
    return audit_trail.for_patient(db, actor, patient_id, filters)


@router.get(
    "/{patient_id}/audit.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The CSV, as an attachment"}},
    summary="The patient's audit trail as CSV (same filters), one row an entry with its hashes; "
    "the export is itself audited",
    openapi_extra=needs("audit.read"),
)
def get_audit_csv(patient_id: Id, db: DB, actor: CurrentActor, filters: AuditQuery) -> Response:
    export = audit_trail.export_csv(db, actor, patient_id, filters)
    headers = {
        "Content-Disposition": f'attachment; filename="{export.filename}"',
        "Cache-Control": "no-store",
    }
    return Response(export.content, media_type=export.media_type, headers=headers)
