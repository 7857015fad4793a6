"""A research export holds the patients of the user's own sites only; `--site` narrows it to one
of them, and a site the user does not work at is "not found" (exit 1, nothing written)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from research_reading import cli_on, export_entries, run, table

from alstrack.services import patients
from alstrack.services.patients import PatientIn


@pytest.fixture(autouse=True)
def cli(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with cli_on(clinic.db.url, monkeypatch):
        yield


@pytest.fixture
def southern(clinic: Any) -> Any:
    """A patient of Southbank, registered by Sami."""
    return patients.register_patient(
        clinic.db, clinic["sami"], PatientIn(site_id=clinic.sites["SOUTH"], sex="female")
    )


def _subjects(folder: Path, command: str) -> set[str]:
    if command == "proact":
        return {row["subject_id"] for row in table(folder / "demographics.csv")}
    return {row["study_id"] for row in table(folder / "patients.csv")}


@pytest.mark.parametrize("command", ["proact", "csv"])
def test_the_analyst_of_northgate_gets_northgates_patients_only(
    clinic: Any, pat: Any, southern: Any, tmp_path: Path, command: str
) -> None:
    result = run("export", command, "--as", "olga", "--output", str(tmp_path / "north"))
    assert result.exit_code == 0, result.output
    assert _subjects(tmp_path / "north", command) == {pat.study_id}
    result = run("export", command, "--as", "aude", "--output", str(tmp_path / "all"))
    assert result.exit_code == 0, result.output
    assert _subjects(tmp_path / "all", command) == {pat.study_id, southern.study_id}
    result = run(
        "export", command, "--as", "aude", "--site", "SOUTH", "--output", str(tmp_path / "south")
    )
    assert result.exit_code == 0, result.output
    assert _subjects(tmp_path / "south", command) == {southern.study_id}


@pytest.mark.parametrize("command", ["proact", "csv"])
def test_a_site_the_user_does_not_work_at_is_not_found(
    clinic: Any, pat: Any, southern: Any, tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for site in ("SOUTH", "NOWHERE"):
        folder = out / site
        result = run("export", command, "--as", "olga", "--site", site, "--output", str(folder))
        assert result.exit_code == 1
        assert f"No site {site}." in result.stderr
        assert not folder.exists()
    assert list(out.iterdir()) == []  # no partial folder either
    assert export_entries(clinic.db) == []
