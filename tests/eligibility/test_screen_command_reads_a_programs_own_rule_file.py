"""`alstrack screen --rules FILE`: screen against a program's own rule file, checked as
`alstrack rules check` checks it, still without a database."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from eligibility_cast import SMALL_RULESET
from typer.testing import CliRunner, Result

from alstrack.cli.main import app

AS_OF = "2026-11-01"


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["screen", *args])


def write(tmp_path: Path, name: str, data: Any, *, as_yaml: bool = False) -> str:
    path = tmp_path / name
    text = yaml.safe_dump(data, sort_keys=False) if as_yaml else json.dumps(data)
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def small(tmp_path: Path) -> str:
    return write(tmp_path, "small.yaml", SMALL_RULESET, as_yaml=True)


@pytest.fixture(autouse=True)
def no_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings point at a database that does not exist: screening must not need one."""
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", f"sqlite:///{tmp_path}/absent/none.db")


def test_it_screens_against_the_given_file(tmp_path: Path, small: str) -> None:
    patient = write(tmp_path, "p.json", {"patient.age_years": 65, "hx.autoimmune_disease": False})
    result = run(patient, "--rules", small, "--as-of", AS_OF, "--profile", "loose")
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert {k: output[k] for k in ("ruleset", "version", "profile", "verdict")} == {
        "ruleset": "small",
        "version": "1",
        "profile": "loose",
        "verdict": "eligible",
    }
    assert [c["id"] for c in output["criteria"]] == ["INC-AGE-001", "EXC-IMM-001"]
    assert not (tmp_path / "absent").exists()


def test_its_default_profile_is_the_files(tmp_path: Path, small: str) -> None:
    patient = write(tmp_path, "p.json", {"patient.age_years": 65, "hx.autoimmune_disease": False})
    output = json.loads(run(patient, "--rules", small, "--as-of", AS_OF).stdout)
    assert (output["profile"], output["verdict"]) == ("strict", "not_eligible")


def test_it_reads_input_as_the_given_file_defines_it(tmp_path: Path, small: str) -> None:
    # fn.alsfrs_r_total is a data element of the shipped rule set, not of this one.
    patient = write(tmp_path, "p.json", {"fn.alsfrs_r_total": 40})
    result = run(patient, "--rules", small, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "fn.alsfrs_r_total: not a data element of this rule set" in result.stderr


def test_it_says_in_text_whether_the_file_declares_validation(tmp_path: Path) -> None:
    patient = write(tmp_path, "p.json", {})
    draft = write(tmp_path, "draft.yaml", SMALL_RULESET, as_yaml=True)
    text = run(patient, "--rules", draft, "--as-of", AS_OF, "--format", "text").stdout
    assert "Rule set small 1 — DRAFT, not clinically validated" in text
    document = copy.deepcopy(SMALL_RULESET)
    document["ruleset"]["validation"] = {
        "status": "validated",
        "by": "Dr Chen",
        "date": "2026-09-30",
    }
    validated = write(tmp_path, "validated.yaml", document, as_yaml=True)
    text = run(patient, "--rules", validated, "--as-of", AS_OF, "--format", "text").stdout
    assert "Rule set small 1 — declared validated by Dr Chen on 2026-09-30" in text


def test_it_refuses_a_broken_rule_file_naming_the_file_rule_and_reason(tmp_path: Path) -> None:
    document = copy.deepcopy(SMALL_RULESET)
    document["rules"][0]["operator"] = "roughly"
    broken = write(tmp_path, "broken.yaml", document, as_yaml=True)
    result = run(write(tmp_path, "p.json", {}), "--rules", broken)
    assert result.exit_code == 1
    assert broken in result.stderr
    assert "INC-AGE-001: unknown operator 'roughly'" in result.stderr


def test_it_refuses_a_rule_file_that_is_missing(tmp_path: Path) -> None:
    result = run(write(tmp_path, "p.json", {}), "--rules", str(tmp_path / "nowhere.yaml"))
    assert result.exit_code == 1
    assert "nowhere.yaml" in result.stderr


def test_its_help_names_the_option_and_the_json_keys() -> None:
    result = CliRunner().invoke(app, ["screen", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "--rules" in result.stdout
    assert '"ruleset", "version", "profile", "as_of", "verdict", "criteria"' in result.stdout
