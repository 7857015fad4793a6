"""data_dictionary.csv has one row for every column of every file of the tidy CSV export, and
nothing else, because both are made from the same column definitions; a README says what the
folder is and that the data are de-identified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from research_reading import cli_on, header, run, table

from alstrack.interop.research_view import Subject
from alstrack.interop.tidy_csv import (
    DICTIONARY_FILE,
    README_FILE,
    TABLES,
    Column,
    Table,
    tidy_files,
)
from alstrack.services import records
from alstrack.services.milestones import MILESTONE, MilestoneIn


@pytest.fixture(autouse=True)
def cli(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with cli_on(clinic.db.url, monkeypatch):
        yield


def test_every_column_of_every_file_is_in_the_dictionary(
    clinic: Any, followed: Any, with_events: Any, pat: Any, tmp_path: Path
) -> None:
    records.add(
        clinic.db, clinic["alice"], MILESTONE, pat.id,
        MilestoneIn(kind="niv_start", occurred_on=date(2024, 5, 1)),
    )  # fmt: skip
    folder = tmp_path / "tidy"
    result = run("export", "csv", "--as", "olga", "--output", str(folder))
    assert result.exit_code == 0, result.output
    data_files = sorted(p.name for p in folder.glob("*.csv") if p.name != DICTIONARY_FILE)
    assert data_files == sorted(t.file for t in TABLES)
    written = {(p, c) for p in data_files for c in header(folder / p)}
    dictionary = table(folder / DICTIONARY_FILE)
    described = {(row["file"], row["column"]) for row in dictionary}
    assert written == described
    assert len(described) == len(dictionary)  # each column once
    for row in dictionary:
        assert row["type"] in {"string", "integer", "number", "boolean"}, row
        assert row["meaning"], row
    # Every file holds rows: Maria and Pat have each kind of record between them.
    assert all(table(folder / p) for p in data_files), [
        p for p in data_files if not table(folder / p)
    ]
    # Every value written is one the dictionary allows, where it lists them.
    for row in dictionary:
        allowed = set(row["allowed_values"].split("; "))
        if len(allowed) < 2:
            continue  # free values, or a range such as "0 to 48"
        for record in table(folder / row["file"]):
            written_values = set(filter(None, record[row["column"]].split(";")))
            assert written_values <= allowed, (row["file"], row["column"], written_values)
    readme = (folder / README_FILE).read_text()
    assert "DE-IDENTIFIED" in readme
    assert all(f in readme for f in data_files)


def test_a_column_added_to_a_definition_reaches_both_file_and_dictionary() -> None:
    extra = Table(
        "extra.csv",
        "A table for the test",
        lambda s: (s,),
        (Column("study_id", "string", "Study id", lambda s, _r: s.study_id),
         Column("late", "integer", "Added later", lambda _s, _r: 7, unit="d")),
    )  # fmt: skip
    files = tidy_files([Subject("X-1", "X", None, False)], [extra])
    assert files["extra.csv"] == b"study_id,late\nX-1,7\n"
    assert files[DICTIONARY_FILE].decode().splitlines()[1:] == [
        "extra.csv,study_id,string,,Study id,",
        "extra.csv,late,integer,d,Added later,",
    ]
