"""Dated facts about a patient (assessments, milestones, drug courses): add, correct, void, list.

One copy of the supersede logic serves every kind: a correction is a new record that supersedes
the old one, with a reason; a record entered in error is voided, never deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from alstrack.domain.permissions import Permission
from alstrack.domain.registry import Sex
from alstrack.errors import FieldError, InvalidInput, NotFound, StepRefused
from alstrack.services.context import (
    Actor,
    audited,
    load_of_patient,
    load_patient,
    now,
    record_view,
    require_reason,
)
from alstrack.services.fields import MAX_INTEGER, Version
from alstrack.store import audit
from alstrack.store.bulk import Column, Same, insert_columns, rows_of
from alstrack.store.db import Database
from alstrack.store.models import AlsHistory, Milestone, Patient, PatientIdentity
from alstrack.store.record_locks import refuse_if_locked
from alstrack.store.versioning import update_versioned

InT = TypeVar("InT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)


@dataclass(frozen=True)
class PatientContext:
    """What presenting or checking a record needs to know about its patient."""

    patient_id: int
    site_id: int
    sex: Sex | None
    date_of_birth: date | None
    onset_date: date | None
    death_date: date | None
    gastrostomy_date: date | None = None


@dataclass(frozen=True)
class RecordKind(Generic[InT, OutT]):
    """How one kind of record is checked, stored and shown."""

    name: str
    model: Any
    input_model: type[InT]
    permission_read: Permission
    permission_write: Permission
    # Checks the input against the patient and returns the column values to store.
    prepare: Callable[[Session, PatientContext, InT], dict[str, Any]]
    present: Callable[[Any, PatientContext], OutT]
    order_by: str
    # Columns that name someone other than staff (a consent's representative and witness):
    # showing a record with one of them filled is a view of identifiable data, audited like
    # the patient's identifiers (HIPAA 164.312(b); checklist AT-6).
    identifying: tuple[str, ...] = ()
    # Checks that span the records of one import (prepare sees only what is stored already).
    check_batch: Callable[[list[dict[str, Any]]], None] | None = None
    # prepare for a whole import at once (contexts by patient id, the patient ids, the inputs):
    # the column values to store (a list per column, or Same), or None when some record needs
    # prepare itself, whose error names the record and the field at fault.
    prepare_many: (
        Callable[
            [Session, Mapping[int, PatientContext], Sequence[int], Sequence[InT]],
            dict[str, Column] | None,
        ]
        | None
    ) = None
    # Refuses (StepRefused) correcting a record whose state a correction would lose, e.g. a
    # consent already withdrawn.
    check_correctable: Callable[[Any], None] | None = None
    # Refuses voiding a record whose loss would undo something else (a consent's withdrawal).
    check_voidable: Callable[[Any], None] | None = None
    # Checks the corrected values against the record they replace (old row, new values).
    check_correction: Callable[[Any, dict[str, Any]], None] | None = None


class Correction(BaseModel, Generic[InT]):
    """A corrected record: the new values, the version of the record being corrected, and why."""

    model_config = ConfigDict(extra="forbid")
    record: InT
    version: Version
    reason: str


class Void(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version
    reason: str


META_FIELDS = ("status", "supersedes_id", "superseded_by_id", "reason", "entered_by", "entered_at")


# One statement, built once: every read and write of a record needs this context.
_CONTEXT_OF_MANY = (
    select(
        Patient.id,
        Patient.site_id,
        Patient.sex,
        PatientIdentity.date_of_birth,
        AlsHistory.onset_date,
        select(Milestone.occurred_on)
        .where(
            Milestone.patient_id == Patient.id,
            Milestone.kind == "death",
            Milestone.status == "current",
        )
        .limit(1)
        .scalar_subquery()
        .label("death_date"),
        select(Milestone.occurred_on)
        .where(
            Milestone.patient_id == Patient.id,
            Milestone.kind == "gastrostomy",
            Milestone.status == "current",
        )
        .limit(1)
        .scalar_subquery()
        .label("gastrostomy_date"),
    )
    .select_from(Patient)
    .outerjoin(PatientIdentity, PatientIdentity.patient_id == Patient.id)
    .outerjoin(AlsHistory, AlsHistory.patient_id == Patient.id)
)
_CONTEXT = _CONTEXT_OF_MANY.where(Patient.id == bindparam("patient_id"))


def _context(row: Any) -> PatientContext:
    # Unpacked by position: a Row's attributes cost about a third of a microsecond each, and
    # an import reads thousands of these.
    patient_id, site_id, sex, date_of_birth, onset_date, death_date, gastrostomy_date = row
    return PatientContext(
        patient_id=patient_id,
        site_id=site_id,
        sex="female" if sex == "female" else "male" if sex == "male" else None,
        date_of_birth=date_of_birth,
        onset_date=onset_date,
        death_date=death_date,
        gastrostomy_date=gastrostomy_date,
    )


def contexts_of(session: Session, actor: Actor, patient_ids: set[int]) -> dict[int, PatientContext]:
    """The contexts of many patients in a few queries; any unseen patient is 'not found'."""
    found: dict[int, PatientContext] = {}
    ordered = sorted(patient_ids)
    # An id past what an INTEGER column holds names no patient; PostgreSQL would fail the query.
    storable = [pid for pid in ordered if 1 <= pid <= MAX_INTEGER]
    for start in range(0, len(storable), 500):
        chunk = storable[start : start + 500]
        stmt = _CONTEXT_OF_MANY.where(Patient.id.in_(chunk))
        for row in session.execute(stmt):
            if actor.sees_site(row.site_id):
                found[row.id] = _context(row)
    missing = [pid for pid in ordered if pid not in found]
    if missing:
        raise NotFound(f"No patient {missing[0]}.")
    return found


def patient_context(session: Session, patient: Patient) -> PatientContext:
    return _context(session.execute(_CONTEXT, {"patient_id": patient.id}).one())


def _row_values(kind: RecordKind[Any, Any], row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in kind.model.__table__.columns}


def _audit_new(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in ("entered_at", "version")}


def _load(
    session: Session,
    actor: Actor,
    kind: RecordKind[Any, Any],
    record_id: int,
    *,
    lock: bool = False,
) -> tuple[Any, Patient]:
    """The record and its patient; ``lock`` serialises this change with the patient's others
    (a screening or plan approval reading the record) on PostgreSQL."""
    return load_of_patient(session, actor, kind.model, record_id, kind.name, lock=lock)


def add(
    db: Database, actor: Actor, kind: RecordKind[InT, OutT], patient_id: int, data: InT
) -> OutT:
    """Record a new fact about a patient."""
    actor.require(kind.permission_write)
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        ctx = patient_context(session, patient)
        values = kind.prepare(session, ctx, data)
        at = now()
        row = kind.model(
            **values,
            patient_id=patient_id,
            status="current",
            entered_by=actor.user_id,
            entered_at=at,
            version=1,
        )
        session.add(row)
        session.flush()
        values = _row_values(kind, row)
        audit.record(session, [_created(actor, kind, at, row.id, values, patient.site_id)])
        return kind.present(row, patient_context(session, patient))


def _created(
    actor: Actor,
    kind: RecordKind[Any, Any],
    at: datetime,
    record_id: int,
    values: dict[str, Any],
    site_id: int,
) -> dict[str, Any]:
    """The audit entry of a new record: its values as stored."""
    return audited(
        actor,
        at=at,
        action="create",
        entity=kind.name,
        entity_id=record_id,
        patient_id=values["patient_id"],
        site_id=site_id,
        new=_audit_new(values),
    )


def add_many(
    db: Database,
    actor: Actor,
    kind: RecordKind[InT, OutT],
    items: Sequence[tuple[int, InT]],
) -> int:
    """Record many facts in one transaction (imports, the demo clinic): all or nothing.

    Same checks and one audit entry per record as :func:`add`, written with bulk inserts so a
    large import is bound by the database, not by per-object bookkeeping: the kind's
    ``prepare_many`` checks the whole batch at once where it can, and the audit entries are
    written by column (``audit.record_created``).
    """
    actor.require(kind.permission_write)
    if not items:
        return 0
    with db.transaction() as session:
        patient_ids = [pid for pid, _ in items]
        contexts = contexts_of(session, actor, set(patient_ids))
        # The rows go past the session's guard on SQLite (store/bulk.py): checked here.
        refuse_if_locked(session, contexts)
        at = now()
        values = _prepared(session, kind, contexts, patient_ids, [data for _, data in items])
        _refuse_nul(values)
        values.update(
            patient_id=patient_ids, status=Same("current"), entered_by=Same(actor.user_id)
        )
        stored = values | {"entered_at": Same(at), "version": Same(1)}
        if kind.check_batch is not None:
            kind.check_batch(rows_of(stored, len(items)))
        table = kind.model.__table__
        ids = insert_columns(session, table, stored, len(items))
        # The entry shows the values as stored, bar the entry time (the entry's own) and version.
        audit.record_created(
            session,
            kind.name,
            ids,
            values,
            [contexts[pid].site_id for pid in patient_ids],
            at=at,
            user_id=actor.user_id,
            username=actor.username,
        )
        return len(items)


def _refuse_nul(columns: Mapping[str, Column]) -> None:
    """An import's text as the API takes it: PostgreSQL stores no NUL in text (SQLite would),
    and an import does not pass through the API's check (api/text.py)."""
    for name, column in columns.items():
        if isinstance(column, Same):
            continue  # the service's own value
        texts = [value for value in column if isinstance(value, str)]
        if "\x00" not in "".join(texts):
            continue
        index = next(
            i for i, value in enumerate(column) if isinstance(value, str) and "\x00" in value
        )
        message = "must not contain a NUL character (\\u0000)"
        raise InvalidInput(f"Record {index + 1}: {name} {message}", [FieldError(name, message)])


