"""`alstrack screen`: a JSON file of data elements in, the verdict and every criterion out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from alstrack.cli.main import app
from alstrack.domain.eligibility import builtin_ruleset

AS_OF = "2026-11-01"


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["screen", *args])


def write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_it_prints_exactly_the_json_shape(tmp_path: Path, maria: dict[str, Any]) -> None:
    result = run(write(tmp_path, maria), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert list(output) == ["ruleset", "version", "profile", "as_of", "verdict", "criteria"]
    shipped = builtin_ruleset().ruleset
    assert (output["ruleset"], output["version"]) == (shipped.id, shipped.version)
    assert (output["profile"], output["as_of"]) == ("nurown_p3_like", "2026-11-01T00:00:00+00:00")
    assert output["verdict"] == "needs_review"
    for criterion in output["criteria"]:
        assert set(criterion) == {
            "id", "result", "value", "threshold", "effect", "source", "certainty", "reason",
        }  # fmt: skip
    first = output["criteria"][0]
    assert first["id"] == "INC-DX-001"
    assert first["result"] == "PASS"
    assert first["value"] == "probable"
    assert first["threshold"] == ["definite", "probable", "probable_lab_supported", "possible"]
    assert first["effect"] == "exclude"
    assert first["source"] == ["NUROWN_P3_REG", "ALSUMMIT_REG", "BRAZIL_IT_REG"]


def test_it_exits_0_for_a_patient_who_is_not_eligible(
    tmp_path: Path, maria: dict[str, Any]
) -> None:
    data = maria | {"hx.prior_cell_or_stem_cell_therapy": True}
    result = run(write(tmp_path, data), "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["verdict"] == "not_eligible"
    cell = next(c for c in output["criteria"] if c["id"] == "EXC-CELL-001")
    assert (cell["result"], cell["value"], cell["threshold"]) == ("FAIL", True, False)


def test_it_uses_the_profile_asked_for(tmp_path: Path, maria: dict[str, Any]) -> None:
    result = run(write(tmp_path, maria), "--as-of", AS_OF, "--profile", "alsummit_like")
    output = json.loads(result.stdout)
    assert output["profile"] == "alsummit_like"
    review = [c["id"] for c in output["criteria"] if c["result"] == "REVIEW"]
    assert review == ["EXC-IMSUP-001"]


def test_as_of_decides_which_values_are_stale(tmp_path: Path, maria: dict[str, Any]) -> None:
    later = json.loads(run(write(tmp_path, maria), "--as-of", "2026-12-01").stdout)
    assert later["verdict"] == "incomplete"
    stale = {c["id"] for c in later["criteria"] if c["result"] == "MISSING"}
    assert {"EXC-INF-001", "INC-FRS-001", "LP-PLT-001"} <= stale


def test_without_as_of_it_screens_as_of_today(tmp_path: Path) -> None:
    result = run(write(tmp_path, {"meds.investigational_agent_last_date": "2000-01-01"}))
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    assert output["verdict"] == "incomplete"
    inv = next(c for c in output["criteria"] if c["id"] == "EXC-INV-001")
    assert inv["result"] == "PASS"


def test_it_prints_text(tmp_path: Path, maria: dict[str, Any]) -> None:
    result = run(write(tmp_path, maria), "--as-of", AS_OF, "--format", "text")
    assert result.exit_code == 0, result.output
    assert "DRAFT, not clinically validated" in result.stdout
    assert "Verdict: needs_review" in result.stdout
    assert "Profile nurown_p3_like, as of 2026-11-01" in result.stdout
    assert "INC-PROG-001" in result.stdout


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"patient.age": 50}, "patient.age: not a data element of this rule set"),
        ({"patient.age_years": "fifty"}, "patient.age_years: must be a whole number"),
        ({"patient.age_years": 50.5}, "patient.age_years: must be a whole number"),
        ({"fn.alsfrs_r_total": 49}, "fn.alsfrs_r_total: must be from 0 to 48"),
        ({"lab.inr": float("nan")}, "lab.inr: must be a finite number"),
        ({"resp.tracheostomy": "no"}, "resp.tracheostomy: must be true or false"),
        ({"patient.sex": "f"}, "patient.sex: must be one of female, male, other, unknown"),
        ({"dx.diagnosis_date": "2026-13-01"}, "dx.diagnosis_date: value must be a date"),
        ({"dx.diagnosis_date": "never"}, "dx.diagnosis_date: value must be a date"),
        ({"lab.inr": {"value": 1.0, "date": "yesterday"}}, "lab.inr: date must be a date"),
        ({"lab.inr": {"value": 1.0, "when": "2026-10-01"}}, "lab.inr: give a plain value or"),
        (
            {"meds.anticoagulant_last_dose_datetime": "2026-10-01T08:00"},
            "must be a date-time with a time zone",
        ),
        ([1, 2], "INPUT: must be a JSON object"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(tmp_path: Path, data: Any, message: str) -> None:
    result = run(write(tmp_path, data), "--as-of", AS_OF)
    assert result.exit_code == 1
    assert message in result.stderr


def test_it_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "patient.json"
    path.write_text("{not json", encoding="utf-8")
    result = run(str(path))
    assert result.exit_code == 1
    assert "INPUT: " in result.stderr
    assert "not a readable JSON file" in result.stderr


def test_it_refuses_a_missing_file(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nobody.json"))
    assert result.exit_code == 1
    assert "not a readable JSON file" in result.stderr


def test_it_refuses_an_unknown_profile_listing_the_allowed_ones(tmp_path: Path) -> None:
    result = run(write(tmp_path, {}), "--profile", "lenient")
    assert result.exit_code == 1
    assert "unknown profile 'lenient'" in result.stderr
    assert "nurown_p3_like, alsummit_like, brazil_it_msc_like" in result.stderr


def test_it_refuses_a_bad_as_of_date(tmp_path: Path) -> None:
    result = run(write(tmp_path, {}), "--as-of", "1 Nov 2026")
    assert result.exit_code == 1
    assert "--as-of: must be a date YYYY-MM-DD" in result.stderr
