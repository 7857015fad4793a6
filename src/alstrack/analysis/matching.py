"""Matching treated patients to external natural-history controls, and comparing their slopes.

Each treated patient's baseline (the last ALSFRS-R on or before the first dose) is matched to
visits of external subjects with the same onset region and, within calipers, similar ALSFRS-R,
ΔFS and age at that visit; the nearest (standardised distance) are kept, with replacement. The
outcome is the ALSFRS-R slope over the following months: the patient's after the first dose,
each control's after the matched visit. The difference per patient (own slope minus the mean of
their controls') is summarised with a t interval. Calipers and the horizon are parameters with
their defaults stated here; none of this makes an external cohort a randomised control.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from alstrack.analysis.trajectory import fit_slope

__all__ = ["Baseline", "Calipers", "Comparison", "ControlVisit", "compare", "match"]


@dataclass(frozen=True)
class Calipers:
    """How close a control's visit must be to a patient's baseline (alstrack defaults; a
    programme states its own in its analysis plan)."""

    alsfrs_points: float = 3.0
    delta_fs: float = 0.3
    age_years: float = 7.0
    controls_per_patient: int = 5
    horizon_months: float = 12.0
    min_visits_after: int = 2


@dataclass(frozen=True)
class Baseline:
    """A treated patient at their first dose, and their visits after it (months, total)."""

    key: str
    region: str  # bulbar | spinal
    total: float
    delta_fs: float
    age_years: float
    after: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ControlVisit:
    """A visit of an external subject that could serve as a matched baseline, with the
    subject's visits after it (months from it, total)."""

    subject: str
    region: str
    total: float
    delta_fs: float
    age_years: float
    after: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Comparison:
    patients_matched: int
    patients_unmatched: int
    controls_used: int
    mean_difference: float | None  # points/month: patient's slope minus their controls' mean
    low: float | None
    high: float | None


def match(
    patient: Baseline, candidates: Sequence[ControlVisit], calipers: Calipers
) -> list[ControlVisit]:
    """The nearest candidate visits within the calipers, one per subject, at most
    ``controls_per_patient``; each with enough visits after it.

    >>> p = Baseline("p1", "spinal", 38, 0.8, 55, ((3.0, 36.0), (6.0, 34.0)))
    >>> near = ControlVisit("c1", "spinal", 37, 0.7, 57, ((3.0, 34.0), (6.0, 31.0)))
    >>> far = ControlVisit("c2", "spinal", 30, 0.7, 57, ((3.0, 28.0), (6.0, 25.0)))
    >>> [c.subject for c in match(p, [near, far], Calipers())]
    ['c1']
    """
    scored: list[tuple[float, ControlVisit]] = []
    for c in candidates:
        if c.region != patient.region:
            continue
        d_total = abs(c.total - patient.total) / calipers.alsfrs_points
        d_dfs = abs(c.delta_fs - patient.delta_fs) / calipers.delta_fs
        d_age = abs(c.age_years - patient.age_years) / calipers.age_years
        if max(d_total, d_dfs, d_age) > 1:
            continue
        within = [a for a in c.after if 0 < a[0] <= calipers.horizon_months]
        if len(within) < calipers.min_visits_after:
            continue
        scored.append((math.sqrt(d_total**2 + d_dfs**2 + d_age**2), c))
    chosen: list[ControlVisit] = []
    subjects: set[str] = set()
    for _, c in sorted(scored, key=lambda item: (item[0], item[1].subject)):
        if c.subject in subjects:
            continue
        subjects.add(c.subject)
        chosen.append(c)
        if len(chosen) == calipers.controls_per_patient:
            break
    return chosen


def compare(
    patients: Sequence[Baseline], candidates: Sequence[ControlVisit], calipers: Calipers
) -> Comparison:
    """Each matched patient's slope after the first dose minus the mean slope of their controls
    after the matched visit, over ``horizon_months``; the mean difference with a 95% t interval
    over patients."""
    differences: list[float] = []
    unmatched = 0
    used: set[str] = set()
    for patient in patients:
        own = _slope(patient.total, patient.after, calipers)
        controls = match(patient, candidates, calipers)
        slopes = [s for c in controls if (s := _slope(c.total, c.after, calipers)) is not None]
        if own is None or not slopes:
            unmatched += 1
            continue
        used.update(c.subject for c in controls)
        differences.append(own - float(np.mean(slopes)))
    n = len(differences)
    if n == 0:
        return Comparison(0, unmatched, 0, None, None, None)
    mean = float(np.mean(differences))
    if n < 2:
        return Comparison(n, unmatched, len(used), mean, None, None)
    half = float(stats.t.ppf(0.975, n - 1)) * float(np.std(differences, ddof=1)) / math.sqrt(n)
    return Comparison(n, unmatched, len(used), mean, mean - half, mean + half)


def _slope(
    baseline: float, after: Sequence[tuple[float, float]], calipers: Calipers
) -> float | None:
    """The least-squares slope from the baseline (t = 0) through the visits within the horizon."""
    within = [(t, y) for t, y in after if 0 < t <= calipers.horizon_months]
    if len(within) < calipers.min_visits_after:
        return None
    return fit_slope([0.0, *(t for t, _ in within)], [baseline, *(y for _, y in within)]).per_month
