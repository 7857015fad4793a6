"""What the audit tests share: an attacker with database access, and the chain's check."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlalchemy import Executable, select, text

from alstrack.services import audit_trail, patients, records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.patients import IdentityIn, IdentityUpdate, PatientIn
from alstrack.store.audit_chain import ChainReport
from alstrack.store.db import Database
from alstrack.store.models import AuditEntry

# The triggers of migration 0012, as an attacker who holds the database would lift them.
_LIFT = {
    "sqlite": ("DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"),
    "postgresql": ("ALTER TABLE audit_log DISABLE TRIGGER USER",),
}


@pytest.fixture
def tamper(db: Database) -> Iterator[Callable[..., None]]:
    """Run SQL on audit_log (text or a statement) with its triggers lifted first; on
    PostgreSQL they are put back afterwards, as the worker's database serves the next tests
    (each SQLite test has a fresh file)."""
    lifted: list[bool] = []

    def run(statement: str | Executable, params: dict[str, Any] | None = None) -> None:
        with db.engine.begin() as conn:
            if not lifted:
                for lift in _LIFT[db.dialect]:
                    conn.execute(text(lift))
                lifted.append(True)
            conn.execute(text(statement) if isinstance(statement, str) else statement, params or {})

    yield run
    if lifted and db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _migration_0012() -> Any:
    folder = Path(str(files("alstrack.store") / "migrations" / "versions"))
    spec = importlib.util.spec_from_file_location("m0012", folder / "0012_audit_hash_chain.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def put_back(db: Database) -> Callable[[], None]:
    """Put audit_log's triggers back as migration 0012 made them, as an attacker who covers their
    tracks would after tampering."""

    def run() -> None:
        with db.engine.begin() as conn:
            if db.dialect == "postgresql":
                conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
            else:
                for statement in _migration_0012()._SQLITE_TRIGGERS:
                    conn.execute(text(statement))

    return run


@pytest.fixture
def verify(db: Database) -> Callable[..., ChainReport]:
    def run(anchor: str | None = None) -> ChainReport:
        return audit_trail.verify(db, anchor=anchor)

    return run


@pytest.fixture
def entries(db: Database) -> Callable[[], list[AuditEntry]]:
    """Every stored entry, in id order."""

    def read() -> list[AuditEntry]:
        with db.read() as session:
            return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))

    return read


@pytest.fixture
def reviewed(clinic: Any, alsfrs: Any) -> Any:
    """Pat's trail over three days of March 2024: Alice registers Pat on the 1st (patient,
    identity, history); Dr Chen enters a visit on the 2nd; Alice corrects the record number on
    the 3rd. Pat (the patient) and the entries' ids by what they record are returned."""
    with time_machine.travel(datetime(2024, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        pat = patients.register_patient(
            clinic.db,
            clinic["alice"],
            PatientIn(site_id=clinic.sites["NORTH"], sex="male", identity=IDENTITY),
        )
    with time_machine.travel(datetime(2024, 3, 2, 23, 59, 59, tzinfo=UTC), tick=False):
        records.add(
            clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 28))
        )
    with time_machine.travel(datetime(2024, 3, 3, 0, 0, tzinfo=UTC), tick=False):
        fixed = IDENTITY.model_dump() | {"record_number": "MRN-4472"}
        patients.set_identity(
            clinic.db,
            clinic["alice"],
            pat.id,
            IdentityUpdate(**fixed, version=1, reason="Transposed digits"),
        )
    return pat


IDENTITY = IdentityIn(
    given_name="Pat",
    family_name="Kowalski",
    date_of_birth=date(1958, 4, 2),
    record_number="MRN-4471",
)
