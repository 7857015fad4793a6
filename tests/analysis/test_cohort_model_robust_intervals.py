"""Cluster-robust (sandwich) intervals of the cohort model, checked against the textbook formula
written patient by patient (the model's version pads patients into one array to run at once)."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest
from cohort_cast import COLUMNS, cohort

from alstrack.analysis import PiecewiseSlopeModel
from alstrack.analysis.mixed import PARAMS
from alstrack.errors import InvalidInput


def _sandwich_one_patient_at_a_time(model: PiecewiseSlopeModel, df: object) -> np.ndarray:
    """A⁻¹ B A⁻¹ · m/(m − p), with A = Σ XᵢᵀVᵢ⁻¹Xᵢ and B = Σ XᵢᵀVᵢ⁻¹rᵢrᵢᵀVᵢ⁻¹Xᵢ (Liang & Zeger)."""
    import pandas as pd

    assert isinstance(df, pd.DataFrame)
    beta = np.array([model.params_[k] for k in PARAMS])
    a = np.zeros((3, 3))
    b = np.zeros((3, 3))
    groups = df.groupby(COLUMNS["patient"], sort=False)
    for _, visits in groups:
        t = visits[COLUMNS["time"]].to_numpy()
        x = np.column_stack([np.ones_like(t), t, np.maximum(t, 0.0)])
        z = x[:, :2]
        v = z @ model.random_effects_cov_ @ z.T + model.residual_variance_ * np.eye(len(t))
        v_inv = np.linalg.inv(v)
        r = visits[COLUMNS["outcome"]].to_numpy() - x @ beta
        a += x.T @ v_inv @ x
        score = x.T @ v_inv @ r
        b += np.outer(score, score)
    m = groups.ngroups
    a_inv = np.linalg.inv(a)
    cov: np.ndarray = a_inv @ b @ a_inv * m / (m - 3)
    return cov


@pytest.mark.parametrize("single_visit_patients", [0, 7])
def test_robust_intervals_match_the_sandwich_computed_patient_by_patient(
    single_visit_patients: int,
) -> None:
    df = cohort(seed=8, patients=40, visits=5, single_visit_patients=single_visit_patients)
    model = PiecewiseSlopeModel().fit(df, **COLUMNS)
    intervals = model.robust_conf_int()
    se = np.sqrt(np.diag(_sandwich_one_patient_at_a_time(model, df)))
    z = NormalDist().inv_cdf(0.975)
    for name, s in zip(PARAMS, se, strict=True):
        assert model.robust_bse_[name] == pytest.approx(s, rel=1e-9)
        low, high = intervals[name]
        assert low == pytest.approx(model.params_[name] - z * s, rel=1e-9)
        assert high == pytest.approx(model.params_[name] + z * s, rel=1e-9)


def test_robust_intervals_follow_the_models_level() -> None:
    df = cohort(seed=8, patients=40, visits=5)
    wide = PiecewiseSlopeModel(alpha=0.01).fit(df, **COLUMNS).robust_conf_int()["slope_change"]
    narrow = PiecewiseSlopeModel(alpha=0.10).fit(df, **COLUMNS).robust_conf_int()["slope_change"]
    assert wide[1] - wide[0] > narrow[1] - narrow[0]


def test_with_three_patients_there_is_no_robust_interval() -> None:
    model = PiecewiseSlopeModel().fit(cohort(seed=2, patients=3, visits=6), **COLUMNS)
    with pytest.raises(InvalidInput, match="more than 3 patients; the data have 3"):
        model.robust_conf_int()


def test_robust_intervals_before_fit_say_to_fit_first() -> None:
    with pytest.raises(InvalidInput, match="Fit the model"):
        PiecewiseSlopeModel().robust_conf_int()
