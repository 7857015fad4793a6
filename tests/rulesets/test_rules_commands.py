"""`alstrack rules check`, `alstrack rules install` and `alstrack rules list`."""

from __future__ import annotations

from pathlib import Path

import pytest
from rule_documents import WriteRules, northgate_document, rule
from typer.testing import CliRunner, Result

from alstrack.cli.common import console
from alstrack.cli.main import app

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at the console's width (80 under xdist): a wide one keeps each row on a line."""
    monkeypatch.setattr(console, "width", 200)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite database in tmp_path with Adam the admin and Alice the coordinator."""
    monkeypatch.setenv("ALSTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ALSTRACK_DATABASE_URL", raising=False)
    assert run("db", "upgrade").exit_code == 0
    for username, name, role in (
        ("adam", "Adam Novak", "admin"),
        ("alice", "Alice Moreau", "coordinator"),
    ):
        created = run("user", "create", username, "--name", name, "--role", role)
        assert created.exit_code == 0, created.output
    return tmp_path


def test_check_says_ok_with_the_rule_count_and_profiles(northgate_file: Path) -> None:
    result = run("rules", "check", str(northgate_file))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "OK: msc-als-program 0.2.0-northgate.1, 49 rules, "
        "profiles: nurown_p3_like, alsummit_like, brazil_it_msc_like, northgate"
    )


def test_check_names_the_file_rule_and_reason_and_exits_1(write_rules: WriteRules) -> None:
    document = northgate_document()
    rule(document, "EXC-CELL-001")["operator"] = "is_falsy"
    path = write_rules(document, "broken.yaml")
    result = run("rules", "check", str(path))
    assert result.exit_code == 1
    assert str(path) in result.output
    assert "EXC-CELL-001: unknown operator 'is_falsy'" in result.output


def test_install_as_an_admin_makes_it_the_active_version(
    data_dir: Path, northgate_file: Path
) -> None:
    result = run("rules", "install", str(northgate_file), "--as", "adam")
    assert result.exit_code == 0, result.output
    assert "Installed msc-als-program 0.2.0-northgate.1 as version 1" in result.output
    listed = run("rules", "list")
    assert listed.exit_code == 0, listed.output
    [row] = [line for line in listed.output.splitlines() if "0.2.0-northgate.1" in line]
    assert "active" in row
    assert "DRAFT" not in row


def test_list_shows_the_shipped_version_as_an_active_draft(data_dir: Path) -> None:
    result = run("rules", "list")
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if "builtin" in line]
    assert "active" in row
    assert "DRAFT — not clinically validated" in result.output


def test_install_refuses_a_role_without_rules_write_and_stores_nothing(
    data_dir: Path, northgate_file: Path
) -> None:
    result = run("rules", "install", str(northgate_file), "--as", "alice")
    assert result.exit_code == 1
    assert "rules.write" in result.output
    assert "northgate" not in run("rules", "list").output


def test_install_refuses_an_unknown_user(data_dir: Path, northgate_file: Path) -> None:
    result = run("rules", "install", str(northgate_file), "--as", "zed")
    assert result.exit_code == 1
    assert "No active user 'zed'" in result.output
