"""Every research export is audited as one export of a document: the folder, its format, the
subjects and sites, and each file with its size and SHA-256, as written (and as SHA256SUMS in
the folder lists them)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from research_reading import cli_on, export_entries, run

from alstrack.services.research_exports import MANIFEST


@pytest.fixture(autouse=True)
def cli(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with cli_on(clinic.db.url, monkeypatch):
        yield


@pytest.mark.parametrize(
    ("command", "kind", "files"),
    [
        ("proact", "research_proact", 8),
        ("csv", "research_tidy_csv", 11),
    ],
)
def test_the_audit_entry_names_each_file_with_its_digest(
    clinic: Any, pat: Any, tmp_path: Path, command: str, kind: str, files: int
) -> None:
    folder = tmp_path / f"{command}-export"
    result = run("export", command, "--as", "olga", "--output", str(folder))
    assert result.exit_code == 0, result.output
    assert "de-identified" in result.stdout
    [entry] = export_entries(clinic.db)
    assert (entry.username, entry.entity, entry.entity_id) == ("olga", "document", folder.name)
    new = entry.new
    assert new is not None
    assert (new["kind"], new["format"], new["deidentified"]) == (kind, command, True)
    assert (new["subjects"], new["sites"], new["left_out"]) == (1, ["NORTH"], [])
    written = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert len(new["files"]) == files == len(written) - 1
    for name, recorded in new["files"].items():
        content = written[name]
        assert recorded == {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    manifest = written[MANIFEST]
    assert new["sha256"] == hashlib.sha256(manifest).hexdigest()
    assert sorted(manifest.decode().splitlines()) == sorted(
        f"{r['sha256']}  {name}" for name, r in new["files"].items()
    )
