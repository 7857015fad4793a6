"""`alstrack din check` and `alstrack din new`: exit codes, JSON and messages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings

runner = CliRunner()
EXAMPLE = '{"din": "G123417654321", "check_character": "A", "flag": "70"}\n'


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture(autouse=True)
def wide_terminal_and_fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One message a line (Rich wraps at 80 under xdist), and settings read anew by each test."""
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite database in tmp_path, for a program whose facility number is G1234."""
    monkeypatch.setenv("ALSTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ALSTRACK_DATABASE_URL", raising=False)
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")
    assert run("db", "upgrade").exit_code == 0
    return tmp_path


@pytest.mark.parametrize(
    "din", [["G1234 17 654321"], ["G1234", "17", "654321"], ["G123417654321"], ["G123417654321A"]]
)
def test_check_prints_the_din_check_character_and_flag_as_json(din: list[str]) -> None:
    result = run("din", "check", *din)
    assert result.exit_code == 0, result.output
    assert result.stdout == EXAMPLE
    assert json.loads(result.stdout) == {
        "din": "G123417654321",
        "check_character": "A",
        "flag": "70",
    }


def test_check_exits_1_on_a_wrong_check_character_and_says_so() -> None:
    result = run("din", "check", "G123417654321B")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        result.stderr == "error: Invalid value for din: check character B does not match this DIN\n"
    )


@pytest.mark.parametrize(
    ("din", "reason"),
    [
        ("O123417654321", "facility identification number 'O1234' must be 5 characters"),
        ("G1234 17 65432", "must be 13 characters (as G1234 17 654321), or 14 with the check"),
        ("=G12341765432171", "flag characters 71 do not match this DIN"),
    ],
)
def test_check_exits_1_on_an_invalid_din_with_the_reason(din: str, reason: str) -> None:
    result = run("din", "check", din)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert reason in result.stderr


def test_new_assigns_the_next_din_of_the_year_and_prints_it(data_dir: Path) -> None:
    first = run("din", "new", "--year", "2026")
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        "Assigned DIN G123426000001: print G1234 26 000001 with check character 4 (flag 64).\n"
    )
    second = run("din", "new", "--year", "2026")
    assert "Assigned DIN G123426000002:" in second.stdout


def test_new_exits_1_and_names_the_setting_when_no_facility_is_configured(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALSTRACK_FACILITY_ID")
    result = run("din", "new")
    assert result.exit_code == 1
    assert "set ALSTRACK_FACILITY_ID" in result.stderr


def test_new_exits_1_on_a_facility_setting_that_is_not_a_facility_number(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "O1234")
    result = run("din", "new")
    assert result.exit_code == 1
    assert "ALSTRACK_FACILITY_ID: facility identification number 'O1234'" in result.stderr
