"""The one writer of audit entries: every service change passes through :func:`record`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from alstrack.store.bulk import insert_rows
from alstrack.store.models import AuditEntry, Patient

_PLAIN = frozenset({str, int, float, bool})


def jsonable(value: Any) -> Any:
    """Values as they are written into audit entries: dates and datetimes as ISO 8601."""
    # Plain values first: bulk imports pass every value of every record through here.
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {
            str(k): v if v is None or type(v) in _PLAIN else jsonable(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def changed(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (old values, new values)."""
    keys = [k for k in new if old.get(k) != new[k]]
    return {k: jsonable(old.get(k)) for k in keys}, {k: jsonable(new[k]) for k in keys}


def entry(
    *,
    at: datetime,
    user_id: int | None,
    username: str,
    action: str,
    entity: str,
    entity_id: object,
    patient_id: int | None = None,
    site_id: int | None = None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "user_id": user_id,
        "username": username,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "patient_id": patient_id,
        "site_id": site_id,
        "old": jsonable(old) if old is not None else None,
        "new": jsonable(new) if new is not None else None,
        "reason": reason,
    }


def record(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Append audit entries in the caller's transaction (they commit or roll back with it).

    An entry about a patient that does not name the site gets the patient's site, so that a
    site's trail never shows another site's patient (services/audit_trail.for_record).
    """
    unsited = {e["patient_id"] for e in entries if e["patient_id"] is not None and not e["site_id"]}
    if unsited:
        rows = session.execute(select(Patient.id, Patient.site_id).where(Patient.id.in_(unsited)))
        sites = {patient_id: site_id for patient_id, site_id in rows}
        entries = [
            e | {"site_id": sites.get(e["patient_id"])}
            if e["patient_id"] is not None and not e["site_id"]
            else e
            for e in entries
        ]
    insert_rows(session, cast(Table, AuditEntry.__table__), entries)
