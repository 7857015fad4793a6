"""The cast every test shares: one program with two sites and a user for each role.

Every database test runs twice, on SQLite and on PostgreSQL. PostgreSQL is found at
ALSTRACK_TEST_POSTGRES_URL (default: the local server, database `test`); each pytest worker
gets its own fresh database there. Where no server answers, the PostgreSQL leg is skipped and
says so in the summary.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from alstrack.api.app import create_app
from alstrack.config import Settings
from alstrack.domain.permissions import allows
from alstrack.services import attestations, auth, patients, records, users
from alstrack.services.assessments import InstrumentAssessmentIn
from alstrack.services.consent_documents import install_document, template_in
from alstrack.services.consents import CONSENT, ConsentIn, ConsentOut
from alstrack.services.context import Actor
from alstrack.services.patients import HistoryIn, IdentityIn, PatientIn, PatientOut
from alstrack.services.sites import SiteIn, create_site
from alstrack.services.users import UserIn
from alstrack.store.db import Database
from alstrack.store.migrate import upgrade
from alstrack.store.models import Base
from signing_cast import PASSWORD, SECRET

PG_ADMIN_URL = os.environ.get(
    "ALSTRACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL leg NOT RUN: no server at {PG_ADMIN_URL} ({type(exc).__name__})"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    # One database per xdist worker ("main" when the suite runs without xdist).
    worker_id = getattr(request.config, "workerinput", {}).get("workerid", "main")
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    name = f"alstrack_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "alstrack.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("pg_url")
        database = Database(url)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with database.engine.begin() as conn:
            # The audit log refuses TRUNCATE (migration 0012): only a fresh test database may
            # lift that, for this one transaction.
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate"))
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate"))
    yield database
    database.dispose()


CAST = {
    "alice": ("Alice Moreau", "coordinator", ["NORTH"]),
    "chen": ("Dr Wei Chen", "physician", ["NORTH"]),
    "nina": ("Nina Okafor", "nurse", ["NORTH"]),
    "ben": ("Ben Hart", "lab_technician", ["NORTH"]),
    "olga": ("Olga Lind", "data_analyst", ["NORTH"]),
    "aude": ("Aude Marchand", "auditor", []),
    "adam": ("Adam Novak", "admin", []),
    "sami": ("Sami Haddad", "coordinator", ["SOUTH"]),
}


@pytest.fixture(autouse=True)
def quick_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small costs: the shipped parameters (64 MiB, 3 passes) take most of a
    second per hash on a busy test machine, and every cast member has a password. Tests named
    "…shipped_hasher…" keep the shipped ones."""
    if "shipped_hasher" in request.node.name:
        return
    monkeypatch.setattr(
        auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


# The permissions of the signed acts (plan approval, screening review, release and donor
# determination, administration, expedited report, record lock).
SIGNING_PERMISSIONS = (
    "plans.approve",
    "screenings.review",
    "products.release",
    "products.administer",
    "safety.report",
    "records.lock",
)


@dataclass
class Clinic:
    """Northgate (NORTH) and Southbank (SOUTH) clinics and their staff."""

    db: Database
    system: Actor
    sites: dict[str, int] = field(default_factory=dict)
    people: dict[str, Actor] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, username: str) -> Actor:
        return self.people[username]

    def join(self, username: str, display: str, role: str, codes: list[str]) -> Actor:
        """Add someone to the cast: a user with the cast's password and an API token, who has
        certified their signatures (21 CFR 11.100(c)) and so may sign."""
        users.create_user(
            self.db,
            self.system,
            UserIn(username=username, display_name=display, role=role, site_codes=codes),
        )
        auth.set_initial_password(self.db, self.system, username, PASSWORD)
        self.tokens[username] = users.issue_token(self.db, self.system, username, "tests")
        self.people[username] = users.authenticate(self.db, self.tokens[username])
        # Only a role that may sign something certifies (each certification is a signed,
        # audited transaction, and nearly every test builds the cast).
        if any(allows(role, p) for p in SIGNING_PERMISSIONS):
            attestations.attest(
                self.db, self.people[username], attestations.AttestationIn(password=SECRET)
            )
        return self.people[username]


