"""The one writer of audit entries: every service change passes through :func:`record`.

An import's creation entries may instead come from :func:`record_created`, which has the
database build them from the rows just stored: the same entries, without Python per entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Date,
    Dialect,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from alstrack.store.bulk import insert_rows
from alstrack.store.models import AuditEntry, Patient
from alstrack.store.types import UTCDateTime

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


# Column types whose stored value the database renders in JSON exactly as jsonable() does:
# integers and text as they are, dates as ISO 8601 (SQLite stores them so; PostgreSQL's
# to_jsonb writes ISO whatever DateStyle says), JSON documents as stored (both databases keep
# the serializer's text of each number; a datetime inside a document would keep its own offset
# where jsonable writes UTC, but no record stores one). Not floats: SQLite writes 15
# significant digits (0.30000000000000004 as 0.3) and PostgreSQL 72.0 as 72, where Python keeps
# both. Not booleans (SQLite has 0 and 1) nor timestamps (Python writes "+00:00", the
# databases their own forms).
_RENDERED_EXACTLY = (Integer, String, Date, JSON)
_KEY = re.compile(r"[a-z_][a-z0-9_]*")


def built_in_database(table: Table, keys: Sequence[str]) -> bool:
    """Whether :func:`record_created` gives the entries :func:`record` would for ``keys``.

    True when every key is a column of ``table`` of a type the database renders exactly.
    """
    return all(
        k in table.c and _KEY.fullmatch(k) and isinstance(table.c[k].type, _RENDERED_EXACTLY)
        for k in keys
    )


def record_created(
    session: Session,
    table: Table,
    ids: Sequence[int],
    keys: Sequence[str],
    *,
    at: datetime,
    user_id: int | None,
    username: str,
    entity: str,
) -> None:
    """One "create" entry per row of ``table`` in ``ids``, built by the database in one statement.

    Each entry is the one :func:`record` writes for ``entry(action="create", entity=entity,
    entity_id=id, patient_id=…, site_id=the patient's site, new={key: stored value})``: who,
    when, what, the new values in ``keys`` order, in id order. Check :func:`built_in_database`
    first. On SQLite ``ids`` are consecutive (as :func:`bulk.insert_columns` returns them).
    """
    if not ids:
        return
    dialect = session.get_bind().dialect
    new = _json_object(dialect, [(k, _json_value(dialect, table, k)) for k in keys])
    patients = cast(Table, Patient.__table__)
    chosen = _chosen(dialect, table, ids)
    source = (
        select(
            bindparam("at", at, type_=UTCDateTime()),
            literal(user_id, Integer),
            literal(username, String),
            literal("create", String),
            literal(entity, String),
            sql_cast(table.c.id, String),
            table.c.patient_id,
            patients.c.site_id,
            new,
        )
        .select_from(table.join(patients, patients.c.id == table.c.patient_id))
        .where(chosen)
        .order_by(table.c.id)
    )
    target = cast(Table, AuditEntry.__table__)
    names = ["at", "user_id", "username", "action", "entity", "entity_id", "patient_id"]
    session.execute(insert(target).from_select([*names, "site_id", "new"], source))


def _json_object(dialect: Dialect, pairs: Sequence[tuple[str, ColumnElement[Any]]]) -> Any:
    build = func.json_object if dialect.name == "sqlite" else func.jsonb_build_object
    # Keys are column names of alstrack's own tables (checked by built_in_database), written as
    # SQL text: PostgreSQL cannot type a bound parameter in jsonb_build_object's variadic list.
    return build(*[arg for k, v in pairs for arg in (literal_column(f"'{k}'", String), v)])


def _json_value(dialect: Dialect, table: Table, key: str) -> ColumnElement[Any]:
    column = table.c[key]
    if dialect.name == "sqlite" and isinstance(column.type, JSON):
        return func.json(column)  # the stored text as a JSON value, not as a string
    return column


def _chosen(dialect: Dialect, table: Table, ids: Sequence[int]) -> ColumnElement[bool]:
    if dialect.name == "sqlite":
        first, last = ids[0], ids[-1]
        assert last - first + 1 == len(ids), "SQLite bulk ids are consecutive"
        return table.c.id.between(first, last)
    return table.c.id == any_(bindparam("ids", list(ids), type_=ARRAY(Integer)))
