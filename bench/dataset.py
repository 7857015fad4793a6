"""Shared set-up for the database benchmarks: fresh migrated SQLite files and a synthetic clinic.

Patients come from the demo generator (untreated natural history, all marked synthetic) and are
registered through the ordinary services, one transaction each, as the demo loader does.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from alstrack.analysis.synthetic import SyntheticPatient, simulate_clinic
from alstrack.services import users
from alstrack.services.context import Actor
from alstrack.services.patients import HistoryIn, IdentityIn, PatientIn, register_patient
from alstrack.services.sites import SiteIn, create_site
from alstrack.services.users import UserIn
from alstrack.store.db import Database
from alstrack.store.migrate import upgrade

# A fixed "today" keeps the data set the same from one day to the next (and never in the future).
DATA_DAY = date(2025, 1, 1)
SITES = (("BENCHN", "Bench North (synthetic)"), ("BENCHS", "Bench South (synthetic)"))


@dataclass(frozen=True)
class Clinic:
    """A migrated database with two sites and registered synthetic patients."""

    db: Database
    path: Path
    system: Actor
    site_ids: tuple[int, ...]
    # (patient id, the simulated patient behind it), in registration order.
    patients: list[tuple[int, SyntheticPatient]]


def migrated_sqlite(path: Path) -> Database:
    """A new SQLite database at ``path`` with the current schema."""
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    return db


def build_clinic(path: Path, n_patients: int, seed: int = 7) -> Clinic:
    """Migrate a fresh database and register ``n_patients`` with identifiers and ALS history."""
    db = migrated_sqlite(path)
    system = users.system_actor(db)
    site_ids = tuple(
        create_site(db, system, SiteIn(code=code, name=name, synthetic=True)).id
        for code, name in SITES
    )
    patients = []
    for index, sp in enumerate(simulate_clinic(n_patients, seed, DATA_DAY)):
        out = register_patient(db, system, _patient_in(site_ids[index % len(site_ids)], sp))
        patients.append((out.id, sp))
    return Clinic(db=db, path=path, system=system, site_ids=site_ids, patients=patients)


def _patient_in(site_id: int, sp: SyntheticPatient) -> PatientIn:
    return PatientIn(
        site_id=site_id,
        sex=sp.sex,  # type: ignore[arg-type]
        synthetic=True,
        identity=IdentityIn(
            given_name=sp.given_name, family_name=sp.family_name, date_of_birth=sp.date_of_birth
        ),
        history=HistoryIn.model_validate(
            {
                "onset_date": sp.onset_date,
                "onset_region": sp.onset_region,
                "diagnosis_date": sp.diagnosis_date,
                "diagnostic_criteria": "revised_el_escorial",
                "diagnostic_category": sp.diagnostic_category,
                "genetics": sp.genetics,
                "ftd": sp.ftd,
                "family_history": sp.family_history,
            }
        ),
    )


def add_reader(clinic: Clinic, username: str = "bench-reader") -> str:
    """A physician at every site of the clinic; returns an API token for them."""
    codes = [code for code, _ in SITES]
    users.create_user(
        clinic.db,
        clinic.system,
        UserIn(username=username, display_name="Bench reader (synthetic)", role="physician",
               site_codes=codes),
    )  # fmt: skip
    return users.issue_token(clinic.db, clinic.system, username, "benchmark")


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (WAL included), through SQLite's backup API."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def sqlite_version() -> str:
    return sqlite3.sqlite_version
