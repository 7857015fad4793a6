"""Reading the audit trail: a patient's, or a record's, entries in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from alstrack.services.context import Actor, load_patient
from alstrack.store.db import Database
from alstrack.store.models import AuditEntry


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    entity: str
    entity_id: str
    patient_id: int | None
    site_id: int | None
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    reason: str | None


def _out(e: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(**{k: getattr(e, k) for k in AuditEntryOut.model_fields})


def for_patient(db: Database, actor: Actor, patient_id: int) -> list[AuditEntryOut]:
    actor.require("audit.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.patient_id == patient_id).order_by(AuditEntry.id)
        )
        return [_out(e) for e in rows]


def for_record(db: Database, actor: Actor, entity: str, entity_id: str) -> list[AuditEntryOut]:
    actor.require("audit.read")
    with db.read() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        ).all()
        return [_out(e) for e in rows if e.site_id is None or actor.sees_site(e.site_id)]
