"""A PRO-ACT folder damaged in any way imports every row that can be taken, each other row
refused with its file, line and reason, or nothing at all with the file that cannot be read
named; `alstrack import proact` exits 0 or 1 with that message, never with a traceback.

The folder starts as a small made-up export (never real PRO-ACT data): the ALSFRS, history,
death, FVC and demographics tables. Damage: odd cells (huge day offsets, non-numbers, NULs,
long subject ids, dates where numbers go), columns dropped or added, rows short or long or
twice, headers renamed, a table removed, a file's bytes damaged.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st
from properties_cast import (
    PROPERTIES,
    Damaged,
    Table,
    assert_clean_exit,
    assert_names,
    csv_bytes,
    damaged_tables,
    outcome,
)
from typer.testing import CliRunner

from alstrack.cli import common, imports
from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.domain.proact import FILES
from alstrack.errors import AlstrackError, InvalidInput
from alstrack.services import external_cohorts
from alstrack.store.db import Database

_names = itertools.count(1)

ITEMS = [
    "Q1_Speech", "Q2_Salivation", "Q3_Swallowing", "Q4_Handwriting",
    "Q5a_Cutting_without_Gastrostomy", "Q6_Dressing_and_Hygiene", "Q7_Turning_in_Bed",
    "Q8_Walking", "Q9_Climbing_Stairs", "R_1_Dyspnea", "R_2_Orthopnea",
    "R_3_Respiratory_Insufficiency",
]  # fmt: skip
EXPORT: dict[str, Table] = {
    "alsfrs.csv": (
        ["subject_id", *ITEMS, "ALSFRS_Delta"],
        [
            ["101", *"444333322444", "0"],
            ["101", *"443333322", "4", "3.5", "4", "91"],
            ["102", *"333333322333", "-3"],
        ],
    ),
    "AlsHistory.csv": (
        ["subject_id", "Site_of_Onset", "Onset_Delta", "Diagnosis_Delta"],
        [["101", "Onset: Bulbar", "-400", "-100"], ["102", "Onset: Limb", "-700", "-300"]],
    ),
    "DeathData.csv": (["subject_id", "Subject_Died", "Death_Days"], [["101", "Yes", "420"]]),
    "Fvc.csv": (
        ["subject_id", "Forced_Vital_Capacity_Delta", "pct_of_Normal_Trial_1",
         "Subject_Liters_Trial_1"],
        [["101", "0", "81", "3.2"], ["102", "30", "77", "2.9"]],
    ),
    "demographics.csv": (["subject_id", "Age", "Sex"], [["101", "61", "Male"], ["102", "55", "F"]]),
}  # fmt: skip
# Names of columns added or renamed: another subject id column, an unknown one, none.
NAMES = ["extra", "subject_id", "SubjectID", ""]


def _folder(tmp: pytest.TempPathFactory, files: dict[str, bytes]) -> Path:
    folder = tmp.mktemp("proact")
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def _data_rows(path: Path) -> int:
    """Rows a CSV reader finds after the header (blank lines are no rows)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def _table(file: str) -> str:
    return next(t for t, names in FILES.items() if file.lower() in (n.lower() for n in names))


@PROPERTIES
@given(damaged=damaged_tables(EXPORT, names=NAMES))
def test_a_damaged_export_imports_each_good_row_or_nothing(
    clinic: Any,
    stored: Callable[[], dict[str, int]],
    tmp_path_factory: pytest.TempPathFactory,
    damaged: Damaged[dict[str, bytes]],
) -> None:
    folder = _folder(tmp_path_factory, damaged.value)
    before = stored()
    report = outcome(
        lambda: external_cohorts.import_proact(
            clinic.db, clinic["olga"], folder, f"damaged export {next(_names)}"
        )
    )
    after = stored()
    if isinstance(report, AlstrackError):
        note(str(report))
        assert isinstance(report, InvalidInput)
        assert report.fields[0].field == "folder"
        assert_names(report, *damaged.value, str(folder))
        assert after == before
        return
    grown = {table: after[table] - before[table] for table in after}
    assert {table: n for table, n in grown.items() if n} == {
        table: n
        for table, n in {
            "external_cohorts": 1,
            "external_subjects": report.subjects,
            "external_alsfrs": report.imported["alsfrs"],
            "external_fvc": report.imported["fvc"],
            "audit_log": 1,
        }.items()
        if n
    }
    for file in report.files:
        refused = [r for r in report.refused if r.file == file]
        assert all(r.reason and r.line >= 2 for r in refused), refused
        assert report.imported[_table(file)] + len(refused) == _data_rows(folder / file)


# Columns whose values are stored: day offsets (INTEGER), the subject id (64 characters).
DAY_COLUMNS = [
    ("alsfrs.csv", "ALSFRS_Delta"),
    ("AlsHistory.csv", "Onset_Delta"),
    ("AlsHistory.csv", "Diagnosis_Delta"),
    ("DeathData.csv", "Death_Days"),
    ("Fvc.csv", "Forced_Vital_Capacity_Delta"),
]


@PROPERTIES
@given(
    place=st.sampled_from(DAY_COLUMNS + [(name, "subject_id") for name in EXPORT]),
    value=st.one_of(
        st.integers().map(str), st.floats(allow_nan=False).map(repr), st.text(min_size=1)
    ),
)
def test_a_value_no_column_can_hold_refuses_its_row_and_the_rest_is_imported(
    clinic: Any, tmp_path_factory: pytest.TempPathFactory, place: tuple[str, str], value: str
) -> None:
    name, column = place
    assume(value.strip() not in ("101", "102"))  # another subject's row twice: not this test
    header, rows = EXPORT[name]
    changed = [list(rows[0]), *rows[1:]]
    changed[0][header.index(column)] = value
    files = {n: csv_bytes(*EXPORT[n]) for n in EXPORT} | {name: csv_bytes(header, changed)}
    folder = _folder(tmp_path_factory, files)
    report = external_cohorts.import_proact(
        clinic.db, clinic["olga"], folder, f"one odd value {next(_names)}"
    )
    refused = [(r.file, r.line) for r in report.refused]
    assert refused in ([], [(name, 2)]), report.refused
    assert report.imported[_table(name)] + len(refused) == len(rows)


@pytest.fixture
def opened(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Database]]:
    """`alstrack import` uses the clinic's database; the test closes each one it opens (a
    process would on exit), or PostgreSQL runs out of connections."""
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", clinic.db.url)
    get_settings.cache_clear()
    databases: list[Database] = []

    def database() -> Database:
        databases.append(common.database())
        return databases[-1]

    monkeypatch.setattr(imports, "database", database)
    yield databases
    get_settings.cache_clear()


# The command prints what the service returns, tested above: fewer examples suffice.
@settings(PROPERTIES, max_examples=20)
@given(damaged=damaged_tables(EXPORT, names=NAMES))
def test_the_import_command_exits_0_or_1_with_the_file_and_never_a_traceback(
    opened: list[Database],
    stored: Callable[[], dict[str, int]],
    tmp_path_factory: pytest.TempPathFactory,
    damaged: Damaged[dict[str, bytes]],
) -> None:
    folder = _folder(tmp_path_factory, damaged.value)
    before = stored()
    result = CliRunner().invoke(
        app, ["import", "proact", str(folder), "--name", f"cli {next(_names)}", "--as", "olga"]
    )
    while opened:
        opened.pop().dispose()
    assert_clean_exit(result, refused_says="error:")
    if result.exit_code == 1:
        assert stored() == before
    else:
        assert "Imported external cohort" in result.stdout