@pytest.fixture
def clinic(db: Database) -> Clinic:
    system = users.system_actor(db)
    c = Clinic(db=db, system=system)
    for code, name in (("NORTH", "Northgate Clinic"), ("SOUTH", "Southbank Clinic")):
        c.sites[code] = create_site(db, system, SiteIn(code=code, name=name)).id
    for username, (display, role, codes) in CAST.items():
        c.join(username, display, role, codes)
    return c


@pytest.fixture
def api(clinic: Clinic) -> Callable[[str | None], TestClient]:
    """A client of the REST API acting as one of the cast (or anonymous with None)."""
    app = create_app(Settings(), db=clinic.db)

    def client(username: str | None) -> TestClient:
        c = TestClient(app)
        if username is not None:
            c.headers["Authorization"] = f"Bearer {clinic.tokens[username]}"
        return c

    return client


# --- Pat, the patient most tests use, and a count of everything stored -----------------------

PAT_IDENTITY = IdentityIn(
    given_name="Pat",
    family_name="Kowalski",
    date_of_birth=date(1958, 4, 2),
    record_number="MRN-4471",
)
PAT_HISTORY = HistoryIn(
    onset_date=date(2023, 1, 16),
    onset_region="bulbar",
    diagnosis_date=date(2023, 9, 4),
    diagnostic_criteria="revised_el_escorial",
    diagnostic_category="probable",
    genetics=["c9orf72"],
    ftd="no",
    family_history="yes",
)


@pytest.fixture
def pat(clinic: Any) -> PatientOut:
    """Pat Kowalski, registered at NORTH by Alice: male, born 1958, bulbar onset in January 2023."""
    return patients.register_patient(
        clinic.db,
        clinic["alice"],
        PatientIn(
            site_id=clinic.sites["NORTH"], sex="male", identity=PAT_IDENTITY, history=PAT_HISTORY
        ),
    )


@pytest.fixture
def stored(clinic: Any) -> Callable[[], dict[str, int]]:
    """Rows in every table, audit log included."""

    def count() -> dict[str, int]:
        with clinic.db.read() as session:
            return {
                t.name: session.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables
            }

    return count


@pytest.fixture
def alsfrs() -> Callable[..., InstrumentAssessmentIn]:
    """An ALSFRS-R form scored 3 on every item (total 36); items given as keywords override."""

    def form(assessed_on: date, by: str = "Dr Wei Chen", **items: Any) -> InstrumentAssessmentIn:
        responses = {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}
        responses |= items
        return InstrumentAssessmentIn(
            instrument="alsfrs_r",
            assessed_on=assessed_on,
            assessed_by=by,
            responses={k: v for k, v in responses.items() if v is not None},
        )

    return form


# --- consent: what screening and every procedure need first ----------------------------------

CONSENT_IN_FORCE_FROM = date(2024, 1, 1)


@pytest.fixture
def consented(clinic: Any) -> Callable[..., ConsentOut]:
    """Record a patient's consent (signed by the patient on 2 January 2024 unless told) to the
    default template, which Adam installs, in force from 1 January 2024, on first use."""
    installed: list[int] = []

    def record(patient_id: int, on: date = date(2024, 1, 2), **fields: Any) -> ConsentOut:
        if not installed:
            document = install_document(
                clinic.db, clinic["adam"], template_in(CONSENT_IN_FORCE_FROM)
            )
            installed.append(document.id)
        data = {"document_id": installed[0], "consented_on": on, "signed_by": "patient"} | fields
        return records.add(clinic.db, clinic["alice"], CONSENT, patient_id, ConsentIn(**data))

    return record
