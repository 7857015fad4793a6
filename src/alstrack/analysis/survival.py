"""Event-free survival of a cohort from onset, beside the survival expected of the same patients.

The observed curve is Kaplan-Meier with delayed entry: a patient is at risk only from the day
they entered the programme's records (left truncation), or the patients who died before any
clinic saw them would be missing from the denominator and survival overstated. It is computed
with statsmodels' ``SurvfuncRight`` (its ``entry`` argument); lifelines, which the issue names,
is not used because its current release requires pandas < 3 and alstrack pins pandas 3.
Pointwise 95% intervals use the log(-log) transform of Greenwood's standard error.

The expected curve is Ederer II (Ederer & Heise, 1959): month by month, the mean conditional
survival of the patients still at risk, each from their own expected curve (ENCALS). Both
curves are 1 at the earliest entry and so compare like with like.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.duration.survfunc import SurvfuncRight

__all__ = ["CurvePoint", "ederer_expected", "kaplan_meier"]

_Z = 1.959963984540054  # the 97.5th centile of the standard normal


@dataclass(frozen=True)
class CurvePoint:
    months: float
    survival: float
    low: float | None = None
    high: float | None = None
    at_risk: int | None = None


def kaplan_meier(
    exits: Sequence[float], events: Sequence[bool], entries: Sequence[float]
) -> list[CurvePoint]:
    """The product-limit curve with delayed entry: one point per event time, from 1 at the
    earliest entry, each with its pointwise 95% interval and the number at risk.

    >>> [round(p.survival, 3) for p in kaplan_meier([5, 8, 12], [True, False, True], [0, 0, 0])]
    [1.0, 0.667, 0.0]
    """
    if not (len(exits) == len(events) == len(entries)):
        raise ValueError("exits, events and entries differ in length")
    if not exits:
        return []
    time = np.asarray(exits, float)
    status = np.asarray(events, int)
    entry = np.asarray(entries, float)
    if np.any(entry >= time):
        raise ValueError("every exit must come after its entry")
    start = CurvePoint(float(entry.min()), 1.0, 1.0, 1.0, int(np.sum(entry <= entry.min())))
    if status.sum() == 0:
        return [start]
    fit = SurvfuncRight(time, status, entry=entry)
    points = [start]
    for t, s, se, n in zip(
        fit.surv_times, fit.surv_prob, fit.surv_prob_se, fit.n_risk, strict=True
    ):
        low, high = _log_log(float(s), float(se))
        points.append(CurvePoint(float(t), float(s), low, high, int(n)))
    return points


def ederer_expected(
    entries: Sequence[float],
    exits: Sequence[float],
    survival: Sequence[Callable[[float], float]],
    *,
    step: float = 1.0,
) -> list[CurvePoint]:
    """Ederer II expected survival on a grid of ``step`` months from the earliest entry: at each
    step, the mean over the patients at risk (entered, not yet out) of S_i(t + step) / S_i(t).

    >>> flat = [lambda t: math.exp(-t / 10)] * 2
    >>> [round(p.survival, 4) for p in ederer_expected([0, 0], [3, 3], flat)]
    [1.0, 0.9048, 0.8187, 0.7408]
    """
    if not entries:
        return []
    t = float(min(entries))
    end = float(max(exits))
    value = 1.0
    points = [CurvePoint(t, value, at_risk=_at_risk(entries, exits, t))]
    while t < end - 1e-9:
        at_risk = [i for i, (e, x) in enumerate(zip(entries, exits, strict=True)) if e <= t < x]
        if not at_risk:
            break
        ratios = []
        for i in at_risk:
            now = survival[i](t)
            ratios.append(survival[i](t + step) / now if now > 0 else 0.0)
        value *= float(np.mean(ratios))
        t += step
        points.append(CurvePoint(t, value, at_risk=_at_risk(entries, exits, t)))
    return points


def _at_risk(entries: Sequence[float], exits: Sequence[float], t: float) -> int:
    return sum(1 for e, x in zip(entries, exits, strict=True) if e <= t < x)


def _log_log(s: float, se: float) -> tuple[float | None, float | None]:
    if s <= 0.0 or s >= 1.0 or se <= 0.0:
        return (None, None) if s <= 0.0 else (s, s)
    spread = _Z * se / (s * abs(math.log(s)))
    return s ** math.exp(spread), s ** math.exp(-spread)
