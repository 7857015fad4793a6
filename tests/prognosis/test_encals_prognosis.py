"""The ENCALS survival model reproduces the domain page's worked example, moves the way its
coefficients say, refuses impossible predictors, and comes with its version and provenance."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from alstrack.cli.main import app
from alstrack.domain.prognosis import (
    EncalsInputs,
    encals_model,
    linear_predictor,
    load_encals_model,
    median_months,
    predict,
    survival,
)
from alstrack.errors import InvalidInput

SHIPPED = Path(__file__).resolve().parents[2] / "src/alstrack/domain/data/prognosis/encals.yaml"
# prognosis.md's worked example: 62 at onset, ΔFS 0.5, 11 months to diagnosis, FVC 90%, spinal.
EXAMPLE: dict[str, Any] = {
    "age_at_onset_years": 62,
    "delta_fs": 0.5,
    "diagnostic_delay_months": 11,
    "fvc_percent": 90,
    "bulbar_onset": False,
    "definite_als": False,
    "ftd": False,
    "c9orf72": False,
}
runner = CliRunner()


def test_the_worked_example_gives_its_linear_predictor_survival_and_median() -> None:
    result = predict(EncalsInputs(**EXAMPLE))
    assert result.linear_predictor == pytest.approx(-4.522, abs=5e-4)
    assert result.survival["24"] == pytest.approx(0.819, abs=5e-4)
    assert result.median_months_from_onset == pytest.approx(36.4, abs=0.05)
    assert list(result.survival) == ["12", "24", "36", "60"]


def test_each_risk_factor_shortens_the_expected_survival() -> None:
    base = predict(EncalsInputs(**EXAMPLE)).median_months_from_onset
    assert base is not None
    for flag in ("bulbar_onset", "definite_als", "ftd", "c9orf72"):
        worse = predict(EncalsInputs(**(EXAMPLE | {flag: True}))).median_months_from_onset
        assert worse is not None
        assert worse < base, flag
    faster = predict(EncalsInputs(**(EXAMPLE | {"delta_fs": 1.5}))).median_months_from_onset
    sooner = predict(EncalsInputs(**(EXAMPLE | {"diagnostic_delay_months": 4})))
    assert faster is not None
    assert sooner.median_months_from_onset is not None
    assert faster < base
    assert sooner.median_months_from_onset < base


@given(
    lp=st.floats(min_value=-9, max_value=1),
    months=st.lists(st.floats(min_value=0.5, max_value=500), min_size=2, max_size=6),
)
def test_survival_falls_with_time_and_is_one_half_at_the_median(
    lp: float, months: list[float]
) -> None:
    model = encals_model()
    ordered = sorted(months)
    values = [survival(model, lp, t) for t in ordered]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(values))
    median = median_months(model, lp)
    if median is not None and median > 0.1:
        assert survival(model, lp, median) == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("delta_fs", -0.5, "must be from 0 to 10, not -0.5"),
        ("diagnostic_delay_months", 0, "must be from 0.5 to 240, not 0"),
        ("fvc_percent", math.nan, "must be from 5 to 200, not nan"),
        ("age_at_onset_years", 12, "must be from 18 to 100, not 12"),
    ],
)
def test_impossible_predictors_are_refused_naming_each(
    field: str, value: float, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        linear_predictor(encals_model(), EncalsInputs(**(EXAMPLE | {field: value})))
    assert [(f.field, f.message) for f in caught.value.fields] == [(field, message)]


def test_a_model_file_that_does_not_reproduce_its_worked_example_is_refused(tmp_path: Path) -> None:
    document = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    document["coefficients"]["t_fvc"] = 0.577
    path = tmp_path / "encals.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"the worked example.s linear_predictor is -4\.522"):
        load_encals_model(path)


def test_the_model_says_where_its_numbers_come_from_and_that_they_are_not_verified() -> None:
    model = encals_model()
    assert model.status == "not verified"
    assert "Lancet Neurol 2018;17:423-433" in model.reference
    assert "the paper's own table was not read" in model.provenance


def test_the_command_prints_the_named_json_fields() -> None:
    result = runner.invoke(
        app,
        ["prognosis", "--age-onset", "62", "--delta-fs", "0.5", "--diagnostic-delay", "11",
         "--fvc", "90", "--onset", "spinal", "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == [
        "linear_predictor", "median_months_from_onset", "survival", "model", "provenance",
    ]  # fmt: skip
    assert out["linear_predictor"] == pytest.approx(-4.522, abs=5e-4)
    assert list(out["survival"]) == ["12", "24", "36", "60"]
    assert out["model"] == "encals-survival 2018-public-code.1"
    assert "Status: not verified." in out["provenance"]


def test_the_flags_change_the_prediction_on_the_command_line() -> None:
    common = ["prognosis", "--age-onset", "62", "--delta-fs", "0.5", "--diagnostic-delay", "11",
              "--fvc", "90", "--format", "json"]  # fmt: skip
    plain = json.loads(runner.invoke(app, [*common, "--onset", "spinal"]).stdout)
    flagged = json.loads(
        runner.invoke(
            app, [*common, "--onset", "bulbar", "--definite", "--ftd", "--c9orf72"]
        ).stdout
    )
    assert flagged["linear_predictor"] - plain["linear_predictor"] == pytest.approx(
        0.269 + 0.233 + 0.388 + 0.256
    )


def test_the_command_names_the_option_at_fault_and_exits_2() -> None:
    result = runner.invoke(
        app,
        ["prognosis", "--age-onset", "62", "--delta-fs", "0.5", "--diagnostic-delay", "0",
         "--fvc", "90", "--onset", "spinal"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--diagnostic-delay must be from 0.5 to 240, not 0" in result.stderr
    bad_onset = runner.invoke(
        app,
        ["prognosis", "--age-onset", "62", "--delta-fs", "0.5", "--diagnostic-delay", "11",
         "--fvc", "90", "--onset", "limb"],
    )  # fmt: skip
    assert bad_onset.exit_code == 2
