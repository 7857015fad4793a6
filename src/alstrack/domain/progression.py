"""Rate of change of a score over visits: the least-squares slope in points per month."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from alstrack.errors import InvalidInput

__all__ = ["DAYS_PER_MONTH", "Slope", "slope"]

DAYS_PER_MONTH = 30.4375  # 365.25 / 12, as for ΔFS (Kimura et al., Neurology 2006)


@dataclass(frozen=True)
class Slope:
    """A fitted slope, or None with the reason it could not be fitted."""

    points_per_month: float | None
    n_visits: int
    first: date | None
    last: date | None
    reason: str | None


def slope(
    points: Sequence[tuple[date, float]], *, start: date | None = None, end: date | None = None
) -> Slope:
    """Ordinary least-squares slope of score on time over the visits in [start, end].

    >>> round(slope([(date(2024, 1, 1), 40.0), (date(2024, 7, 1), 34.0)]).points_per_month, 4)
    -1.0034
    """
    if start is not None and end is not None and start > end:
        raise InvalidInput.for_field("start", f"must not be after end ({end.isoformat()})")
    for visit, score in points:
        if not math.isfinite(score):
            raise InvalidInput.for_field("points", f"score on {visit.isoformat()} is not a number")
    inside = sorted(
        (visit, score)
        for visit, score in points
        if (start is None or visit >= start) and (end is None or visit <= end)
    )
    n = len(inside)
    first = inside[0][0] if inside else None
    last = inside[-1][0] if inside else None
    if n < 2:
        reason = "no visits in the window" if n == 0 else "only one visit in the window"
        return Slope(None, n, first, last, reason)
    if first == last:
        return Slope(None, n, first, last, "all visits in the window are on one day")
    # Months from the first visit keep the numbers small; the slope does not depend on the origin.
    origin = inside[0][0]
    xs = [(visit - origin).days / DAYS_PER_MONTH for visit, _ in inside]
    ys = [score for _, score in inside]
    mean_x = math.fsum(xs) / n
    mean_y = math.fsum(ys) / n
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    return Slope(sxy / sxx, n, first, last, None)
