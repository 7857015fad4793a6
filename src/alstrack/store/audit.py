"""The one writer of audit entries: every service change passes through :func:`record`.

An import's creation entries may instead come from :func:`record_created`, which takes the new
records' values by column: the same entries, with less Python per entry. Both give each entry
its place in the hash chain (``store/audit_chain.py``) as they append it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from itertools import repeat
from typing import Any, cast

import orjson
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from alstrack.store.audit_chain import SORTED, canonical, created_template, head, link
from alstrack.store.bulk import Column, Same, _literal, insert_columns, insert_rows
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
    Appending holds the chain until the transaction ends: call it after the change it records.
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
    if not entries:
        return
    last_id, prev = _head(session)
    chained = []
    for entry_id, e in enumerate(entries, start=last_id + 1):
        row = e | {"id": entry_id, "prev_hash": prev}
        prev = row["hash"] = link(prev, canonical(row))
        chained.append(row)
    if not _sqlite(session):
        insert_rows(session, _TABLE, chained)
        return
    at = _bind(session, "at")
    stored = (
        [at(r["at"]) if k == "at" else _text(r[k]) if k in _JSON else r[k] for k in _COLUMNS]
        for r in chained
    )
    _append_sqlite(session, {}, _COLUMNS, stored)


def record_created(
    session: Session,
    entity: str,
    ids: Sequence[int],
    new: Mapping[str, Column],
    site_ids: Sequence[int],
    *,
    at: datetime,
    user_id: int | None,
    username: str,
) -> None:
    """One "create" entry per new record, given by column: the entries :func:`record` writes
    for ``entry(action="create", entity=entity, entity_id=id, patient_id=…, site_id=…,
    new={key: value})`` in ``ids`` order, ``new`` holding ``patient_id`` among the values."""
    count = len(ids)
    if count == 0:
        return
    patient_ids = new["patient_id"]
    assert not isinstance(patient_ids, Same)
    # The template writes them as %d: they must be integers (ids always are).
    assert {type(v) for v in (*ids, *patient_ids, *site_ids)} <= {int}
    texts = _sorted_json(new, count)
    last_id, prev = _head(session)
    template = created_template(at=at, user_id=user_id, username=username, entity=entity)
    rows = _chained(template, prev, last_id + 1, ids, patient_ids, site_ids, texts)
    shared = {"at": at, "user_id": user_id, "username": username, "action": "create",
              "entity": entity, "old": None, "reason": None}  # fmt: skip
    if _sqlite(session):
        _append_sqlite(session, shared, _CREATED, rows)
        return
    columns: dict[str, Column] = {k: Same(v) for k, v in shared.items()}
    values = list(zip(*rows, strict=True))
    columns |= {name: list(column) for name, column in zip(_CREATED, values, strict=True)}
    columns["new"] = [orjson.loads(t) for t in values[_CREATED.index("new")]]
    insert_columns(session, _TABLE, columns, count)


_CREATED = ("id", "entity_id", "patient_id", "site_id", "new", "prev_hash", "hash")


def _chained(
    template: str,
    prev: str,
    first_id: int,
    ids: Iterable[int],
    patient_ids: Iterable[int],
    site_ids: Iterable[int],
    texts: Iterable[str],
) -> Iterator[tuple[int, str, int, int, str, str, str]]:
    """The entries of :func:`record_created` as rows of :data:`_CREATED`, each hashed as it is
    asked for: this loop runs once per imported record."""
    sha256 = hashlib.sha256
    linked = "%s" + template  # link(prev, canonical(entry)) hashes prev + the content
    entry_id = first_id
    for record_id, patient_id, site_id, text in zip(ids, patient_ids, site_ids, texts, strict=True):
        content = linked % (prev, record_id, entry_id, text, patient_id, site_id)
        digest = sha256(content.encode()).hexdigest()
        yield entry_id, str(record_id), patient_id, site_id, text, prev, digest
        prev, entry_id = digest, entry_id + 1


def _sorted_json(new: Mapping[str, Column], count: int) -> Iterator[str]:
    """Each row's values as JSON with sorted keys (what :func:`canonical` writes of them),
    from a %-template: the keys and the values shared by the batch are written into it once."""
    parts: list[str] = []
    varying: list[list[str]] = []
    for i, key in enumerate(sorted(new)):
        parts.append(("{" if i == 0 else ",") + _escaped(orjson.dumps(key)) + ":")
        column = new[key]
        if isinstance(column, Same):
            parts.append(_escaped(orjson.dumps(jsonable(column.value), option=SORTED)))
        else:
            parts.append("%s")
            varying.append(_dumped(column))
    template = "".join(parts) + "}"
    if not varying:
        return repeat(template % (), count)
    return map(template.__mod__, zip(*varying, strict=True))


def _escaped(dumped: bytes) -> str:
    return dumped.decode().replace("%", "%%")


# Values a record's column holds that the JSON serializer writes as jsonable() would: plain
# values, dates (ISO 8601 either way), and the documents of JSON columns (the serializer has
# just stored them in the record's own row). Datetimes are not among them (jsonable makes UTC).
_AS_STORED = frozenset({str, int, float, bool, date, dict, list, type(None)})
# Types whose equal values dump alike (not int beside float or bool: 1 == 1.0 == True).
_REPEATING = frozenset({str, date})


def _dumped(values: Sequence[Any]) -> list[str]:
    """A column's values as JSON, keys sorted; a column of texts or dates (an import's raters,
    visit days) dumps each distinct value once."""
    types = set(map(type, values))
    if types <= _REPEATING:
        distinct = {v: orjson.dumps(v).decode() for v in set(values)}
        return list(map(distinct.__getitem__, values))
    if not types <= _AS_STORED:
        values = [jsonable(v) for v in values]
    # Decoded at once: orjson's bytes, kept by the thousand, cost several times the dump.
    return [orjson.dumps(v, option=SORTED).decode() for v in values]


_TABLE = cast(Table, AuditEntry.__table__)
_COLUMNS = tuple(c.name for c in _TABLE.columns)
_JSON = frozenset({"old", "new"})


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _text(value: Any) -> str | None:
    """old or new as SQLite stores it: the JSON the hash covers (keys sorted)."""
    return None if value is None else orjson.dumps(value, option=SORTED).decode()


def _bind(session: Session, name: str) -> Callable[[Any], Any]:
    processor = _TABLE.c[name].type._cached_bind_processor(session.get_bind().dialect)
    assert processor is not None
    return processor


def _append_sqlite(
    session: Session,
    shared: Mapping[str, Any],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Insert entries through the driver: values shared by the batch written into the statement
    once, the rest bound row by row. ``rows`` may be an iterator: the driver takes each row as
    it binds it, so an import's entries are hashed and stored in one pass."""
    connection = session.connection()
    dialect = connection.dialect
    # bulk's rendering of a value shared by a batch as SQL text (quoted by SQLAlchemy).
    marks = [_literal(_TABLE, name, Same(value), dialect) for name, value in shared.items()]
    assert None not in marks, "shared values are NULL, integers or text"
    columns = ", ".join([*shared, *names])
    values = ", ".join([*cast(list[str], marks), *("?" * len(names))])
    # Names come from the table's own metadata; shared values are quoted by SQLAlchemy.
    sql = f"INSERT INTO audit_log ({columns}) VALUES ({values})"  # noqa: S608
    connection.connection.driver_connection.executemany(sql, rows)  # type: ignore[union-attr]


def _head(session: Session) -> tuple[int, str]:
    # The transaction's own changes go first, so that the chain, held from here to commit, is
    # the last thing it waits for (no lock taken after it to wait on another writer).
    session.flush()
    return head(session)
