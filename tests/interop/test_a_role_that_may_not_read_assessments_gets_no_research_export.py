"""A role without assessments.read (the lab technician, the admin) is refused a research
export: exit 1, a message that names the permission, no folder, no audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from research_reading import cli_on, export_entries, run

from alstrack.errors import PermissionDenied
from alstrack.services.research_exports import export_tidy_csv


@pytest.fixture(autouse=True)
def cli(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with cli_on(clinic.db.url, monkeypatch):
        yield


@pytest.mark.parametrize("command", ["proact", "csv"])
def test_the_lab_technician_and_the_admin_are_refused(
    clinic: Any, pat: Any, tmp_path: Path, command: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for username, role in (("ben", "lab_technician"), ("adam", "admin")):
        result = run("export", command, "--as", username, "--output", str(out / username))
        assert result.exit_code == 1
        assert f"The {role} role may not do this (assessments.read)." in result.stderr
    assert list(out.iterdir()) == []
    assert export_entries(clinic.db) == []


def test_the_service_refuses_before_it_reads_anything(clinic: Any, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied, match=r"assessments\.read"):
        export_tidy_csv(clinic.db, clinic["ben"], tmp_path / "never")
    assert not (tmp_path / "never").exists()
