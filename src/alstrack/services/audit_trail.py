"""Reading the audit trail: a patient's entries, filtered for review, exported as CSV (itself
audited); a record's entries; and the check that the hash chain is intact."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from alstrack.services.context import Actor, audited, load_patient, now
from alstrack.store import audit
from alstrack.store.audit_chain import ChainReport
from alstrack.store.audit_chain import verify as verify_chain
from alstrack.store.db import Database, json_dumps
from alstrack.store.models import AuditEntry

__all__ = [
    "AuditEntryOut",
    "AuditExport",
    "AuditFilter",
    "export_csv",
    "for_patient",
    "for_record",
    "verify",
]


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
    # The hash of the entry before it in the chain, and its own (docs/audit.md).
    prev_hash: str
    hash: str


class AuditFilter(BaseModel):
    """Which of a patient's entries to show (AT-9): every condition given must hold.

    Days are UTC days, as the entries' times are; both ends are included.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    user: str | None = Field(None, min_length=1, max_length=64, description="who (username)")
    action: str | None = Field(
        None, min_length=1, max_length=32, description="e.g. create, update, void, view, export"
    )
    entity: str | None = Field(
        None, min_length=1, max_length=40, description="what kind of record, e.g. patient"
    )
    from_: date | None = Field(
        None, alias="from", description="first day (UTC), YYYY-MM-DD", strict=True
    )
    to: date | None = Field(None, description="last day (UTC), YYYY-MM-DD", strict=True)

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        # Query strings and the command line give text; strict mode takes only a date object.
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise ValueError("is not a day: write YYYY-MM-DD") from None
        return value

    @field_validator("to")
    @classmethod
    def _not_before_from(cls, value: date | None, info: ValidationInfo) -> date | None:
        first = info.data.get("from_")
        if value is not None and first is not None and value < first:
            raise ValueError(f"must not be before from ({first.isoformat()})")
        return value

    def given(self) -> dict[str, str]:
        """The conditions given, as text (for the export's own audit entry)."""
        values = self.model_dump(by_alias=True, exclude_none=True)
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


NO_FILTER = AuditFilter()

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


def _of_patient(patient_id: int, filters: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.patient_id == patient_id)
    if filters.user is not None:
        query = query.where(AuditEntry.username == filters.user)
    if filters.action is not None:
        query = query.where(AuditEntry.action == filters.action)
    if filters.entity is not None:
        query = query.where(AuditEntry.entity == filters.entity)
    if filters.from_ is not None:
        query = query.where(AuditEntry.at >= _start_of(filters.from_))
    if filters.to is not None:
        query = query.where(AuditEntry.at < _start_of(filters.to + timedelta(days=1)))
    return query.order_by(AuditEntry.id)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _entries(
    session: Session, actor: Actor, patient_id: int, filters: AuditFilter
) -> list[AuditEntryOut]:
    return [_out(e, actor) for e in session.scalars(_of_patient(patient_id, filters))]


def for_patient(
    db: Database, actor: Actor, patient_id: int, filters: AuditFilter = NO_FILTER
) -> list[AuditEntryOut]:
    """The patient's entries in the order they were written, those ``filters`` select."""
    actor.require("audit.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        return _entries(session, actor, patient_id, filters)


def for_record(db: Database, actor: Actor, entity: str, entity_id: str) -> list[AuditEntryOut]:
    actor.require("audit.read")
    with db.read() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        ).all()
        return [_out(e, actor) for e in rows if e.site_id is None or actor.sees_site(e.site_id)]


# --- export -------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "id", "at", "user_id", "username", "action", "entity", "entity_id", "patient_id",
    "site_id", "old", "new", "reason", "prev_hash", "hash",
)  # fmt: skip
EXPORT_ACTION = "export"
EXPORT_ENTITY = "audit_log"


@dataclass(frozen=True)
class AuditExport:
    """A patient's audit trail as a CSV file: its text, a file name and how many entries."""

    content: str
    filename: str
    entries: int
    media_type: str = "text/csv; charset=utf-8"


def export_csv(
    db: Database, actor: Actor, patient_id: int, filters: AuditFilter = NO_FILTER
) -> AuditExport:
    """The patient's entries (those ``filters`` select) as CSV, one row an entry (AT-5).

    The export is itself audited ("export" of "audit_log", the filters and the count), in the
    same transaction: the file lists the entries written before it. Values the actor may not
    read are redacted as on screen, and such an entry no longer matches its hash.
    """
    actor.require("audit.read")
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id)
        entries = _entries(session, actor, patient_id, filters)
        new = {"format": "csv", "entries": len(entries), "filters": filters.given()}
        entry = audited(
            actor,
            at=now(),
            action=EXPORT_ACTION,
            entity=EXPORT_ENTITY,
            entity_id=patient_id,
            patient_id=patient_id,
            site_id=patient.site_id,
            new=new,
        )
        audit.record(session, [entry])
    return AuditExport(
        content=_csv(entries),
        filename=f"patient-{patient_id}-audit.csv",
        entries=len(entries),
    )


def _csv(entries: list[AuditEntryOut]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow([_cell(e, name) for name in CSV_COLUMNS])
    return out.getvalue()


def _cell(entry: AuditEntryOut, name: str) -> object:
    value = getattr(entry, name)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return json_dumps(value)
    return value


# --- the chain ----------------------------------------------------------------------------------


def verify(db: Database, *, anchor: str | None = None) -> ChainReport:
    """Recompute the whole hash chain; ``anchor``: a head hash recorded earlier, to find in it.

    No actor: whoever runs this holds the database (the command line's `alstrack audit
    verify`); the report names entries by id and says what is wrong, never what they hold.
    """
    with db.connection() as connection:
        return verify_chain(connection, anchor=anchor)
