"""The REML criterion's analytic gradient is its derivative (checked by central differences)."""

from __future__ import annotations

import numpy as np
import pytest
from cohort_cast import cohort

from alstrack.analysis import _reml


@pytest.mark.parametrize(
    "theta", [[3.0, 0.1, 0.3], [0.5, -0.4, 0.05], [1.0, 0.0, 0.0], [-2.0, 0.3, -0.2]]
)
def test_the_gradient_is_the_derivative_of_the_criterion(theta: list[float]) -> None:
    df = cohort(seed=31, patients=25, visits=5, single_visit_patients=3)
    codes = df["patient_id"].factorize()[0]
    y = df["alsfrs_r"].to_numpy()
    sums = _reml.patient_sums(codes, df["t_months"].to_numpy(), y - y.mean())
    weights = np.random.default_rng(4).integers(0, 3, sums.n_patients).astype(float)
    point = np.array(theta)
    step = 1e-6
    numeric = [
        (
            _reml.evaluate(point + step * e, sums, weights).criterion
            - _reml.evaluate(point - step * e, sums, weights).criterion
        )
        / (2 * step)
        for e in np.eye(3)
    ]
    assert _reml.evaluate(point, sums, weights).gradient == pytest.approx(
        numeric, rel=1e-5, abs=1e-4
    )