def _prepared(
    session: Session,
    kind: RecordKind[InT, Any],
    contexts: Mapping[int, PatientContext],
    patient_ids: Sequence[int],
    inputs: Sequence[InT],
) -> dict[str, Column]:
    """A batch's column values: from ``prepare_many``, else from ``prepare`` record by record."""
    if kind.prepare_many is not None:
        columns = kind.prepare_many(session, contexts, patient_ids, inputs)
        if columns is not None:
            return columns
    rows = []
    for index, (patient_id, data) in enumerate(zip(patient_ids, inputs, strict=True)):
        try:
            rows.append(kind.prepare(session, contexts[patient_id], data))
        except InvalidInput as exc:
            raise InvalidInput(f"Record {index + 1}: {exc.message}", exc.fields) from exc
    names = list(rows[0])
    if any(list(row) != names for row in rows):
        raise AssertionError(f"{kind.name}: prepare returns the same fields for every record")
    return {name: [row[name] for row in rows] for name in names}


def correct(
    db: Database, actor: Actor, kind: RecordKind[InT, OutT], record_id: int, data: Correction[InT]
) -> OutT:
    """Supersede a record with corrected values; the old one stays, marked superseded."""
    actor.require(kind.permission_write)
    reason = require_reason(data.reason)
    with db.transaction() as session:
        old, patient = _load(session, actor, kind, record_id, lock=True)
        if old.status != "current":
            raise StepRefused(
                f"{kind.name} {record_id} is {old.status.replace('_', ' ')}; "
                f"only the current record can be corrected."
            )
        if kind.check_correctable is not None:
            kind.check_correctable(old)
        old_values = _audit_new(_row_values(kind, old))
        # Supersede first, so the checks of the new values no longer see the record they replace
        # (a milestone whose date is corrected is not "recorded twice").
        update_versioned(
            session,
            kind.model,
            kind.model.id == old.id,
            data.version,
            {"status": "superseded"},
            f"{kind.name} {record_id}",
        )
        ctx = patient_context(session, patient)
        values = kind.prepare(session, ctx, data.record)
        if kind.check_correction is not None:
            kind.check_correction(old, values)
        at = now()
        new = kind.model(
            **values,
            patient_id=patient.id,
            status="current",
            supersedes_id=old.id,
            reason=reason,
            entered_by=actor.user_id,
            entered_at=at,
            version=1,
        )
        session.add(new)
        session.flush()
        session.execute(
            update(kind.model)
            .where(kind.model.id == old.id)
            .values(superseded_by_id=new.id)
            .execution_options(synchronize_session=False)
        )
        new_values = _audit_new(_row_values(kind, new))
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="correct",
                    entity=kind.name,
                    entity_id=new.id,
                    patient_id=patient.id,
                    site_id=patient.site_id,
                    old=old_values,
                    new=new_values,
                    reason=reason,
                ),
                # The superseded record's own trail says what replaced it.
                audited(
                    actor,
                    at=at,
                    action="supersede",
                    entity=kind.name,
                    entity_id=old.id,
                    patient_id=patient.id,
                    site_id=patient.site_id,
                    old={"status": "current"},
                    new={"status": "superseded", "superseded_by_id": new.id},
                    reason=reason,
                ),
            ],
        )
        return kind.present(new, ctx)


