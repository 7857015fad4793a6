"""Predicted FVC, LLN, z-score and % predicted from the GLI equations."""

import math
from typing import Literal

import pyspiro
import pytest

from alstrack.domain.spirometry import EQUATIONS, ETHNICITIES, Predicted, predict
from alstrack.errors import InvalidInput

Sex = Literal["female", "male"]
FVC = 2  # pyspiro's parameter code for FVC in both GLI classes


def ben(
    measured_l: float = 4.0, equation: str = "GLI-2012", ethnicity: str | None = "caucasian"
) -> Predicted:
    """Ben: male, 60 y, 175 cm - the published GLI-2012 check value is for him as a Caucasian."""
    return predict(
        measured_l=measured_l,
        sex="male",
        age_years=60.0,
        height_cm=175.0,
        equation=equation,
        ethnicity=ethnicity,
    )


def test_it_reproduces_the_gli_2012_check_value() -> None:
    result = ben()
    assert result.equation == "GLI-2012"
    assert round(result.predicted_l, 4) == 4.4685
    assert round(result.lln_l, 4) == 3.4088


def test_it_gives_percent_predicted_unrounded() -> None:
    result = ben(measured_l=4.0)
    assert result.percent_predicted == pytest.approx(100 * 4.0 / result.predicted_l, rel=1e-12)
    assert result.percent_predicted != round(result.percent_predicted, 2)


def test_a_measurement_at_the_predicted_value_is_100_percent_and_z_zero() -> None:
    at_median = ben(measured_l=ben().predicted_l)
    assert at_median.percent_predicted == pytest.approx(100.0)
    assert at_median.z_score == pytest.approx(0.0, abs=1e-12)


def test_a_measurement_at_the_lln_has_z_minus_1645() -> None:
    lln = ben(equation="GLI-Global", ethnicity=None).lln_l
    at_lln = ben(measured_l=lln, equation="GLI-Global", ethnicity=None)
    assert at_lln.z_score == pytest.approx(-1.645, abs=1e-9)


@pytest.mark.parametrize("ethnicity", list(ETHNICITIES))
@pytest.mark.parametrize("sex", ["female", "male"])
def test_z_lln_and_percent_agree_with_pyspiro_for_gli_2012(sex: Sex, ethnicity: str) -> None:
    args = (1 if sex == "male" else 0, 47.3, 163.0, ETHNICITIES[ethnicity], FVC, 2.9)
    reference = pyspiro.GLI_2012()
    result = predict(
        measured_l=2.9,
        sex=sex,
        age_years=47.3,
        height_cm=163.0,
        equation="GLI-2012",
        ethnicity=ethnicity,
    )
    assert result.z_score == pytest.approx(float(reference.zscore(*args)), rel=1e-12)
    assert result.lln_l == pytest.approx(float(reference.lln(*args)), rel=1e-12)
    assert result.predicted_l == pytest.approx(float(reference.lms(*args)[1]), rel=1e-12)
    # pyspiro's own percent() is rounded to 2 decimals; ours is not.
    assert round(result.percent_predicted, 2) == reference.percent(*args)


@pytest.mark.parametrize("sex", ["female", "male"])
def test_z_lln_and_predicted_agree_with_pyspiro_for_gli_global(sex: Sex) -> None:
    args = (1 if sex == "male" else 0, 71.6, 158.0, FVC, 1.8)
    reference = pyspiro.BOWERMAN_2022()
    result = predict(
        measured_l=1.8, sex=sex, age_years=71.6, height_cm=158.0, equation="GLI-Global"
    )
    assert result.z_score == pytest.approx(float(reference.zscore(*args)), rel=1e-12)
    assert result.lln_l == pytest.approx(float(reference.lln(*args)), rel=1e-12)
    assert result.predicted_l == pytest.approx(float(reference.lms(*args)[1]), rel=1e-12)


@pytest.mark.parametrize("sex", ["female", "male"])
def test_gli_global_lies_between_the_african_american_and_caucasian_predictions(sex: Sex) -> None:
    def predicted(equation: str, ethnicity: str | None) -> float:
        return predict(
            measured_l=3.0,
            sex=sex,
            age_years=45.0,
            height_cm=168.0,
            equation=equation,
            ethnicity=ethnicity,
        ).predicted_l

    neutral = predicted("GLI-Global", None)
    assert predicted("GLI-2012", "african_american") < neutral < predicted("GLI-2012", "caucasian")


@pytest.mark.parametrize("age", [3.0, 95.0])
def test_it_accepts_the_ends_of_the_age_range(age: float) -> None:
    result = predict(
        measured_l=1.0, sex="female", age_years=age, height_cm=100.0, equation="GLI-Global"
    )
    assert math.isfinite(result.z_score)


def test_it_returns_plain_floats() -> None:
    result = ben()
    values = (result.predicted_l, result.lln_l, result.percent_predicted, result.z_score)
    assert all(type(value) is float for value in values)


def test_it_offers_both_equations() -> None:
    assert EQUATIONS == ("GLI-2012", "GLI-Global")


def test_it_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    ben(ethnicity="other")
    with pytest.raises(InvalidInput):
        predict(measured_l=4.0, sex="male", age_years=99.0, height_cm=175.0, equation="GLI-Global")
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(
    ("overrides", "field", "allowed"),
    [
        ({"equation": "Hankinson"}, "equation", "GLI-2012, GLI-Global"),
        ({"ethnicity": None}, "ethnicity", "caucasian, african_american"),
        ({"ethnicity": "martian"}, "ethnicity", "north_east_asian, south_east_asian, other"),
        ({"equation": "GLI-Global"}, "ethnicity", "race-neutral"),
        ({"age_years": 2.9}, "age_years", "between 3 and 95 years"),
        ({"age_years": 95.5}, "age_years", "between 3 and 95 years"),
        ({"age_years": math.nan}, "age_years", "between 3 and 95 years"),
        ({"height_cm": 1.75}, "height_cm", "between 80 and 250 cm"),
        ({"height_cm": 300.0}, "height_cm", "between 80 and 250 cm"),
        ({"measured_l": 0.0}, "measured_l", "positive"),
        ({"measured_l": -1.0}, "measured_l", "positive"),
        ({"measured_l": math.inf}, "measured_l", "positive"),
        ({"sex": "unknown"}, "sex", "female or male"),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_what_is_allowed(
    overrides: dict[str, object], field: str, allowed: str
) -> None:
    arguments: dict[str, object] = {
        "measured_l": 4.0,
        "sex": "male",
        "age_years": 60.0,
        "height_cm": 175.0,
        "equation": "GLI-2012",
        "ethnicity": "caucasian",
    }
    arguments.update(overrides)
    with pytest.raises(InvalidInput) as caught:
        predict(**arguments)  # type: ignore[arg-type]  # deliberately wrong types
    assert [f.field for f in caught.value.fields] == [field]
    assert allowed in caught.value.fields[0].message
