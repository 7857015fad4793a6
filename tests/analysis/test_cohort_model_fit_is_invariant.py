"""Properties that hold for any cohort: row order, the outcome's origin and units, time's units."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cohort_cast import COLUMNS, cohort
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from alstrack.analysis import PiecewiseSlopeModel
from alstrack.analysis.mixed import PARAMS

cohorts = st.builds(
    cohort,
    seed=st.integers(0, 2**32 - 1),
    patients=st.integers(6, 40),
    visits=st.integers(4, 7),
    slope_change=st.floats(-1.0, 1.0),
    slope_sd=st.floats(0.1, 1.0),
    single_visit_patients=st.integers(0, 3),
)
PROPERTY = settings(max_examples=40, deadline=None)


def fitted(df: pd.DataFrame) -> PiecewiseSlopeModel:
    model = PiecewiseSlopeModel().fit(df, **COLUMNS)
    assume(model.converged_ and not model.on_boundary_)
    return model


def estimates(model: PiecewiseSlopeModel) -> list[float]:
    return [model.params_[p] for p in PARAMS] + [model.bse_[p] for p in PARAMS]


@PROPERTY
@given(cohorts, st.integers(0, 2**32 - 1))
def test_the_order_of_rows_and_patients_does_not_matter(df: pd.DataFrame, seed: int) -> None:
    model = fitted(df)
    shuffled = df.sample(frac=1.0, random_state=np.random.default_rng(seed))
    again = PiecewiseSlopeModel().fit(shuffled, **COLUMNS)
    assert estimates(again) == pytest.approx(estimates(model), rel=1e-5, abs=1e-9)


@PROPERTY
@given(cohorts, st.floats(-100.0, 100.0))
def test_shifting_the_outcome_moves_the_intercept_only(df: pd.DataFrame, shift: float) -> None:
    model = fitted(df)
    shifted = PiecewiseSlopeModel().fit(df.assign(alsfrs_r=df["alsfrs_r"] + shift), **COLUMNS)
    assert shifted.params_["intercept"] == pytest.approx(model.params_["intercept"] + shift)
    for name in ("slope_before", "slope_change"):
        assert shifted.params_[name] == pytest.approx(model.params_[name], rel=1e-5, abs=1e-9)
    assert shifted.bse_ == pytest.approx(model.bse_, rel=1e-5)


@PROPERTY
@given(cohorts, st.floats(0.05, 20.0))
def test_rescaling_the_outcome_rescales_every_estimate(df: pd.DataFrame, factor: float) -> None:
    model = fitted(df)
    scaled = PiecewiseSlopeModel().fit(df.assign(alsfrs_r=df["alsfrs_r"] * factor), **COLUMNS)
    assert estimates(scaled) == pytest.approx(
        [factor * v for v in estimates(model)], rel=1e-5, abs=1e-9
    )
    assert scaled.residual_variance_ == pytest.approx(
        factor**2 * model.residual_variance_, rel=1e-5
    )


@PROPERTY
@given(cohorts)
def test_time_in_days_gives_slopes_per_day(df: pd.DataFrame) -> None:
    model = fitted(df)
    days = 30.4375
    per_day = PiecewiseSlopeModel().fit(df.assign(t_months=df["t_months"] * days), **COLUMNS)
    assert per_day.params_["intercept"] == pytest.approx(model.params_["intercept"], rel=1e-5)
    for name in ("slope_before", "slope_change"):
        assert per_day.params_[name] * days == pytest.approx(model.params_[name], rel=1e-5)
        assert per_day.bse_[name] * days == pytest.approx(model.bse_[name], rel=1e-5)
