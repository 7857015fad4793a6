"""Fixtures of the cohort tests: the facility number products need, and the treated cohort of
treated_cast.py, dosed on DOSE_DAY and followed for a year."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from treated_cast import (
    AFTER,
    BEFORE,
    LATER,
    NOW,
    PLANS,
    TOTALS,
    Treated,
    alsfrs_form,
    dosed,
    registered,
)

from alstrack.config import get_settings
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT


@pytest.fixture
def facility(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")
    get_settings.cache_clear()
    yield "G1234"
    get_settings.cache_clear()


@pytest.fixture
def treated(clinic: Any, consented: Any, time_machine: Any, facility: str) -> list[Treated]:
    """The five patients, dosed on DOSE_DAY and followed for a year; the clock at LATER."""
    time_machine.move_to(NOW, tick=False)
    clinic.join("quinn", "Quinn Adler", "qa", ["NORTH"])
    cohort = []
    for number, (totals, (source, route, per_kg)) in enumerate(zip(TOTALS, PLANS, strict=True)):
        pid = registered(clinic, consented, number, totals[: len(BEFORE)])
        dosed(clinic, pid, number, source, route, per_kg)
        cohort.append(Treated(pid, source, route, per_kg, totals))
    time_machine.move_to(LATER, tick=False)
    for patient in cohort:
        for on, total in zip(AFTER, patient.totals[len(BEFORE) :], strict=True):
            records.add(
                clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, patient.patient_id,
                alsfrs_form(on, total),
            )  # fmt: skip
    return cohort