def void(
    db: Database, actor: Actor, kind: RecordKind[InT, OutT], record_id: int, data: Void
) -> OutT:
    """Mark a record entered in error. It stays in the record and in the audit trail."""
    actor.require(kind.permission_write)
    reason = require_reason(data.reason)
    with db.transaction() as session:
        row, patient = _load(session, actor, kind, record_id, lock=True)
        if row.status != "current":
            raise StepRefused(f"{kind.name} {record_id} is {row.status.replace('_', ' ')} already.")
        if kind.check_voidable is not None:
            kind.check_voidable(row)
        update_versioned(
            session,
            kind.model,
            kind.model.id == record_id,
            data.version,
            {"status": "entered_in_error", "void_reason": reason},
            f"{kind.name} {record_id}",
        )
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=now(),
                    action="void",
                    entity=kind.name,
                    entity_id=record_id,
                    patient_id=patient.id,
                    site_id=patient.site_id,
                    old={"status": "current"},
                    new={"status": "entered_in_error"},
                    reason=reason,
                )
            ],
        )
        session.refresh(row)
        return kind.present(row, patient_context(session, patient))


def get(db: Database, actor: Actor, kind: RecordKind[InT, OutT], record_id: int) -> OutT:
    actor.require(kind.permission_read)
    with db.transaction() if kind.identifying else db.read() as session:
        row, patient = _load(session, actor, kind, record_id)
        _audit_view(session, actor, kind, patient, [row])
        return kind.present(row, patient_context(session, patient))


