"""Vital capacity against the GLI reference equations (via pyspiro): % predicted, z-score, LLN.

Every result names its equation: ALS trials rarely state theirs, so it travels with the value.
"""

from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import pandas
import pyspiro

from alstrack.errors import InvalidInput

__all__ = ["EQUATIONS", "ETHNICITIES", "Predicted", "predict"]

GLI_2012 = "GLI-2012"  # Quanjer et al., Eur Respir J 2012;40:1324-1343
GLI_GLOBAL = "GLI-Global"  # race-neutral GLI 2022; Bowerman et al., AJRCCM 2023;207:768-774
EQUATIONS: tuple[str, ...] = (GLI_2012, GLI_GLOBAL)

# pyspiro's GLI-2012 ethnicity codes (GLI_2012.Ethnicity); "other" is GLI's "other/mixed" group.
ETHNICITIES: dict[str, int] = {
    "caucasian": 1,
    "african_american": 2,
    "north_east_asian": 3,
    "south_east_asian": 4,
    "other": 5,
}

# Both equations cover 3-95 years (their look-up tables end there). We check before calling
# pyspiro so the user learns the range instead of getting pyspiro's bare NA.
AGE_RANGE_YEARS: dict[str, tuple[float, float]] = {GLI_2012: (3.0, 95.0), GLI_GLOBAL: (3.0, 95.0)}
# GLI publishes no height limits and pyspiro checks none, so the model would extrapolate silently.
# These bounds are a program convention that refuses typing errors, not a property of the equation.
HEIGHT_RANGE_CM: tuple[float, float] = (80.0, 250.0)

_SEX_CODES: dict[str, int] = {"female": 0, "male": 1}  # pyspiro: 0 = female, 1 = male
_FVC = 2  # GLI_2012.Parameters.FVC == BOWERMAN_2022.Parameters.FVC
_Z_LLN = 1.645  # the 5th centile, GLI's lower limit of normal


@dataclass(frozen=True)
class Predicted:
    """Reference values for one measured vital capacity under one equation."""

    equation: str
    predicted_l: float
    lln_l: float
    percent_predicted: float
    z_score: float


def predict(
    *,
    measured_l: float,
    sex: Literal["female", "male"],
    age_years: float,
    height_cm: float,
    equation: str,
    ethnicity: str | None = None,
) -> Predicted:
    """Compare a measured FVC or SVC (litres) with the predicted FVC of the chosen equation.

    An SVC is judged against predicted FVC too (see the comment at the LMS call).

    >>> round(predict(measured_l=4.0, sex="male", age_years=60, height_cm=175,
    ...               equation="GLI-2012", ethnicity="caucasian").predicted_l, 4)
    4.4685
    """
    if equation not in EQUATIONS:
        raise InvalidInput.for_field("equation", f"must be one of {', '.join(EQUATIONS)}")
    if sex not in _SEX_CODES:
        raise InvalidInput.for_field("sex", "must be female or male")
    _check_finite_range("age_years", age_years, AGE_RANGE_YEARS[equation], "years", equation)
    _check_finite_range("height_cm", height_cm, HEIGHT_RANGE_CM, "cm", None)
    if not (math.isfinite(measured_l) and measured_l > 0):
        raise InvalidInput.for_field("measured_l", "must be a positive volume in litres")
    # GLI has no equation for slow vital capacity; ALS trials report VC (slow or forced) as a
    # percentage of predicted FVC, so both kinds of measurement use the FVC equation.
    lms = _lms(equation, _SEX_CODES[sex], float(age_years), float(height_cm), ethnicity)
    if any(v is pandas.NA for v in lms):
        raise InvalidInput.for_field(
            "age_years", f"{equation} gives no prediction for these inputs (pyspiro returned NA)"
        )
    el, m, s = (float(v) for v in lms)
    return Predicted(
        equation=equation,
        predicted_l=m,
        lln_l=_lln(el, m, s),
        percent_predicted=100.0 * measured_l / m,
        z_score=_z_score(measured_l, el, m, s),
    )


def _check_finite_range(
    field: str, value: float, bounds: tuple[float, float], unit: str, equation: str | None
) -> None:
    low, high = bounds
    if not (math.isfinite(value) and low <= value <= high):
        scope = f" for {equation}" if equation else ""
        raise InvalidInput.for_field(field, f"must be between {low:g} and {high:g} {unit}{scope}")


def _lms(
    equation: str, sex: int, age: float, height: float, ethnicity: str | None
) -> tuple[Any, Any, Any]:
    reference = _reference(equation)
    if equation == GLI_2012:
        if ethnicity not in ETHNICITIES:
            allowed = ", ".join(ETHNICITIES)
            raise InvalidInput.for_field("ethnicity", f"{GLI_2012} needs one of {allowed}")
        el, m, s = reference.lms(sex, age, height, ETHNICITIES[ethnicity], _FVC, 1.0)
        return el, m, s
    if ethnicity is not None:
        # Refused rather than ignored, so nobody believes a race-neutral result used it.
        raise InvalidInput.for_field("ethnicity", f"{GLI_GLOBAL} is race-neutral: leave it empty")
    el, m, s = reference.lms(sex, age, height, _FVC, 1.0)
    return el, m, s


@cache
def _reference(equation: str) -> Any:
    # Construction reads CSV look-up tables, so build each reference once. Silence is pyspiro's
    # default; set it anyway, and keep its out-of-range strategy at "ignore" ("closest" prints
    # unconditionally and clamps the age, which would hide an invalid input).
    with contextlib.redirect_stdout(io.StringIO()):
        reference = pyspiro.GLI_2012() if equation == GLI_2012 else pyspiro.BOWERMAN_2022()
    reference.set_silence(True)
    reference.set_strategy("ignore")
    return reference


def _lln(el: float, m: float, s: float) -> float:
    # Box-Cox LMS centile at z = -1.645 (Cole & Green 1992); the L = 0 limit is the log-normal.
    if el == 0:
        return m * math.exp(-_Z_LLN * s)
    return float(m * (1 - _Z_LLN * el * s) ** (1 / el))


def _z_score(measured: float, el: float, m: float, s: float) -> float:
    if el == 0:
        return math.log(measured / m) / s
    return float(((measured / m) ** el - 1) / (el * s))
