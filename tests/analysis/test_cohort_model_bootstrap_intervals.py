"""Cluster-bootstrap intervals: patients resampled with replacement, reproducible from a seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cohort_cast import COLUMNS, cohort

from alstrack.analysis import PiecewiseSlopeModel, _reml
from alstrack.analysis.mixed import PARAMS
from alstrack.errors import InvalidInput

COHORT = cohort(seed=21, patients=60, visits=6)


@pytest.fixture(scope="module")
def model() -> PiecewiseSlopeModel:
    return PiecewiseSlopeModel().fit(COHORT, **COLUMNS)


def test_the_same_seed_gives_the_same_intervals(model: PiecewiseSlopeModel) -> None:
    first = model.bootstrap_conf_int(100, seed=5)
    assert model.bootstrap_conf_int(100, seed=5) == first
    assert model.bootstrap_conf_int(100, seed=6) != first


def test_bootstrap_intervals_are_about_as_wide_as_wald_intervals_when_the_model_holds(
    model: PiecewiseSlopeModel,
) -> None:
    boot = model.bootstrap_conf_int(400, seed=1)
    assert model.bootstrap_failed_ == 0
    assert model.bootstrap_samples_.shape == (400, len(PARAMS))
    for name in PARAMS:
        low, high = boot[name]
        assert low < model.params_[name] < high
        wald_low, wald_high = model.conf_int_[name]
        assert 0.75 < (high - low) / (wald_high - wald_low) < 1.33


def test_a_resample_weighted_by_draws_is_the_fit_to_the_resampled_patients() -> None:
    # The bootstrap refits from each patient's sums counted as often as the patient was drawn;
    # that must equal fitting the data frame with each drawn patient's visits repeated.
    rng = np.random.default_rng(3)
    patients = COHORT["patient_id"].unique()
    drawn = rng.choice(patients, size=len(patients), replace=True)
    resampled = pd.concat(
        [
            COHORT[COHORT["patient_id"] == p].assign(patient_id=f"{p}-{i}")
            for i, p in enumerate(drawn)
        ]
    )
    direct = PiecewiseSlopeModel().fit(resampled, **COLUMNS)

    model = PiecewiseSlopeModel().fit(COHORT, **COLUMNS)
    _, labels = pd.factorize(COHORT["patient_id"])
    weights = pd.Series(drawn).value_counts().reindex(labels, fill_value=0).to_numpy(float)
    refit = _reml.fit(model._sums, weights, model._theta)
    assert refit.converged
    beta = refit.evaluation.beta + np.array([model._y_mean, 0.0, 0.0])
    assert beta == pytest.approx([direct.params_[p] for p in PARAMS], rel=1e-6)
    assert refit.evaluation.residual_variance == pytest.approx(direct.residual_variance_, rel=1e-5)


def test_fewer_than_a_hundred_resamples_are_refused(model: PiecewiseSlopeModel) -> None:
    with pytest.raises(InvalidInput) as caught:
        model.bootstrap_conf_int(20, seed=1)
    assert [f.field for f in caught.value.fields] == ["n_resamples"]


def test_bootstrap_before_fit_says_to_fit_first() -> None:
    with pytest.raises(InvalidInput, match="Fit the model"):
        PiecewiseSlopeModel().bootstrap_conf_int(100, seed=1)


def test_resamples_that_cannot_be_fitted_are_counted_not_used() -> None:
    # Two patients only, one seen before the first administration only: a resample that draws
    # the other twice has no visit before t = 0 and no slope before to estimate.
    df = pd.DataFrame(
        {
            "patient_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
            "t_months": [-9.0, -6.0, -3.0, -1.0, 1.0, 3.0, 6.0, 9.0, -4.0, -2.0, 2.0, 4.0],
            "alsfrs_r": [40, 39, 37, 36, 30, 29, 27, 25, 44, 42, 41, 39],
        }
    )
    model = PiecewiseSlopeModel().fit(df, **COLUMNS)
    model.bootstrap_conf_int(200, seed=2)
    assert model.bootstrap_failed_ > 0
    assert len(model.bootstrap_samples_) + model.bootstrap_failed_ == 200