def _audit_view(
    session: Session, actor: Actor, kind: RecordKind[Any, Any], patient: Patient, rows: list[Any]
) -> None:
    """Audit the showing of ``rows`` that name someone (``kind.identifying``), in one entry."""
    shown = [r.id for r in rows if any(getattr(r, f) for f in kind.identifying)]
    if shown:
        record_view(
            session,
            actor,
            patient,
            entity=kind.name,
            entity_id=shown[0] if len(shown) == 1 else None,
            new={"records": shown, "fields": list(kind.identifying)},
        )


def current_rows(session: Session, kind: RecordKind[Any, Any], patient_id: int) -> Iterable[Any]:
    model = kind.model
    return session.scalars(
        select(model)
        .where(model.patient_id == patient_id, model.status == "current")
        .order_by(getattr(model, kind.order_by), model.id)
    )


def list_for_patient(
    db: Database,
    actor: Actor,
    kind: RecordKind[InT, OutT],
    patient_id: int,
    *,
    include_history: bool = False,
) -> list[OutT]:
    """A patient's records of one kind in date order; superseded and voided ones on request."""
    actor.require(kind.permission_read)
    with db.transaction() if kind.identifying else db.read() as session:
        patient = load_patient(session, actor, patient_id)
        ctx = patient_context(session, patient)
        model = kind.model
        stmt = select(model).where(model.patient_id == patient_id)
        if not include_history:
            stmt = stmt.where(model.status == "current")
        rows = list(session.scalars(stmt.order_by(getattr(model, kind.order_by), model.id)))
        _audit_view(session, actor, kind, patient, rows)
        return [kind.present(r, ctx) for r in rows]
