"""A patient's audit trail is copied out as CSV (AT-5), by the API and the command line, with
the same filters; each export is itself an audit entry (AT-6)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.services import audit_trail
from alstrack.services.audit_trail import CSV_COLUMNS, AuditFilter

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_on_the_clinic(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", clinic.db.url)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def export(*args: str) -> Result:
    return runner.invoke(app, ["audit", "export", *args])


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_api_gives_the_trail_as_a_csv_attachment_one_row_an_entry(api, reviewed) -> None:
    shown = api("aude").get(f"/patients/{reviewed.id}/audit").json()
    response = api("aude").get(f"/patients/{reviewed.id}/audit.csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="patient-{reviewed.id}-audit.csv"'
    )
    assert response.text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = _rows(response.text)
    assert [int(r["id"]) for r in rows] == [e["id"] for e in shown]
    update = rows[-1]
    assert (update["username"], update["action"], update["entity"]) == (
        "alice",
        "update",
        "patient_identity",
    )
    assert update["at"] == "2024-03-03T00:00:00+00:00"
    assert json.loads(update["old"]) == {"record_number": "MRN-4471"}
    assert json.loads(update["new"]) == {"record_number": "MRN-4472"}
    assert update["reason"] == "Transposed digits"
    assert (update["prev_hash"], update["hash"]) == (shown[-1]["prev_hash"], shown[-1]["hash"])
    assert rows[0]["old"] == rows[0]["reason"] == ""


def test_the_csv_takes_the_same_filters(api, reviewed) -> None:
    response = api("aude").get(f"/patients/{reviewed.id}/audit.csv", params={"user": "chen"})
    assert [r["entity"] for r in _rows(response.text)] == ["instrument_assessment"]


def test_an_export_is_audited_with_its_filters_and_count_after_the_entries_it_lists(
    clinic, reviewed, verify
) -> None:
    aude = clinic["aude"]
    filters = AuditFilter.model_validate({"entity": "patient_identity", "from": "2024-03-01"})
    exported = audit_trail.export_csv(clinic.db, aude, reviewed.id, filters)
    assert exported.entries == 2

    trail = audit_trail.for_patient(clinic.db, aude, reviewed.id)
    entry = trail[-1]
    assert (entry.username, entry.action, entry.entity, entry.entity_id) == (
        "aude",
        "export",
        "audit_log",
        str(reviewed.id),
    )
    assert (entry.patient_id, entry.site_id) == (reviewed.id, clinic.sites["NORTH"])
    assert entry.new == {
        "format": "csv",
        "entries": 2,
        "filters": {"entity": "patient_identity", "from": "2024-03-01"},
    }
    assert str(entry.id) not in [r["id"] for r in _rows(exported.content)]
    again = audit_trail.export_csv(clinic.db, aude, reviewed.id, AuditFilter(action="export"))
    assert [r["id"] for r in _rows(again.content)] == [str(entry.id)]
    assert verify().intact


def test_identifiers_are_redacted_for_a_reader_who_may_not_see_them(api, reviewed) -> None:
    rows = _rows(api("adam").get(f"/patients/{reviewed.id}/audit.csv").text)
    update = rows[-1]
    assert json.loads(update["old"]) == {"record_number": "[redacted]"}
    assert json.loads(update["new"]) == {"record_number": "[redacted]"}


def test_the_command_writes_the_csv_to_a_file_and_says_how_many(reviewed, tmp_path: Path) -> None:
    target = tmp_path / "pat-audit.csv"
    result = export(
        "--patient", str(reviewed.id), "--user", "alice", "--to", "2024-03-01",
        "--as", "aude", "-o", str(target),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote 2 audit entries of patient {reviewed.id} to {target}.\n"
    rows = _rows(target.read_text(encoding="utf-8"))
    assert [(r["action"], r["entity"]) for r in rows] == [
        ("create", "patient"),
        ("create", "patient_identity"),
    ]


def test_the_command_writes_the_csv_to_stdout_without_a_file(reviewed) -> None:
    result = export("--patient", str(reviewed.id), "--action", "update", "--as", "chen")
    assert result.exit_code == 0, result.output
    assert [r["reason"] for r in _rows(result.stdout)] == ["Transposed digits"]


def test_the_command_refuses_a_bad_day_naming_the_option(reviewed) -> None:
    result = export("--patient", str(reviewed.id), "--from", "2024-02-30", "--as", "aude")
    assert result.exit_code == 1
    assert "from" in result.stderr
    assert "is not a day: write YYYY-MM-DD" in result.stderr
