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
    assert result.output.splitlines() == [
        "OK: msc-als-program 0.2.0-northgate.1, 49 rules, "
        "profiles: nurown_p3_like, alsummit_like, brazil_it_msc_like, northgate",
        "DRAFT — not clinically validated (no ruleset.validation declared in the file)",
    ]


def test_check_says_who_declared_the_file_validated(write_rules: WriteRules) -> None:
    document = northgate_document()
    document["ruleset"]["validation"] = {
        "status": "validated",
        "by": "Dr Chen",
        "date": "2026-09-30",
    }
    result = run("rules", "check", str(write_rules(document, "validated.yaml")))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "Declared validated by Dr Chen on 2026-09-30"


def test_check_names_the_file_rule_and_reason_and_exits_1(write_rules: WriteRules) -> None:
    document = northgate_document()
    rule(document, "EXC-CELL-001")["operator"] = "is_falsy"
    path = write_rules(document, "broken.yaml")
    result = run("rules", "check", str(path))
    assert result.exit_code == 1
    assert str(path) in result.output
    assert "EXC-CELL-001: unknown operator 'is_falsy'" in result.output


def test_check_reports_every_failing_rule_in_one_run(write_rules: WriteRules) -> None:
    document = northgate_document()
    rule(document, "EXC-CELL-001")["operator"] = "is_falsy"
    del rule(document, "INC-DUR-001")["threshold"]["northgate"]
    rule(document, "INC-AGE-001")["effect"] = "block_procedure"
    path = write_rules(document, "broken.yaml")
    result = run("rules", "check", str(path))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    for rule_id in ("INC-AGE-001", "INC-DUR-001", "EXC-CELL-001"):
        [line] = [e for e in errors if f"rule {rule_id}:" in e]
        assert line.startswith(f"error: {path}: rule {rule_id}: ")


def test_check_reports_every_schema_error_in_one_run(write_rules: WriteRules) -> None:
    document = northgate_document()
    rule(document, "EXC-CELL-001")["effect"] = "reject"
    rule(document, "INC-AGE-001")["verification"] = "heard"
    document["ruleset"]["version"] = "v" * 41
    result = run("rules", "check", str(write_rules(document, "broken.yaml")))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) >= 3
    assert any("ruleset.version: at most 40 characters" in e for e in errors)
    assert any("rule EXC-CELL-001.effect" in e for e in errors)
    assert any("rule INC-AGE-001.verification" in e for e in errors)


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
    assert "DRAFT — not clinically validated" in listed.output


def test_install_of_a_declared_validation_says_so(data_dir: Path, write_rules: WriteRules) -> None:
    document = northgate_document()
    document["ruleset"]["validation"] = {
        "status": "validated",
        "by": "Dr Chen",
        "date": "2026-09-30",
    }
    result = run("rules", "install", str(write_rules(document, "v.yaml")), "--as", "adam")
    assert result.exit_code == 0, result.output
    assert "Declared validated by Dr Chen on 2026-09-30" in result.output
    assert "DRAFT" not in result.output
    listed = run("rules", "list").output
    assert "validated" in listed
    assert "DRAFT" not in listed


def test_install_of_another_rule_set_id_says_it_is_not_in_use(
    data_dir: Path, write_rules: WriteRules
) -> None:
    document = northgate_document()
    document["ruleset"]["id"] = "northgate-rules"
    result = run("rules", "install", str(write_rules(document, "own.yaml")), "--as", "adam")
    assert result.exit_code == 0, result.output
    assert "Not in use" in result.output
    assert "set it to northgate-rules" in result.output


def test_list_says_the_shipped_draft_is_in_use_before_it_is_stored(data_dir: Path) -> None:
    result = run("rules", "list")
    assert result.exit_code == 0, result.output
    assert "builtin" not in result.output
    assert "In use: the shipped rule set msc-als-program" in result.output
    assert "DRAFT — not clinically validated" in result.output
    assert "not stored yet" in result.output


def test_list_never_cuts_a_version_short_on_a_narrow_terminal(
    data_dir: Path, write_rules: WriteRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = "2026.10.1-northgate-physician-review.12"
    path = write_rules(northgate_document(version), "a-rather-long-file-name-for-a-rule-set.yaml")
    assert run("rules", "install", str(path), "--as", "adam").exit_code == 0
    monkeypatch.setattr(console, "width", 80)
    result = run("rules", "list")
    assert result.exit_code == 0, result.output
    assert version in result.output
    assert "…" not in result.output


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
