"""Routes for the record lock: lock a patient's record, unlock it with a reason, see its locks."""

from __future__ import annotations

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import record_locks
from alstrack.services.record_locks import LockIn, LockOut, LockStateOut, UnlockIn

router = APIRouter(prefix="/patients", tags=["patients"])


@router.post(
    "/{patient_id}/lock",
    status_code=status.HTTP_201_CREATED,
    summary="Lock the reviewed record, signed 'locked': no change is accepted until unlocked",
    openapi_extra=needs("records.lock"),
)
def lock(patient_id: Id, data: LockIn, db: DB, actor: CurrentActor) -> LockOut:
    return record_locks.lock(db, actor, patient_id, data)


@router.post(
    "/{patient_id}/unlock",
    summary="Unlock the record with a reason, signed 'unlocked'",
    openapi_extra=needs("records.lock"),
)
def unlock(patient_id: Id, data: UnlockIn, db: DB, actor: CurrentActor) -> LockOut:
    return record_locks.unlock(db, actor, patient_id, data)


@router.get(
    "/{patient_id}/lock",
    summary="Whether the record is locked, and every lock and unlock with its signatures",
    openapi_extra=needs("patients.read"),
)
def lock_state(patient_id: Id, db: DB, actor: CurrentActor) -> LockStateOut:
    return record_locks.lock_state(db, actor, patient_id)
