"""`alstrack report cohort`: the file written, stdout, the options passed on, exit codes.

Maria (conftest) is the one treated patient: too few for the cohort model, so the report says
why there is no estimate and shows the rest."""

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
from alstrack.services.cohort_outcomes import CAVEAT

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


def test_report_cohort_writes_the_pdf_to_the_file_and_says_so(
    followed: Any, tmp_path: Path
) -> None:
    target = tmp_path / "cohort.pdf"
    result = run(
        "report", "cohort", "--format", "pdf", "--output", str(target), "--as", "olga",
        "--bootstrap-resamples", "100",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote the cohort outcomes report to {target}.\n"
    text = pdf_text(target.read_bytes())
    assert words(CAVEAT) in text
    assert "The cohort model cannot be fitted to the 1 treated patient" in text


def test_report_cohort_writes_html_to_stdout_with_the_cut_off_site_and_threshold(
    followed: Any,
) -> None:
    result = run(
        "report", "cohort", "--on", "2027-05-10", "--site", "NORTH", "--responder-threshold",
        "2", "--seed", "7", "--as", "chen",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!doctype html>")
    text = html_text(result.stdout)
    assert "The treated patients at NORTH" in text
    assert "up to the data cut-off 2027-05-10" in text
    assert "at least +2 ALSFRS-R points/month" in text
    assert "no published untreated figure for 2 points/month is known to alstrack" in text


def test_a_role_without_permission_exits_1_with_the_reason_and_writes_nothing(
    followed: Any, tmp_path: Path
) -> None:
    target = tmp_path / "cohort.html"
    lab = run("report", "cohort", "-o", str(target), "--as", "ben")
    assert lab.exit_code == 1
    assert "may not do this (assessments.read)" in lab.stderr
    assert not target.exists()


def test_an_unknown_site_or_external_cohort_or_a_bad_value_is_refused() -> None:
    site = run("report", "cohort", "--site", "EAST", "--as", "olga")
    assert site.exit_code == 1
    assert "'EAST' is not a site code" in site.stderr
    external = run("report", "cohort", "--external-cohort", "PRO-ACT", "--as", "olga")
    assert external.exit_code == 1
    assert "'PRO-ACT' is not known; none imported" in external.stderr
    threshold = run("report", "cohort", "--responder-threshold", "0", "--as", "olga")
    assert threshold.exit_code == 1
    assert "must be above 0 and at most 48 points/month" in threshold.stderr
    resamples = run("report", "cohort", "--bootstrap-resamples", "5", "--as", "olga")
    assert resamples.exit_code == 2
    fmt = run("report", "cohort", "--format", "docx", "--as", "olga")
    assert fmt.exit_code == 2
    assert "docx" in fmt.stderr


def test_the_report_group_lists_the_cohort_command() -> None:
    result = run("report", "--help")
    assert result.exit_code == 0
    assert "cohort" in result.stdout
    assert "cohort outcomes" in result.stdout
