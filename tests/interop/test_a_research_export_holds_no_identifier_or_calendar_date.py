"""No name, birth date, record number, rater or calendar date in any cell of any file a research
export writes: not for the data analyst, and not for a role that may read identifiers either."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from research_reading import cells, cli_on, identifiers, leaks, run


@pytest.fixture(autouse=True)
def cli(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with cli_on(clinic.db.url, monkeypatch):
        yield


@pytest.mark.parametrize("command", ["proact", "csv"])
@pytest.mark.parametrize("username", ["olga", "chen"])
def test_no_cell_holds_an_identifier_of_the_clinics_patients(
    clinic: Any,
    followed: Any,
    with_events: Any,
    pat: Any,
    tmp_path: Path,
    command: str,
    username: str,
) -> None:
    folder = tmp_path / "out"
    result = run("export", command, "--as", username, "--output", str(folder))
    assert result.exit_code == 0, result.output
    held = identifiers(clinic.db)
    assert {"Pat", "Kowalski", "MRN-4471", "1958-04-02", "Maria", "Silva"} <= held
    assert list(cells(folder))  # the scan read something
    assert leaks(folder, held) == []
    text = "\n".join(value for _, value in cells(folder))
    assert pat.study_id in text  # the subject is there, under the study id
    if command == "csv":
        assert "Aseptic meningitis" in text  # the adverse events are there, without dates
