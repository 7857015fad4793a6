"""The patients page gathers its rows (latest ALSFRS-R, King's stage, status) in a few queries
whatever the number of patients (services/register.py), not two queries a patient."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import event

from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.patients import PatientIn, register_patient
from alstrack.web.patient_rows import Filters, patient_list


@contextmanager
def counting(clinic: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(clinic.db.engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(clinic.db.engine, "before_cursor_execute", seen)


def _patients_with_a_score(clinic: Any, alsfrs: Any, how_many: int) -> None:
    for _ in range(how_many):
        made = register_patient(
            clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"])
        )
        visit = alsfrs(date(2024, 2, 1))
        records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, made.id, visit)


def _queries_for_the_page(clinic: Any, filters: Filters) -> int:
    with counting(clinic) as statements:
        page = patient_list(clinic.db, clinic["aude"], filters)
    assert all(row.alsfrs_r_total == 36 for row in page.rows)
    return len(statements)


def test_the_page_asks_as_often_for_a_full_page_as_for_three_patients(
    clinic: Any, alsfrs: Any
) -> None:
    _patients_with_a_score(clinic, alsfrs, 3)
    few = _queries_for_the_page(clinic, Filters())
    _patients_with_a_score(clinic, alsfrs, 27)
    many = _queries_for_the_page(clinic, Filters())
    assert many == few


def test_filtering_by_stage_asks_as_often_for_30_patients_as_for_3(
    clinic: Any, alsfrs: Any
) -> None:
    _patients_with_a_score(clinic, alsfrs, 3)
    few = _queries_for_the_page(clinic, Filters(kings_stage=1))
    _patients_with_a_score(clinic, alsfrs, 27)
    many = _queries_for_the_page(clinic, Filters(kings_stage=1))
    assert many == few
