"""`alstrack report patient` and `alstrack report safety`: files written, stdout, exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_reading import html_text, pdf_text, words
from typer.testing import CliRunner, Result

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.services.outcomes import CAVEAT as OUTCOMES_CAVEAT
from alstrack.services.safety_report import CAVEAT as SAFETY_CAVEAT

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture(autouse=True)
def cli_on_the_clinic(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The commands read the clinic's database; one message a line (Rich wraps at 80)."""
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", clinic.db.url)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_report_patient_writes_the_pdf_to_the_file_and_says_so(
    followed: Any, tmp_path: Path
) -> None:
    target = tmp_path / "maria.pdf"
    pid = str(followed.patient_id)
    result = run("report", "patient", pid, "--format", "pdf", "-o", str(target), "--as", "chen")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote the progress report of patient {pid} to {target}.\n"
    assert words(OUTCOMES_CAVEAT) in pdf_text(target.read_bytes())


def test_report_patient_writes_html_to_stdout_without_output(followed: Any) -> None:
    result = run("report", "patient", str(followed.patient_id), "--as", "olga")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!doctype html>")
    assert "generated 2027-05-10 12:00 UTC" in result.stdout
    assert "by olga" in html_text(result.stdout)


def test_report_safety_writes_html_to_the_file_with_the_cut_off_and_site(
    with_events: Any, tmp_path: Path
) -> None:
    target = tmp_path / "safety.html"
    result = run(
        "report", "safety", "--on", "2026-11-10", "--site", "NORTH", "--output", str(target),
        "--as", "chen",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote the safety report to {target}.\n"
    text = html_text(target.read_text())
    assert "at NORTH, with onset up to the data cut-off 2026-11-10" in text
    assert "Aseptic meningitis" in text
    assert words(SAFETY_CAVEAT) in text


def test_report_safety_sends_a_pdf_to_a_pipe(with_events: Any) -> None:
    result = run("report", "safety", "--format", "pdf", "--as", "chen")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"%PDF-")


def test_another_sites_patient_or_a_role_without_permission_exits_1_with_the_reason(
    followed: Any, tmp_path: Path
) -> None:
    target = tmp_path / "maria.html"
    pid = str(followed.patient_id)
    elsewhere = run("report", "patient", pid, "-o", str(target), "--as", "sami")
    assert elsewhere.exit_code == 1
    assert elsewhere.stderr.startswith("error: No patient")
    assert not target.exists()
    lab = run("report", "safety", "--as", "ben")
    assert lab.exit_code == 1
    assert "may not do this (safety.read)" in lab.stderr
    nobody = run("report", "patient", pid, "--as", "nobody")
    assert (nobody.exit_code, nobody.stderr) == (1, "error: No active user 'nobody'.\n")


def test_an_unknown_site_or_a_bad_format_is_refused() -> None:
    site = run("report", "safety", "--site", "EAST", "--as", "chen")
    assert site.exit_code == 1
    assert "'EAST' is not a site code" in site.stderr
    fmt = run("report", "safety", "--format", "docx", "--as", "chen")
    assert fmt.exit_code == 2
    assert "docx" in fmt.stderr


def test_the_report_group_lists_its_commands() -> None:
    result = run("report", "--help")
    assert result.exit_code == 0
    assert "patient" in result.stdout
    assert "safety" in result.stdout
