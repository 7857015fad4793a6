"""The cast every test shares: one program with two sites and a user for each role.

Every database test runs twice, on SQLite and on PostgreSQL. PostgreSQL is found at
ALSTRACK_TEST_POSTGRES_URL (default: the local server, database `test`); each pytest worker
gets its own fresh database there, emptied before each test. Where no server answers, the
PostgreSQL leg is skipped and says so in the summary.

The cast (`clinic`) is built for real, through the services, once per worker and per clock and
settings, and copied into the database of each test that asks for it (`CastStore`).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from alstrack.api.app import create_app
from alstrack.config import Settings
from alstrack.domain.permissions import needs_second_factor, signs
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
from signing_cast import PASSWORD, SECRET, set_up_app

PG_ADMIN_URL = os.environ.get(
    "ALSTRACK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_available() -> str | None:
    # psycopg itself, closed on leaving the block: an engine's first connection outlived its
    # dispose() and was reported unclosed when collected, in whichever test that happened.
    try:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3) as conn:
            conn.execute("select 1")
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


@pytest.fixture(scope="session")
def casts(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> CastStore:
    return CastStore(tmp_path_factory.mktemp("casts"), sqlite_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path, casts: CastStore) -> Iterator[Database]:
    """A database holding nothing, or, for a test that asks for the `clinic`, the cast: built
    once per worker (and per clock and settings it was built under) and copied in from then
    on, as building it (eight users, their passwords, tokens and certifications, each an audited
    transaction) cost more than most tests' own work."""
    with_cast = "clinic" in request.fixturenames and "shipped_hasher" not in request.node.name
    key = casts.key() if with_cast else None
    if request.param == "sqlite":
        path = tmp_path / "alstrack.db"
        shutil.copy(casts.sqlite_file(key), path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(request.getfixturevalue("pg_url"))
        casts.reset_postgresql(database, key)
    _LOADED[id(database)] = casts.cast(database, key) if key is not None else None
    yield database
    _LOADED.pop(id(database), None)
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
        if signs(role):
            attestations.attest(
                self.db, self.people[username], attestations.AttestationIn(password=SECRET)
            )
        # Admins and the roles that sign log in with a one-time code too (services/mfa.py).
        if needs_second_factor(role):
            set_up_app(self.db, self.people[username])
        return self.people[username]


def _build_cast(db: Database) -> Clinic:
    system = users.system_actor(db)
    c = Clinic(db=db, system=system)
    for code, name in (("NORTH", "Northgate Clinic"), ("SOUTH", "Southbank Clinic")):
        c.sites[code] = create_site(db, system, SiteIn(code=code, name=name)).id
    for username, (display, role, codes) in CAST.items():
        c.join(username, display, role, codes)
    return c


# The cast already in each test's database (by id of its Database), put there by `db`.
_LOADED: dict[int, Clinic | None] = {}

# The clock and settings a cast was built under: a test whose clock stands elsewhere (or whose
# ALSTRACK_* settings differ) gets a cast built under its own, as it would have without copies.
CastKey = tuple[datetime | None, tuple[tuple[str, str], ...]]
_REAL_CLOCK = (datetime.now(UTC), time.monotonic())  # read before any test moves the clock


class CastStore:
    """The cast, built once per key and copied into each test's database from then on: a file
    for SQLite, a schema of copies for PostgreSQL (one per worker database)."""

    def __init__(self, directory: Path, empty_sqlite: Path) -> None:
        self.directory = directory
        self.empty_sqlite = empty_sqlite
        self.casts: dict[tuple[str, CastKey], Clinic] = {}
        self.sqlite_files: dict[CastKey, Path] = {}
        self.pg_schemas: dict[tuple[str, CastKey], tuple[str, list[str], dict[str, int]]] = {}

    @staticmethod
    def key() -> CastKey:
        now = datetime.now(UTC)
        real = _REAL_CLOCK[0] + timedelta(seconds=time.monotonic() - _REAL_CLOCK[1])
        moved = None if abs(now - real) < timedelta(minutes=1) else now
        settings = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("ALSTRACK_")))
        return moved, settings

    def cast(self, database: Database, key: CastKey) -> Clinic:
        return self.casts[(self._where(database), key)]

    @staticmethod
    def _where(database: Database) -> str:
        # Every SQLite copy comes from one file; each PostgreSQL worker database has its own.
        return "sqlite" if database.url.startswith("sqlite") else database.url

    def sqlite_file(self, key: CastKey | None) -> Path:
        if key is None:
            return self.empty_sqlite
        if key not in self.sqlite_files:
            path = self.directory / f"cast-{len(self.sqlite_files)}.db"
            shutil.copy(self.empty_sqlite, path)
            database = Database(f"sqlite:///{path}")
            self.casts[("sqlite", key)] = _build_cast(database)
            database.dispose()
            self.sqlite_files[key] = path
        return self.sqlite_files[key]

    def reset_postgresql(self, database: Database, key: CastKey | None) -> None:
        """Empty every table of the worker's database and restart its sequences, then copy the
        cast in. DELETE with triggers and foreign keys set aside (session_replication_role,
        which needs a superuser, as the local test server's `postgres` is) takes a few
        milliseconds where TRUNCATE of every table took a third of a second."""
        sequences = self._sequences(database)
        statements = ["SET LOCAL session_replication_role = replica"]
        statements += [f'DELETE FROM "{t.name}"' for t in Base.metadata.sorted_tables]
        restart = dict.fromkeys(sequences, 0)
        if key is not None and (database.url, key) in self.pg_schemas:
            schema, tables, values = self.pg_schemas[(database.url, key)]
            statements += [
                f'INSERT INTO "{t}" OVERRIDING SYSTEM VALUE SELECT * FROM {schema}."{t}"'
                for t in tables
            ]
            restart |= values
        if restart:
            statements.append(
                "SELECT "
                + ", ".join(
                    f"setval('\"{name}\"', {value or 1}, {'true' if value else 'false'})"
                    for name, value in restart.items()
                )
            )
        with database.engine.begin() as conn:
            conn.exec_driver_sql("; ".join(statements))
        if key is not None and (database.url, key) not in self.pg_schemas:
            self.casts[(database.url, key)] = _build_cast(database)
            self._snapshot_postgresql(database, key)

    def _sequences(self, database: Database) -> list[str]:
        with database.engine.connect() as conn:
            return list(
                conn.scalars(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                )
            )

    def _snapshot_postgresql(self, database: Database, key: CastKey) -> None:
        schema = f"cast_{len(self.pg_schemas)}"
        with database.engine.begin() as conn:
            tables = [
                t.name
                for t in Base.metadata.sorted_tables
                if conn.scalar(select(func.count()).select_from(t))
            ]
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            for name in tables:
                conn.exec_driver_sql(f'CREATE TABLE {schema}."{name}" AS TABLE "{name}"')
            values = {
                name: value
                for name, value in conn.execute(
                    text(
                        "SELECT sequencename, last_value FROM pg_sequences "
                        "WHERE schemaname = 'public' AND last_value IS NOT NULL"
                    )
                )
            }
        self.pg_schemas[(database.url, key)] = (schema, tables, values)


@pytest.fixture
def clinic(db: Database) -> Clinic:
    cast = _LOADED.get(id(db))
    if cast is None:  # a test with the shipped hasher: its cast's passwords are hashed with it
        return _build_cast(db)
    return Clinic(
        db=db,
        system=cast.system,
        sites=dict(cast.sites),
        people=dict(cast.people),
        tokens=dict(cast.tokens),
    )


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
