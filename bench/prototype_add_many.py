"""A prototype of the faster `records.add_many` proposed for the lead, measured beside the real one.

Not a benchmark (run.py skips it) and not the service: it copies `add_many` with two changes,
so the gain can be shown before src/ is touched:
1. patient contexts loaded with four IN queries per chunk, not four queries per patient;
2. on SQLite, one plain executemany INSERT and ids taken from max(id), instead of
   INSERT ... RETURNING with sort_by_parameter_order, which SQLAlchemy cannot batch on SQLite
   ("insertmanyvalues ... ordered; batch not supported": one statement per row). The
   transaction holds SQLite's one write lock from its first INSERT to COMMIT, and SQLite gives a
   new row max(rowid) + 1, so the ids of one executemany are consecutive.
Run: .venv/bin/python -m bench.prototype_add_many [rows]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from alstrack.errors import InvalidInput, NotFound
from alstrack.services.context import Actor, now
from alstrack.services.records import PatientContext, RecordKind, _audit_new
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import AlsHistory, Milestone, Patient, PatientIdentity
from bench.bench_writes import make_items, time_service
from bench.dataset import build_clinic


def patient_contexts(
    session: Session, actor: Actor, ids: Sequence[int]
) -> dict[int, PatientContext]:
    """Contexts of many patients in four queries per 500 ids (under SQLite's variable limit)."""
    out: dict[int, PatientContext] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        patients = {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_(part)))}
        onset = dict(
            session.execute(
                select(AlsHistory.patient_id, AlsHistory.onset_date).where(
                    AlsHistory.patient_id.in_(part)
                )
            ).all()
        )
        born = dict(
            session.execute(
                select(PatientIdentity.patient_id, PatientIdentity.date_of_birth).where(
                    PatientIdentity.patient_id.in_(part)
                )
            ).all()
        )
        died = dict(
            session.execute(
                select(Milestone.patient_id, Milestone.occurred_on).where(
                    Milestone.patient_id.in_(part),
                    Milestone.kind == "death",
                    Milestone.status == "current",
                )
            ).all()
        )
        for pid in part:
            p = patients.get(pid)
            if p is None or not actor.sees_site(p.site_id):
                raise NotFound(f"No patient {pid}.")
            out[pid] = PatientContext(
                pid, p.site_id, p.sex, born.get(pid), onset.get(pid), died.get(pid)
            )
    return out


def add_many(
    db: Database, actor: Actor, kind: RecordKind[Any, Any], items: Sequence[tuple[int, Any]]
) -> int:
    actor.require(kind.permission_write)
    if not items:
        return 0
    with db.transaction() as session:
        contexts = patient_contexts(session, actor, sorted({pid for pid, _ in items}))
        at = now()
        rows = []
        for index, (patient_id, data) in enumerate(items):
            try:
                values = kind.prepare(session, contexts[patient_id], data)
            except InvalidInput as exc:
                raise InvalidInput(f"Record {index + 1}: {exc.message}", exc.fields) from exc
            values.update(
                patient_id=patient_id,
                status="current",
                entered_by=actor.user_id,
                entered_at=at,
                version=1,
            )
            rows.append(values)
        table = kind.model.__table__
        if db.dialect == "sqlite":
            session.execute(insert(table), rows)
            last = session.scalar(select(func.max(table.c.id)))
            ids = list(range(last - len(rows) + 1, last + 1))
        else:
            ids = list(
                session.scalars(
                    insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
                )
            )
        audit.record(
            session,
            [
                audit.entry(
                    at=at,
                    user_id=actor.user_id,
                    username=actor.username,
                    action="create",
                    entity=kind.name,
                    entity_id=row_id,
                    patient_id=values["patient_id"],
                    site_id=contexts[values["patient_id"]].site_id,
                    new=_audit_new(values),
                )
                for row_id, values in zip(ids, rows, strict=True)
            ],
        )
        return len(rows)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as folder:
        for label, fn in (("current", None), ("proposed", add_many)):
            clinic = build_clinic(Path(folder) / f"{label}.db", max(1, rows // 10))
            items = make_items(clinic, rows)
            if fn is not None:
                import alstrack.services.records as records_module

                original = records_module.add_many
                records_module.add_many = fn  # type: ignore[assignment]
                try:
                    seconds = time_service(clinic, items, min(10_000, rows))
                finally:
                    records_module.add_many = original
            else:
                seconds = time_service(clinic, items, min(10_000, rows))
            print(f"{label}: {rows / seconds:,.0f} rows/s")
            clinic.db.dispose()


if __name__ == "__main__":
    main()
