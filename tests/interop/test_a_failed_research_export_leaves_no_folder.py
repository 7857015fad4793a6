"""A research export that fails leaves no folder, partial or hidden: one the audit trail cannot
record is removed, and an output folder that exists already is refused, untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from research_reading import cli_on, export_entries, run

from alstrack.errors import InvalidInput
from alstrack.services import research_exports


@pytest.fixture(autouse=True)
def cli(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with cli_on(clinic.db.url, monkeypatch):
        yield


def test_an_export_the_audit_trail_cannot_record_leaves_nothing(
    clinic: Any, pat: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(research_exports, "record_export", broken)
    out = tmp_path / "out"
    out.mkdir()
    for command in ("proact", "csv"):
        result = run("export", command, "--as", "olga", "--output", str(out / command))
        assert result.exit_code == 1
        assert "No space left on device" in result.stderr
    assert list(out.iterdir()) == []  # not the folder, nor its hidden staging copy


def test_an_output_folder_that_exists_is_refused_untouched(
    clinic: Any, pat: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    result = run("export", "csv", "--as", "olga", "--output", str(folder))
    assert result.exit_code == 1
    assert "exists already" in result.stderr
    assert [p.name for p in folder.iterdir()] == ["mine.txt"]
    with pytest.raises(InvalidInput, match="exists already"):
        research_exports.export_proact(clinic.db, clinic["olga"], folder)
    assert export_entries(clinic.db) == []
