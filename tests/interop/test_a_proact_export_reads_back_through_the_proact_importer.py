"""`alstrack export proact` then `alstrack import proact` of the folder: each subject comes back
with the registry's ALSFRS-R items and totals, FVC, onset and diagnosis, on the day offsets
PRO-ACT defines (day 0: the first dose, or for a patient never dosed the first assessment)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from research_reading import cli_on, run
from sqlalchemy import select

from alstrack.cli import imports
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT, SPIROMETRY, SpirometryIn
from alstrack.store.db import Database
from alstrack.store.models import (
    ExternalAlsfrs,
    ExternalFvc,
    ExternalSubject,
    InstrumentAssessment,
    Patient,
    SpirometryTest,
)

MARIAS_DOSE = date(2026, 11, 1)
PATS_FIRST_VISIT = date(2024, 3, 1)


@pytest.fixture(autouse=True)
def cli(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The commands on the clinic's database. `alstrack import proact` does not dispose of the
    database it opens: its connections are closed here, before a later test would see them
    collected (a ResourceWarning, an error where warnings are errors)."""
    opened: list[Database] = []

    def database() -> Database:
        db = open_database()
        opened.append(db)
        return db

    open_database = imports.database
    monkeypatch.setattr(imports, "database", database)
    with cli_on(clinic.db.url, monkeypatch):
        yield
    for db in opened:
        db.dispose()


@pytest.fixture
def pat_followed(clinic: Any, pat: Any, alsfrs: Any) -> Any:
    """Pat, never dosed: ALSFRS-R on 1 March and 1 June 2024, FVC 3.8 L on 1 March."""
    alice = clinic["alice"]
    records.add(clinic.db, alice, INSTRUMENT_ASSESSMENT, pat.id, alsfrs(PATS_FIRST_VISIT, q1=2))
    records.add(clinic.db, alice, INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 6, 1), q12=1))
    records.add(
        clinic.db, alice, SPIROMETRY, pat.id,
        SpirometryIn(assessed_on=PATS_FIRST_VISIT, assessed_by="Nina Okafor", fvc_l=3.8,
                     height_cm=178),
    )  # fmt: skip
    return pat


def _registry(clinic: Any, patient_id: int, day0: date) -> tuple[dict[int, Any], dict[int, Any]]:
    """The registry's ALSFRS-R items and FVC of the patient, by day offset from ``day0``."""
    with clinic.db.read() as session:
        visits = session.scalars(
            select(InstrumentAssessment).where(
                InstrumentAssessment.patient_id == patient_id,
                InstrumentAssessment.status == "current",
            )
        ).all()
        tests = session.scalars(
            select(SpirometryTest).where(SpirometryTest.patient_id == patient_id)
        ).all()
        return (
            {(v.assessed_on - day0).days: dict(v.responses) for v in visits},
            {(t.assessed_on - day0).days: (t.fvc_l, t.fvc_percent_predicted) for t in tests},
        )


def _imported(clinic: Any, subject: str) -> tuple[Any, dict[int, Any], dict[int, Any]]:
    with clinic.db.read() as session:
        one = session.scalars(
            select(ExternalSubject).where(ExternalSubject.subject == subject)
        ).one()
        alsfrs = {
            a.delta_days: ({k: v for k, v in a.items.items() if v is not None}, a.total)
            for a in session.scalars(
                select(ExternalAlsfrs).where(ExternalAlsfrs.subject_id == one.id)
            )
        }
        fvc = {
            f.delta_days: (f.litres, f.percent_predicted)
            for f in session.scalars(select(ExternalFvc).where(ExternalFvc.subject_id == one.id))
        }
        return one, alsfrs, fvc


def test_the_imported_cohort_holds_the_registrys_visits_on_their_day_offsets(
    clinic: Any, followed: Any, pat_followed: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "proact"
    result = run("export", "proact", "--as", "olga", "--output", str(folder))
    assert result.exit_code == 0, result.output
    result = run("import", "proact", str(folder), "--name", "Round trip", "--as", "olga")
    assert result.exit_code == 0, result.output
    assert "0 rows refused" in result.stdout

    with clinic.db.read() as session:
        study = {i: s for i, s in session.execute(select(Patient.id, Patient.study_id))}
    maria, m_alsfrs, m_fvc = _imported(clinic, study[followed.patient_id])
    want_alsfrs, want_fvc = _registry(clinic, followed.patient_id, MARIAS_DOSE)
    # 44, 41 and 40 before the dose (10 Jul, 1 Sep, 29 Oct), 38 and 36 after (1 Feb, 3 May).
    assert {d: total for d, (_, total) in m_alsfrs.items()} == {
        -114: 44,
        -61: 41,
        -3: 40,
        92: 38,
        183: 36,
    }
    assert {d: items for d, (items, _) in m_alsfrs.items()} == {
        d: {k: float(v) for k, v in items.items()} for d, items in want_alsfrs.items()
    }
    assert m_fvc == want_fvc
    assert m_fvc[-3][0] == 3.1
    assert (maria.onset_delta_days, maria.diagnosis_delta_days) == (
        (date(2025, 12, 1) - MARIAS_DOSE).days,
        (date(2026, 5, 1) - MARIAS_DOSE).days,
    )
    assert (maria.sex, maria.onset_region, maria.died) == ("female", "spinal", False)
    assert maria.age_years == 50  # born March 1976, dosed November 2026

    pat, p_alsfrs, p_fvc = _imported(clinic, study[pat_followed.id])
    want_alsfrs, want_fvc = _registry(clinic, pat_followed.id, PATS_FIRST_VISIT)
    assert {d: total for d, (_, total) in p_alsfrs.items()} == {0: 35, 92: 34}
    assert {d: items for d, (items, _) in p_alsfrs.items()} == {
        d: {k: float(v) for k, v in items.items()} for d, items in want_alsfrs.items()
    }
    assert p_fvc == want_fvc
    assert pat.onset_delta_days == (date(2023, 1, 16) - PATS_FIRST_VISIT).days < 0
    assert pat.diagnosis_delta_days == (date(2023, 9, 4) - PATS_FIRST_VISIT).days
    assert (pat.sex, pat.onset_region, pat.age_years) == ("male", "bulbar", 65)
