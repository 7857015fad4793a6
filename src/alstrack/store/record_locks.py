"""The record lock's guard: while a patient's record is locked, no change to it is stored.

A patient's record is every row of every table that has a ``patient_id`` (the audit trail and
the locks themselves aside), the patient's own row, and the rows that belong to one of those
through a plan, a screening or a product (:data:`LINKED`). Two session hooks, registered when
this module is imported (store/db.py imports it), refuse with StepRefused (409) any change to a
locked patient's record, whichever service, route, command or import makes it:

- ``before_flush``: every object the ORM is about to insert, update or delete;
- ``do_orm_execute``: every INSERT, UPDATE or DELETE statement run through a session (optimistic
  updates, bulk inserts on PostgreSQL): the patients its rows belong to, before and after.

The one write that goes past the session (SQLite bulk inserts, store/bulk.py) is checked by its
caller with :func:`refuse_if_locked`. Reads are never refused.

The same catalogue gives the digest a lock signs (:func:`record_digest`): a SHA-256 of every
such row of the patient, so that any change to the record changes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, Table, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from alstrack.errors import StepRefused
from alstrack.store.audit import jsonable
from alstrack.store.models import Base, Patient, RecordLock, User

__all__ = [
    "LINKED",
    "NOT_A_PATIENTS",
    "lock_content",
    "patient_tables",
    "record_digest",
    "refuse_if_locked",
    "unlock_content",
]

# Rows that are the patient's through another row of theirs: table -> (column, parent table).
LINKED: Mapping[str, tuple[str, str]] = {
    "treatment_plan_versions": ("plan_id", "treatment_plans"),
    "screening_reviews": ("screening_id", "screenings"),
    "product_events": ("product_id", "products"),
    "product_test_results": ("product_id", "products"),
    "deviations": ("product_id", "products"),
}
# Kept beside a patient's record, never part of it: the trail of changes, the locks themselves.
_BESIDE = frozenset({"audit_log", "record_locks"})
# Every other table, which holds nothing of a patient's record (a test checks the list).
NOT_A_PATIENTS = frozenset(
    {
        "sites", "users", "user_sites", "api_tokens", "login_sessions", "rule_set_versions",
        "electronic_signatures", "signature_attestations", "sequence_counters", "donors",
        "donor_tests", "consent_documents", "external_cohorts", "external_subjects",
        "external_alsfrs", "external_fvc",
    } | _BESIDE
)  # fmt: skip

_TABLES: dict[str, Table] = {t.name: t for t in Base.metadata.sorted_tables}


def _key(name: str) -> str | None:
    """The column naming whose record a row of ``name`` is in (None: no patient's)."""
    if name in _BESIDE:
        return None
    if name == "patients":
        return "id"
    if name in LINKED:
        return LINKED[name][0]
    return "patient_id" if "patient_id" in _TABLES[name].c else None


def patient_tables() -> list[str]:
    """The tables a patient's record is made of."""
    return [name for name in _TABLES if _key(name) is not None]


# --- the guard ----------------------------------------------------------------------------------


def refuse_if_locked(session: Session, patients: Iterable[int] | Select[Any]) -> None:
    """Refuse (StepRefused) if any of ``patients`` (ids, or a SELECT of them) has a locked
    record, naming who locked it and when."""
    if isinstance(patients, Select):
        _refuse(session, patients)
        return
    ids = sorted({int(p) for p in patients if p is not None})
    for start in range(0, len(ids), 500):
        _refuse(session, ids[start : start + 500])


def _refuse(session: Session, patients: list[int] | Select[Any]) -> None:
    if isinstance(patients, list) and not patients:
        return
    found = session.execute(
        select(
            RecordLock.patient_id,
            RecordLock.locked_at,
            User.display_name,
            User.username,
            Patient.study_id,
        )
        .join(User, User.id == RecordLock.locked_by)
        .join(Patient, Patient.id == RecordLock.patient_id)
        .where(RecordLock.unlocked_at.is_(None), RecordLock.patient_id.in_(patients))
        .order_by(RecordLock.patient_id)
        .limit(1),
        execution_options={"autoflush": False},
    ).first()
    if found is None:
        return
    patient_id, at, name, username, study_id = found
    raise StepRefused(
        f"Patient {study_id}'s record is locked: {name} ({username}) locked it on "
        f"{at.isoformat(timespec='minutes')} (UTC). Nothing in it may change until a physician "
        f"unlocks it, with a reason (POST /patients/{patient_id}/unlock)."
    )


@event.listens_for(Session, "before_flush")
def _guard_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    direct: set[int] = set()
    parents: dict[str, set[int]] = {}
    changed = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    for obj in (*session.new, *changed, *session.deleted):
        table = getattr(obj, "__table__", None)
        key = None if table is None else _key(table.name)
        if table is None or key is None:
            continue
        history = inspect(obj).attrs[key].history
        values = {getattr(obj, key), *(history.deleted or ())}
        target = (
            parents.setdefault(LINKED[table.name][1], set()) if table.name in LINKED else direct
        )
        target.update(v for v in values if v is not None)
    for parent, ids in parents.items():
        table = _TABLES[parent]
        owners = session.execute(
            select(table.c.patient_id).where(table.c.id.in_(sorted(ids))),
            execution_options={"autoflush": False},
        )
        direct.update(owner for (owner,) in owners if owner is not None)
    refuse_if_locked(session, direct)


@event.listens_for(Session, "do_orm_execute")
def _guard_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    statement: Any = state.statement
    name = statement.table.name
    key = _key(name) if name in _TABLES else None
    if key is None:
        return
    table = _TABLES[name]
    # The values the statement writes into the column that says whose the row is.
    written = {v.value for c, v in _values(statement).items() if c == key and hasattr(v, "value")}
    if state.is_insert:
        parameters: Any = state.parameters
        rows = parameters if isinstance(parameters, list) else [parameters or {}]
        written.update(row.get(key) for row in rows)
    else:  # the rows it changes, as they are before it
        where = statement.whereclause
        existing = select(table.c[key]) if where is None else select(table.c[key]).where(where)
        refuse_if_locked(state.session, _owners(name, existing))
    written.discard(None)
    if written and name in LINKED:
        refuse_if_locked(state.session, _owners(name, sorted(written)))
    elif written:
        refuse_if_locked(state.session, written)


def _values(statement: Any) -> dict[str, Any]:
    """An INSERT's or UPDATE's ``.values(...)``, by column name."""
    values = getattr(statement, "_values", None) or {}
    return {getattr(c, "key", c): v for c, v in values.items()}


def _owners(name: str, keys: list[Any] | Select[Any]) -> Select[Any]:
    """The patients whose record rows of ``name`` with these keys are in."""
    if name in LINKED:
        parent = _TABLES[LINKED[name][1]]
        return select(parent.c.patient_id).where(parent.c.id.in_(keys))
    return select(_TABLES["patients"].c.id).where(_TABLES["patients"].c.id.in_(keys))


# --- what a lock signs --------------------------------------------------------------------------


def record_digest(session: Session, patient_id: int) -> str:
    """SHA-256 of every row of the patient's record, table by table in id order: any change to
    the record (a new row, a correction, a void, a changed identifier) changes it."""
    session.flush()
    content: dict[str, list[dict[str, Any]]] = {}
    for name in patient_tables():
        table = _TABLES[name]
        key = _key(name)
        assert key is not None
        if name in LINKED:
            parent = _TABLES[LINKED[name][1]]
            mine = select(parent.c.id).where(parent.c.patient_id == patient_id)
            where: ColumnElement[bool] = table.c[key].in_(mine)
        else:
            where = table.c[key] == patient_id
        order = list(table.primary_key.columns)
        rows = session.execute(select(table).where(where).order_by(*order)).mappings()
        content[name] = [{k: jsonable(v) for k, v in row.items()} for row in rows]
    dumped = orjson.dumps({"patient_id": patient_id, "tables": content}, option=_SORTED)
    return hashlib.sha256(dumped).hexdigest()


_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_LOCKED_WHEN = ("id", "patient_id", "locked_at", "locked_by", "content_hash")


def lock_content(session: Session, entity_id: str) -> dict[str, Any] | None:
    """What a lock signs: the lock (who, when, the digest of the record as locked) and the
    record as it is now. A change to the record after an unlock shows the lock's signature
    invalid: the record is no longer what was signed."""
    row = session.get(RecordLock, int(entity_id))
    if row is None:
        return None
    lock = {name: jsonable(getattr(row, name)) for name in _LOCKED_WHEN}
    return {"lock": lock, "record": record_digest(session, row.patient_id)}


def unlock_content(session: Session, entity_id: str) -> dict[str, Any] | None:
    """What an unlock signs: the lock it closes, who unlocked it, when and why. Not the record,
    which the unlock is there to let change."""
    row = session.get(RecordLock, int(entity_id))
    if row is None:
        return None
    kept = (*_LOCKED_WHEN, "unlocked_at", "unlocked_by", "unlock_reason")
    return {name: jsonable(getattr(row, name)) for name in kept}
