"""The analysis behind the report runs on a data frame: its cluster-robust interval widens when
patients' own changes of slope vary, its bootstrap is seeded, and what it cannot do it refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alstrack.errors import InvalidInput
from alstrack.services.cohort_outcomes import estimate_slope_change


def cohort(seed: int, *, own_change_sd: float, patients: int = 150) -> pd.DataFrame:
    """Visits at -6, -3, 0, 3, 6, 12 months; slopes about -1/month; no mean change of slope."""
    rng = np.random.default_rng(seed)
    t = np.tile([-6.0, -3.0, 0.0, 3.0, 6.0, 12.0], patients)
    pid = np.repeat(np.arange(patients), 6)
    slope = rng.normal(-1.0, 0.4, patients)
    own = rng.normal(0.0, own_change_sd, patients) if own_change_sd else np.zeros(patients)
    y = 36 + rng.normal(0, 4, patients)[pid] + slope[pid] * t + own[pid] * np.maximum(t, 0)
    return pd.DataFrame(
        {"patient_id": pid, "t_months": t, "alsfrs_r": y + rng.normal(0, 1.5, t.size)}
    )


def width(low: float, high: float) -> float:
    return high - low


def test_the_robust_interval_widens_when_patients_own_changes_of_slope_vary() -> None:
    same = estimate_slope_change(cohort(1, own_change_sd=0.0), bootstrap_resamples=None)
    varied = estimate_slope_change(cohort(1, own_change_sd=0.8), bootstrap_resamples=None)
    assert same.robust is not None
    assert varied.robust is not None
    # Where the model holds, both standard errors estimate the same thing.
    ratio = width(same.robust.low, same.robust.high) / width(same.wald.low, same.wald.high)
    assert 0.8 < ratio < 1.25
    # Where patients' own changes vary, the model-based one is too narrow.
    ratio = width(varied.robust.low, varied.robust.high) / width(varied.wald.low, varied.wald.high)
    assert ratio > 1.3


def test_with_three_patients_or_fewer_there_is_no_robust_interval() -> None:
    few = cohort(2, own_change_sd=0.0, patients=3)
    estimate = estimate_slope_change(few, bootstrap_resamples=None)
    assert estimate.robust is None
    assert estimate.reading.endswith("the 95% Wald interval covers zero") or (
        "every 95% interval (Wald)" in estimate.reading
    )


def test_the_bootstrap_is_seeded_and_counted() -> None:
    df = cohort(3, own_change_sd=0.3, patients=40)
    once = estimate_slope_change(df, bootstrap_resamples=100, seed=5)
    again = estimate_slope_change(df, bootstrap_resamples=100, seed=5)
    other = estimate_slope_change(df, bootstrap_resamples=100, seed=6)
    assert once == again
    assert once.bootstrap != other.bootstrap
    assert (once.bootstrap_resamples, once.bootstrap_seed, once.bootstrap_failed) == (100, 5, 0)


def test_fewer_resamples_than_a_percentile_interval_needs_are_refused() -> None:
    with pytest.raises(InvalidInput, match="bootstrap_resamples: at least 100, got 5"):
        estimate_slope_change(cohort(4, own_change_sd=0.0, patients=20), bootstrap_resamples=5)
