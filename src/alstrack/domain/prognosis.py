"""The ENCALS survival model: the expected course without treatment, from the data at diagnosis.

Westeneng et al. (Lancet Neurol 2018) predict the time from symptom onset to death,
tracheostomy or NIV over 23 h/day from eight predictors taken at diagnosis, with a
Royston-Parmar model on the proportional-odds scale. The coefficients are versioned data with
their provenance (domain/data/prognosis/encals.yaml); every prediction carries both. It is a
population model of untreated natural history: it describes what is expected of patients like
this one, not what will happen to this one, and says nothing of any treatment. Nothing here
reads a clock or a setting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.optimize import brentq

from alstrack.domain.datafiles import parse_model, read_text
from alstrack.errors import FieldError, InvalidInput

__all__ = [
    "HORIZONS_MONTHS",
    "EncalsInputs",
    "EncalsModel",
    "Prognosis",
    "encals_model",
    "linear_predictor",
    "load_encals_model",
    "median_months",
    "predict",
    "survival",
]

HORIZONS_MONTHS = (12, 24, 36, 60)
# Beyond 50 years from onset the model is not asked for a median: it reports none.
_LONGEST_MONTHS = 600.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_Range = tuple[float, float]


class Coefficients(_Frozen):
    t_slope: float
    t_dx_delay: float
    t_age: float
    t_fvc: float
    bulbar_onset: float
    definite_als: float
    ftd: float
    c9orf72: float


class Baseline(_Frozen):
    gamma: tuple[float, float, float, float]
    k_min: float
    knots: tuple[float, float]
    k_max: float
    lambdas: tuple[float, float]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.k_min < self.knots[0] < self.knots[1] < self.k_max:
            raise ValueError("knots must rise: k_min < k1 < k2 < k_max")
        return self

    def s(self, x: float) -> float:
        """The baseline log-odds spline at x = ln(months from onset)."""

        def cube(value: float) -> float:
            return max(value, 0.0) ** 3

        g0, g1, g2, g3 = self.gamma
        v = [
            cube(x - k) - lam * cube(x - self.k_min) - (1 - lam) * cube(x - self.k_max)
            for k, lam in zip(self.knots, self.lambdas, strict=True)
        ]
        return g0 + g1 * x + g2 * v[0] + g3 * v[1]


class InputLimits(_Frozen):
    age_at_onset_years: _Range
    delta_fs: _Range
    diagnostic_delay_months: _Range
    fvc_percent: _Range


class EncalsInputs(_Frozen):
    """The predictors at diagnosis."""

    age_at_onset_years: float
    delta_fs: float = Field(description="ALSFRS-R points lost per month from onset to diagnosis")
    diagnostic_delay_months: float
    fvc_percent: float
    bulbar_onset: bool
    definite_als: bool = Field(description="Definite ALS by the revised El Escorial criteria")
    ftd: bool
    c9orf72: bool


class WorkedExample(_Frozen):
    inputs: EncalsInputs
    linear_predictor: float
    survival_24_months: float
    median_months_from_onset: float


class EncalsModel(_Frozen):
    model: Literal["encals-survival"]
    version: Annotated[str, Field(min_length=1)]
    reference: Annotated[str, Field(min_length=1)]
    provenance: Annotated[str, Field(min_length=1)]
    status: Literal["verified", "not verified"]
    outcome: Annotated[str, Field(min_length=1)]
    coefficients: Coefficients
    baseline: Baseline
    input_limits: InputLimits
    at_diagnosis_window_days: Annotated[int, Field(ge=0, le=365)]
    worked_example: WorkedExample

    @model_validator(mode="after")
    def _reproduces_its_example(self) -> Self:
        # A file whose numbers do not give its own worked example is refused when loaded.
        example = self.worked_example
        lp = linear_predictor(self, example.inputs)
        checks = (
            ("linear_predictor", lp, example.linear_predictor, 5e-4),
            ("survival at 24 months", survival(self, lp, 24), example.survival_24_months, 5e-4),
            ("median", median_months(self, lp) or math.inf, example.median_months_from_onset, 0.05),
        )
        for name, got, stated, tolerance in checks:
            if abs(got - stated) > tolerance:
                raise ValueError(
                    f"the worked example's {name} is {stated}, the model gives {got:.4f}"
                )
        return self

    @property
    def label(self) -> str:
        return f"{self.model} {self.version}"


@dataclass(frozen=True)
class Prognosis:
    linear_predictor: float
    median_months_from_onset: float | None  # None: beyond 50 years, not given
    survival: dict[str, float]  # months from onset -> probability event-free
    model: str
    provenance: str


def linear_predictor(model: EncalsModel, x: EncalsInputs) -> float:
    """LP = Σ coefficient × transformed predictor; InvalidInput names each value out of range."""
    _check(model.input_limits, x)
    c = model.coefficients
    delay, fvc = x.diagnostic_delay_months / 10, x.fvc_percent / 100
    return float(
        c.t_slope * (x.delta_fs + 0.1) ** -0.5
        + c.t_dx_delay * (delay**-0.5 + math.log(delay))
        + c.t_age * (x.age_at_onset_years / 100) ** -2
        + c.t_fvc * (fvc**-1 + fvc**-0.5)
        + c.bulbar_onset * x.bulbar_onset
        + c.definite_als * x.definite_als
        + c.ftd * x.ftd
        + c.c9orf72 * x.c9orf72
    )


def survival(model: EncalsModel, lp: float, months: float) -> float:
    """The probability of being event-free ``months`` after onset: 1 / (1 + exp(s(ln t) + LP))."""
    if months <= 0:
        return 1.0
    z = model.baseline.s(math.log(months)) + lp
    return 1.0 / (1.0 + math.exp(z)) if z < 700 else 0.0


def median_months(model: EncalsModel, lp: float) -> float | None:
    """Months from onset at which survival is one half (s(ln t) + LP = 0), or None if that is
    beyond 50 years."""

    def gap(x: float) -> float:
        return model.baseline.s(x) + lp

    low, high = math.log(0.1), math.log(_LONGEST_MONTHS)
    if gap(low) >= 0:
        return 0.1
    if gap(high) < 0:
        return None
    return math.exp(float(brentq(gap, low, high, xtol=1e-10)))


def predict(
    x: EncalsInputs, model: EncalsModel | None = None, horizons: tuple[int, ...] = HORIZONS_MONTHS
) -> Prognosis:
    """The ENCALS prediction for one patient, with the model's version and provenance.

    >>> p = predict(EncalsInputs(age_at_onset_years=62, delta_fs=0.5, diagnostic_delay_months=11,
    ...     fvc_percent=90, bulbar_onset=False, definite_als=False, ftd=False, c9orf72=False))
    >>> median = p.median_months_from_onset or 0
    >>> round(p.linear_predictor, 3), round(p.survival["24"], 3), round(median, 1)
    (-4.522, 0.819, 36.4)
    """
    model = model or encals_model()
    lp = linear_predictor(model, x)
    return Prognosis(
        linear_predictor=lp,
        median_months_from_onset=median_months(model, lp),
        survival={str(months): survival(model, lp, months) for months in horizons},
        model=model.label,
        provenance=f"{model.reference.strip()} {model.provenance.strip()} Status: {model.status}.",
    )


def _check(limits: InputLimits, x: EncalsInputs) -> None:
    errors = []
    for name in ("age_at_onset_years", "delta_fs", "diagnostic_delay_months", "fvc_percent"):
        value = getattr(x, name)
        low, high = getattr(limits, name)
        if not (math.isfinite(value) and low <= value <= high):
            errors.append(FieldError(name, f"must be from {low:g} to {high:g}, not {value:g}"))
    if errors:
        raise InvalidInput("Invalid predictors for the ENCALS model", errors)


def load_encals_model(path: Path | Traversable) -> EncalsModel:
    """Read and check a model file; InvalidInput names the file and what is wrong."""
    return parse_model(read_text(path), str(path), EncalsModel, holds="model, version, ...")


@cache
def encals_model() -> EncalsModel:
    """The shipped model (frozen)."""
    return load_encals_model(files("alstrack.domain").joinpath("data", "prognosis", "encals.yaml"))
