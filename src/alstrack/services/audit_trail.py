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


# Entries whose values are direct identifiers; the identity has its own, audited, endpoint.
IDENTITY_ENTITY = "patient_identity"
CONSENT_ENTITY = "consent"
REDACTED = "[redacted]"


def _redacted(values: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else dict.fromkeys(values, REDACTED)


def _out(e: AuditEntry, actor: Actor) -> AuditEntryOut:
    out = AuditEntryOut(**{k: getattr(e, k) for k in AuditEntryOut.model_fields})
    if e.entity == IDENTITY_ENTITY and not actor.can("identifiers.read"):
        # Who changed which identifier stays visible; the names and dates do not.
        out.old, out.new = _redacted(out.old), _redacted(out.new)
    elif e.entity == CONSENT_ENTITY and not actor.can("consents.read"):
        # A consent names the representative and the witness, and why a patient withdrew.
        out.old, out.new = _redacted(out.old), _redacted(out.new)
    return out


def for_patient(db: Database, actor: Actor, patient_id: int) -> list[AuditEntryOut]:
    actor.require("audit.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.patient_id == patient_id).order_by(AuditEntry.id)
        )
        return [_out(e, actor) for e in rows]


def for_record(db: Database, actor: Actor, entity: str, entity_id: str) -> list[AuditEntryOut]:
    actor.require("audit.read")
    with db.read() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        ).all()
        return [_out(e, actor) for e in rows if e.site_id is None or actor.sees_site(e.site_id)]
