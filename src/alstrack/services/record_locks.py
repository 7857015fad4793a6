"""The record lock: an investigator locks a patient's record once reviewed, signed 'locked';
from then on nothing in it changes until a physician unlocks it, with a reason, signed
'unlocked'. Both are audited.

What a lock signs is a canonical digest of the patient's whole record: every row of every table
that holds a part of it (the patient, identifiers, history, assessments, milestones, consents,
screenings and their reviews, plans and their versions, products and their steps and QC
results, bedside checks, administrations, visits, adjunct sessions, adverse events, reports,
protocol deviations), as stored (store/record_locks.py). Rows rather than the timeline as shown:
the timeline leaves out superseded and voided records and the pathway's details, while a lock
vouches for all of it; any change to any of those rows changes the digest, so a change after an
unlock shows the lock's signature invalid.

The lock itself is enforced in one place, not by each service: session hooks refuse any change
to a locked patient's record with 409 (store/record_locks.py), whichever service, route, command
or import makes it; unlocking is the one change a locked record allows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.errors import StepRefused
from alstrack.services.context import Actor, audited, load_patient, now, require_reason
from alstrack.services.signatures import (
    SIGNING_HELP,
    SignatureOut,
    confirm,
    present,
    present_many,
    sign,
)
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import Patient, RecordLock, User
from alstrack.store.record_locks import record_digest

__all__ = ["LockIn", "LockOut", "LockStateOut", "UnlockIn", "lock", "lock_state", "unlock"]


class LockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: SecretStr = Field(description=SIGNING_HELP)


class UnlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(max_length=2000)] = Field(
        description="Why the record is opened again (audited, and signed with the unlock)"
    )
    password: SecretStr = Field(description=SIGNING_HELP)


class LockOut(BaseModel):
    id: int
    patient_id: int
    locked_at: datetime
    locked_by: str = Field(description="Username of who locked it")
    content_hash: str = Field(description="SHA-256 digest of the whole record as locked")
    signature: SignatureOut | None = Field(description="The lock's signature, 'locked'")
    unlocked_at: datetime | None
    unlocked_by: str | None
    unlock_reason: str | None
    unlock_signature: SignatureOut | None = Field(description="The unlock's, 'unlocked'")


class LockStateOut(BaseModel):
    patient_id: int
    locked: bool = Field(description="True: no change to the record is accepted")
    locks: list[LockOut] = Field(description="Every lock of the record, oldest first")


def lock(db: Database, actor: Actor, patient_id: int, data: LockIn) -> LockOut:
    """Lock the patient's record, signed 'locked' with the actor's password; refused if it is
    locked already."""
    actor.require("records.lock")
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        _refuse_if_open(session, patient)
        at = now()
        row = RecordLock(
            patient_id=patient.id,
            locked_at=at,
            locked_by=actor.user_id,
            content_hash=record_digest(session, patient.id),
        )
        session.add(row)
        session.flush()
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="locked",
            entity="record_lock",
            entity_id=row.id,
            at=at,
        )
        row.lock_signature_id = signature.id
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="lock",
                    entity="record_lock",
                    entity_id=row.id,
                    patient_id=patient.id,
                    site_id=patient.site_id,
                    new={
                        "locked_at": at,
                        "content_hash": row.content_hash,
                        "signature_id": signature.id,
                        "meaning": "locked",
                    },
                )
            ],
        )
        return _present(session, row, {signature.id: present(session, signature)})


def unlock(db: Database, actor: Actor, patient_id: int, data: UnlockIn) -> LockOut:
    """Open the patient's locked record again, with a reason, signed 'unlocked'."""
    actor.require("records.lock")
    reason = require_reason(data.reason)
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        row = _open_lock(session, patient.id)
        if row is None:
            raise StepRefused(f"Patient {patient.study_id}'s record is not locked.")
        at = now()
        row.unlocked_at = at
        row.unlocked_by = actor.user_id
        row.unlock_reason = reason
        session.flush()
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="unlocked",
            entity="record_unlock",
            entity_id=row.id,
            at=at,
        )
        row.unlock_signature_id = signature.id
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="unlock",
                    entity="record_lock",
                    entity_id=row.id,
                    patient_id=patient.id,
                    site_id=patient.site_id,
                    old={"unlocked_at": None},
                    new={"unlocked_at": at, "signature_id": signature.id, "meaning": "unlocked"},
                    reason=reason,
                )
            ],
        )
        signatures = present_many(session, [row.lock_signature_id])
        signatures[signature.id] = present(session, signature)
        return _present(session, row, signatures)


def lock_state(db: Database, actor: Actor, patient_id: int) -> LockStateOut:
    """Whether the patient's record is locked, and every lock and unlock with its signatures
    (each with its status: valid, invalid or unbound)."""
    actor.require("patients.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        rows = session.scalars(
            select(RecordLock)
            .where(RecordLock.patient_id == patient_id)
            .order_by(RecordLock.locked_at, RecordLock.id)
        ).all()
        signed = [s for row in rows for s in (row.lock_signature_id, row.unlock_signature_id)]
        signatures = present_many(session, signed)
        locks = [_present(session, row, signatures) for row in rows]
    return LockStateOut(
        patient_id=patient_id,
        locked=any(lock.unlocked_at is None for lock in locks),
        locks=locks,
    )


def _open_lock(session: Session, patient_id: int) -> RecordLock | None:
    return session.scalars(
        select(RecordLock).where(
            RecordLock.patient_id == patient_id, RecordLock.unlocked_at.is_(None)
        )
    ).one_or_none()


def _refuse_if_open(session: Session, patient: Patient) -> None:
    row = _open_lock(session, patient.id)
    if row is not None:
        by = session.get_one(User, row.locked_by)
        raise StepRefused(
            f"Patient {patient.study_id}'s record is locked already: {by.display_name} "
            f"({by.username}) locked it on {row.locked_at.isoformat(timespec='minutes')} (UTC)."
        )


def _present(session: Session, row: RecordLock, signatures: dict[int, SignatureOut]) -> LockOut:
    names = {
        user_id: username
        for user_id, username in session.execute(
            select(User.id, User.username).where(
                User.id.in_([u for u in (row.locked_by, row.unlocked_by) if u is not None])
            )
        )
    }
    return LockOut(
        id=row.id,
        patient_id=row.patient_id,
        locked_at=row.locked_at,
        locked_by=names[row.locked_by],
        content_hash=row.content_hash,
        signature=signatures.get(row.lock_signature_id or 0),
        unlocked_at=row.unlocked_at,
        unlocked_by=None if row.unlocked_by is None else names[row.unlocked_by],
        unlock_reason=row.unlock_reason,
        unlock_signature=signatures.get(row.unlock_signature_id or 0),
    )
