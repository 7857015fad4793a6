"""The cohort model gives statsmodels MixedLM's REML fit of y ~ t + tpos, re_formula="~t".

The issue's bar: fixed effects to 1e-4 relative, their standard errors to 1%. The standard errors
differ slightly by construction: this model's are from (XᵀV⁻¹X)⁻¹·σ² at the estimate, as in nlme
and lme4; statsmodels inverts its whole observed information matrix, whose fixed-by-covariance
block is not exactly zero in a finite sample (about 0.1% here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cohort_cast import COLUMNS, cohort, statsmodels_fit
from statsmodels.regression.mixed_linear_model import MixedLMResults

from alstrack.analysis import PiecewiseSlopeModel
from alstrack.analysis.mixed import PARAMS

COHORTS = {
    "60 patients, 6 visits each": cohort(seed=1),
    "10 of 60 patients with one visit": cohort(seed=2, single_visit_patients=10),
    "200 patients, 8 visits, no change of slope": cohort(
        seed=6, patients=200, visits=8, slope_change=0.0
    ),
}


@pytest.fixture(scope="module", params=COHORTS, ids=list(COHORTS))
def both(request: pytest.FixtureRequest) -> tuple[PiecewiseSlopeModel, MixedLMResults]:
    df: pd.DataFrame = COHORTS[request.param]
    reference = statsmodels_fit(df)
    assert reference.converged
    return PiecewiseSlopeModel().fit(df, **COLUMNS), reference


def test_slope_change_agrees_with_statsmodels_mixedlm(
    both: tuple[PiecewiseSlopeModel, MixedLMResults],
) -> None:
    ours, reference = both
    assert ours.converged_
    assert [ours.params_[p] for p in PARAMS] == pytest.approx(
        reference.fe_params.to_numpy(), rel=1e-4
    )


def test_standard_errors_agree_with_statsmodels_to_one_percent(
    both: tuple[PiecewiseSlopeModel, MixedLMResults],
) -> None:
    ours, reference = both
    assert [ours.bse_[p] for p in PARAMS] == pytest.approx(reference.bse_fe.to_numpy(), rel=1e-2)


def test_wald_intervals_are_statsmodels_conf_int(
    both: tuple[PiecewiseSlopeModel, MixedLMResults],
) -> None:
    ours, reference = both
    theirs = reference.conf_int(alpha=0.05).to_numpy()[: len(PARAMS)]
    for name, (low, high) in zip(PARAMS, theirs, strict=True):
        width = high - low
        assert ours.conf_int_[name][0] == pytest.approx(low, abs=0.01 * width)
        assert ours.conf_int_[name][1] == pytest.approx(high, abs=0.01 * width)


def test_variance_components_and_reml_likelihood_agree_with_statsmodels(
    both: tuple[PiecewiseSlopeModel, MixedLMResults],
) -> None:
    ours, reference = both
    assert ours.residual_variance_ == pytest.approx(reference.scale, rel=1e-3)
    cov = reference.cov_re.to_numpy()
    assert ours.random_effects_cov_ == pytest.approx(cov, rel=1e-3, abs=1e-3 * np.abs(cov).max())
    assert ours.log_likelihood_ == pytest.approx(reference.llf, rel=1e-8)


def test_counts_are_patients_and_visits(both: tuple[PiecewiseSlopeModel, MixedLMResults]) -> None:
    ours, reference = both
    assert ours.n_patients_ == reference.model.n_groups
    assert ours.n_obs_ == reference.nobs
