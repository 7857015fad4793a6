"""Responders in the treated cohort, beside how often the same happens without treatment.

A responder's own ALSFRS-R slope after the first dose exceeds their slope before it by at least
a stated amount (least-squares lines of their visits on each side). Beside the count: the
patients with no decline from the first dose to 6, 12 and 18 months, each with the share of
untreated patients who show none, and the regression-to-the-mean caveat. Every comparison figure
is cited; none is estimated here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, Field

from alstrack.errors import InvalidInput
from alstrack.services.outcomes import TOLERANCE_MONTHS
from alstrack.services.safety_report import Proportion, exact_interval

__all__ = [
    "MIN_VISITS_EACH_SIDE",
    "NO_DECLINE_UNTREATED",
    "RESPONDER_CAVEAT",
    "RESPONDER_THRESHOLD",
    "RespondersOut",
    "responders",
]

# Points/month. The NurOwn phase 3 trial's responder definition: "a change in disease
# progression post-treatment of ≥1.25 points/mo defines a clinical response" (Cudkowicz et al.,
# Muscle Nerve 2022;65:291-302). Chosen because it is the one published definition with an
# untreated figure beside it: 27.7% of the trial's placebo recipients met it (evidence.md).
RESPONDER_THRESHOLD = 1.25
PLACEBO_RESPONDERS_PERCENT = 27.7
PLACEBO_SOURCE = (
    "NurOwn phase 3, placebo arm (Cudkowicz et al., Muscle Nerve 2022; participants selected "
    "for a decline of 3 or more ALSFRS-R points before randomisation)"
)
# A slope needs two visits on different days; fewer on either side and the patient is not
# counted. Slopes from two or three visits are noisy: that is part of the caveat.
MIN_VISITS_EACH_SIDE = 2
# Untreated patients with no ALSFRS-R decline over 6 / 12 / 18 months (Bedlack et al.,
# Neurology 2016;86:808; prognosis.md).
NO_DECLINE_UNTREATED = {6: 25.0, 12: 16.0, 18: 7.0}
BEDLACK = "Bedlack et al., Neurology 2016;86:808 (untreated patients)"
RESPONDER_CAVEAT = (
    "Responder counts overstate what any treatment does. A patient's slope before the first "
    "dose rests on a few noisy visits, and treatment often starts after a bad spell; the next "
    "stretch then tends to look better by chance alone (regression to the mean), and two slopes "
    "from few visits differ by noise alone. Untreated patients meet the same definitions: in the "
    "NurOwn phase 3 trial 27.7% of placebo recipients met the ≥1.25 points/month definition "
    "(Cudkowicz et al., Muscle Nerve 2022), and without any treatment 25% / 16% / 7% of "
    "patients show no ALSFRS-R decline over 6 / 12 / 18 months, fewer than 1% sustaining a gain "
    "of 4 points or more (Bedlack et al., Neurology 2016). A count here is not evidence that the "
    "therapy has any effect."
)


class NoDeclineOut(BaseModel):
    horizon_months: int
    patients: Proportion = Field(
        description="Patients whose ALSFRS-R at the horizon (±1.5 months) is not below their "
        "last one on or before the first dose (at most 1.5 months before it), of those with both"
    )
    untreated_percent: float = Field(description="The same without treatment, as published")
    untreated_source: str


class RespondersOut(BaseModel):
    threshold_points_per_month: float
    definition: str
    responders: Proportion = Field(description="Of the patients with slopes on both sides")
    untreated_comparison: str
    no_decline: list[NoDeclineOut]
    caveat: str


def responders(df: pd.DataFrame, *, threshold: float | None = None) -> RespondersOut:
    """Responders and no-decline counts of ``df`` (patient_id, t_months, alsfrs_r)."""
    cut = RESPONDER_THRESHOLD if threshold is None else threshold
    if not 0 < cut <= 48:
        raise InvalidInput.for_field(
            "responder_threshold", f"must be above 0 and at most 48 points/month, got {cut}"
        )
    changes = []
    horizons: dict[int, list[bool]] = {h: [] for h in NO_DECLINE_UNTREATED}
    for _, visits in df.groupby("patient_id", sort=True):
        t = visits["t_months"].to_numpy(np.float64)
        y = visits["alsfrs_r"].to_numpy(np.float64)
        before, after = _slope(t[t <= 0], y[t <= 0]), _slope(t[t > 0], y[t > 0])
        if before is not None and after is not None:
            changes.append(after - before)
        for horizon, seen in horizons.items():
            kept = _no_decline(t, y, horizon)
            if kept is not None:
                seen.append(kept)
    met = sum(1 for c in changes if c >= cut)
    comparison = (
        f"{PLACEBO_RESPONDERS_PERCENT}% met this definition in the {PLACEBO_SOURCE}"
        if cut == RESPONDER_THRESHOLD
        else f"no published untreated figure for {cut:g} points/month is known to alstrack; "
        f"{PLACEBO_RESPONDERS_PERCENT}% met ≥{RESPONDER_THRESHOLD} points/month in the "
        f"{PLACEBO_SOURCE}"
    )
    return RespondersOut(
        threshold_points_per_month=cut,
        definition=f"own slope after the first dose minus own slope before it of at least "
        f"+{cut:g} ALSFRS-R points/month (least-squares lines, at least "
        f"{MIN_VISITS_EACH_SIDE} visits on different days on each side)",
        responders=exact_interval(met, len(changes)),
        untreated_comparison=comparison,
        no_decline=[
            NoDeclineOut(
                horizon_months=h,
                patients=exact_interval(sum(seen), len(seen)),
                untreated_percent=NO_DECLINE_UNTREATED[h],
                untreated_source=BEDLACK,
            )
            for h, seen in horizons.items()
        ],
        caveat=RESPONDER_CAVEAT,
    )


def _slope(t: NDArray[np.float64], y: NDArray[np.float64]) -> float | None:
    if t.size < MIN_VISITS_EACH_SIDE or np.unique(t).size < 2:
        return None
    dt = t - t.mean()
    return float(dt @ (y - y.mean()) / (dt @ dt))


def _no_decline(t: NDArray[np.float64], y: NDArray[np.float64], horizon: int) -> bool | None:
    """Whether the score near ``horizon`` is at least the one at the first dose; None when the
    patient has no visit near either."""
    base = (t <= 0) & (t >= -TOLERANCE_MONTHS)
    near = np.abs(t - horizon) <= TOLERANCE_MONTHS
    if not base.any() or not near.any():
        return None
    start = y[base][np.argmax(t[base])]
    end = y[near][np.argmin(np.abs(t[near] - horizon))]
    return bool(end >= start)
