"""One patient's course of a measure: slopes before and after the first dose, each with its 95%
interval and the number of visits behind it, the course expected without treatment (the
slope before treatment projected forward), and observed minus expected at fixed horizons.

Time is in months from the first dose (t = 0; negative before it). A slope is an ordinary
least-squares line (statsmodels OLS): with two visits it has no interval, with one it has none
at all. The expected value at a horizon is the line before treatment projected there, with its
95% *prediction* interval (the spread a single new visit would have around it); when the
patient has fewer than three visits before the first dose, the expected course comes from ΔFS
(the loss per month from onset, assuming a full score at onset) and has no interval. Observed
minus expected compares the visit nearest each horizon (within a tolerance) with that
projection. None of this estimates a treatment effect: a single patient's course is not
evidence (natural history has plateaus; prognosis.md), which is why every number carries its
interval and its count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm

__all__ = [
    "MONTH_DAYS",
    "Comparison",
    "Expected",
    "Slope",
    "delta_fs_slope",
    "expected_course",
    "fit_slope",
    "observed_minus_expected",
]

MONTH_DAYS = 30.4375  # 365.25 / 12, as ΔFS uses (Kimura 2006)
_Z_LEVEL = 0.05


@dataclass(frozen=True)
class Slope:
    """Change per month, its 95% interval (None when it has none) and the visits behind it."""

    per_month: float | None
    low: float | None
    high: float | None
    n_visits: int
    method: str
    note: str | None = None


@dataclass(frozen=True)
class Expected:
    """The value expected without treatment at ``months`` from the first dose."""

    months: float
    value: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Comparison:
    horizon_months: int
    observed: float | None
    observed_at_months: float | None
    expected: float | None
    expected_low: float | None
    expected_high: float | None
    difference: float | None
    low: float | None
    high: float | None
    note: str | None = None


def fit_slope(months: Sequence[float], values: Sequence[float]) -> Slope:
    """The least-squares slope per month with its 95% interval.

    >>> s = fit_slope([-6, -3, 0], [40, 37.5, 34])
    >>> round(s.per_month, 3), s.n_visits, s.low is not None
    (-1.0, 3, True)
    """
    n = len(months)
    method = f"least squares over {n} visit{'s' if n != 1 else ''}"
    if n != len(values):
        raise ValueError("months and values differ in length")
    if n < 2 or len(set(months)) < 2:
        return Slope(None, None, None, n, method, "fewer than two visits on different days")
    fit = sm.OLS(np.asarray(values, float), sm.add_constant(np.asarray(months, float))).fit()
    slope = float(fit.params[1])
    if n == 2:
        return Slope(slope, None, None, n, method, "two visits: a line, but no interval")
    low, high = (float(v) for v in fit.conf_int(alpha=_Z_LEVEL)[1])
    return Slope(slope, low, high, n, method)


def delta_fs_slope(delta_fs: float | None, note: str | None = None) -> Slope:
    """The slope from onset that ΔFS implies (−ΔFS per month), which has no interval."""
    if delta_fs is None:
        return Slope(None, None, None, 0, "ΔFS from onset", note or "no ΔFS")
    return Slope(
        -delta_fs, None, None, 1, "ΔFS from onset", "assumes a full score at onset; no interval"
    )


def expected_course(
    pre_months: Sequence[float],
    pre_values: Sequence[float],
    at_months: Sequence[float],
    *,
    delta_fs: float | None = None,
    bounds: tuple[float, float] | None = None,
) -> tuple[list[Expected], str]:
    """The values expected without treatment at ``at_months``, and how they were obtained.

    Three or more visits before the first dose: their least-squares line with 95% prediction
    intervals. Fewer: the last value before the dose carried forward at −ΔFS per month, without
    an interval. None of either: an empty list. ``bounds`` clip to the scale (0 to 48 for
    ALSFRS-R).
    """
    n = len(pre_months)
    if n >= 3 and len(set(pre_months)) >= 2:
        x = sm.add_constant(np.asarray(pre_months, float))
        fit = sm.OLS(np.asarray(pre_values, float), x).fit()
        new = sm.add_constant(np.asarray(at_months, float), has_constant="add")
        frame = fit.get_prediction(new).summary_frame(alpha=_Z_LEVEL)
        out = [
            Expected(
                float(t),
                _clip(float(row["mean"]), bounds),
                _clip(float(row["obs_ci_lower"]), bounds),
                _clip(float(row["obs_ci_upper"]), bounds),
            )
            for t, (_, row) in zip(at_months, frame.iterrows(), strict=True)
        ]
        return out, f"the line of {n} visits before the first dose, with 95% prediction intervals"
    if delta_fs is not None and n >= 1:
        last = max(range(n), key=lambda i: pre_months[i])
        t0, y0 = pre_months[last], pre_values[last]
        out = [
            Expected(float(t), _clip(y0 - delta_fs * (t - t0), bounds), None, None)
            for t in at_months
        ]
        return out, (
            f"ΔFS {delta_fs:.2f} points/month from the last visit before the first dose "
            f"({n} visit{'s' if n != 1 else ''} before it: too few for a line); no interval"
        )
    if n == 0:
        return [], "no visit before the first dose and no ΔFS: no expected course"
    return [], (
        f"{n} visit{'s' if n != 1 else ''} before the first dose (too few for a line) and no "
        "ΔFS: no expected course"
    )


def observed_minus_expected(
    pre_months: Sequence[float],
    pre_values: Sequence[float],
    post_months: Sequence[float],
    post_values: Sequence[float],
    *,
    horizons: Sequence[int] = (3, 6, 12),
    tolerance_months: float = 1.5,
    delta_fs: float | None = None,
    bounds: tuple[float, float] | None = None,
) -> list[Comparison]:
    """At each horizon: the visit nearest it (within ``tolerance_months``), the value expected
    there without treatment, and their difference with the interval the expectation carries.

    >>> [round(c.difference or 0, 6) for c in observed_minus_expected(
    ...     [-6, -3, 0], [40, 37, 34], [3, 6], [33, 31], horizons=(3, 6, 12))][:2]
    [2.0, 3.0]
    """
    out: list[Comparison] = []
    for horizon in horizons:
        near = [
            (abs(t - horizon), t, y)
            for t, y in zip(post_months, post_values, strict=True)
            if abs(t - horizon) <= tolerance_months
        ]
        if not near:
            out.append(
                Comparison(horizon, None, None, None, None, None, None, None, None,
                           f"no visit within {tolerance_months:g} months of month {horizon}")
            )  # fmt: skip
            continue
        _, t, observed = min(near)
        expected, how = expected_course(
            pre_months, pre_values, [t], delta_fs=delta_fs, bounds=bounds
        )
        if not expected:
            out.append(
                Comparison(horizon, observed, t, None, None, None, None, None, None, how)
            )  # fmt: skip
            continue
        e = expected[0]
        low = observed - e.high if e.high is not None else None
        high = observed - e.low if e.low is not None else None
        note = None if e.low is not None else how
        out.append(
            Comparison(horizon, observed, t, e.value, e.low, e.high, observed - e.value, low, high,
                       note)
        )  # fmt: skip
    return out


def _clip(value: float, bounds: tuple[float, float] | None) -> float:
    if bounds is None or math.isnan(value):
        return value
    return min(max(value, bounds[0]), bounds[1])
