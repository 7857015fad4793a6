"""`alstrack screen` on a damaged JSON file of data elements screens the patient, or exits 1
with one message naming what is wrong; never a traceback.

The file starts as a patient's inputs in both shapes (plain, and {"value", "date"}); damage:
values of the wrong type or out of range, unknown names, dates like 2023-02-30, date-times at
the ends of the calendar, keys dropped or added, the file cut short, not UTF-8 or empty.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from properties_cast import (
    PROPERTIES,
    Damaged,
    assert_clean_exit,
    damaged,
    damaged_bytes,
)
from typer.testing import CliRunner, Result

from alstrack.cli.main import app

PATIENT: dict[str, Any] = {
    "patient.age_years": 50,
    "patient.sex": "female",
    "dx.el_escorial_category": "probable",
    "dx.symptom_onset_date": "2025-12-01",
    "fn.alsfrs_r_total": {"value": 40, "date": "2026-10-29"},
    "fn.alsfrs_r_slope_per_month": 1.0,
    "resp.fvc_percent_predicted": {"value": 82.0, "date": "2026-10-29"},
    "resp.tracheostomy": False,
    "meds.immunosuppressant_last_date": "never",
    "meds.anticoagulant_class": "doac",
    "meds.anticoagulant_last_dose_datetime": "2026-10-20T08:00:00+00:00",
    "hx.prior_cell_or_stem_cell_therapy": None,
}
# Date-times a file may hold at the ends of the calendar, in zones that move them past it.
EDGE_TIMES = st.sampled_from(
    ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-10-20T08:00:00", "2026-13-01"]
)


def _screen(tmp: pytest.TempPathFactory, content: bytes) -> Result:
    path = tmp.mktemp("screen") / "patient.json"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["screen", str(path), "--as-of", "2026-11-01"])
    note(result.output)
    assert_clean_exit(result, refused_says="alstrack screen: ")
    return result


@PROPERTIES
@given(damaged=damaged(PATIENT))
def test_damaged_inputs_are_screened_or_refused_with_the_field(
    tmp_path_factory: pytest.TempPathFactory, damaged: Damaged[Any]
) -> None:
    _screen(tmp_path_factory, json.dumps(damaged.value, default=str).encode())


@PROPERTIES
@given(
    name=st.sampled_from([n for n in PATIENT if n.endswith(("_date", "_datetime"))]),
    value=st.one_of(EDGE_TIMES, st.datetimes(timezones=st.timezones()).map(str)),
)
def test_a_date_at_the_ends_of_the_calendar_is_screened_or_refused(
    tmp_path_factory: pytest.TempPathFactory, name: str, value: str
) -> None:
    _screen(tmp_path_factory, json.dumps(PATIENT | {name: value}).encode())


@PROPERTIES
@given(damaged=damaged_bytes(json.dumps(PATIENT, indent=1).encode()))
def test_damaged_bytes_are_screened_or_refused(
    tmp_path_factory: pytest.TempPathFactory, damaged: Damaged[bytes]
) -> None:
    _screen(tmp_path_factory, damaged.value)
