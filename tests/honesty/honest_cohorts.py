"""Synthetic treated cohorts for the honesty tests: natural history with a known slope change.

Each patient declines in a straight line from onset (ALSFRS-R about 48 then), at their own rate,
and is treated when still eligible; visits come before the first dose (t < 0), on its day
(t = 0) and after it. Every number is a modelling choice in line with prognosis.md, not data:
- rates log-normal with mean about 1 point/month and a wide spread (Atassi 2014: 1.02;
  Thakore 2018: 0.99);
- first dose 9-30 months after onset, given only to patients expected to score 24 or more then
  (a programme's eligibility; the trials cited in evidence.md enrolled ALSFRS-R of 25 or more);
- patients' own slope changes vary around the true change, SD 0.4 points/month: plateaus and
  accelerations happen without treatment (Bedlack 2016), so even with no true change each
  patient's course bends a little at the dose;
- visits 6 and 3 months before, on the day, and 1, 3, 6, 9 and 12 months after, each off by
  about a week and missed one time in seven; scores with noise (SD 1.5), rounded to whole
  points and held within 0-48.
Seeded: the same call gives the same cohort.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VISIT_MONTHS = np.array([-6.0, -3.0, 0.0, 1.0, 3.0, 6.0, 9.0, 12.0])
ELIGIBLE_FROM = 24.0


def cohort(seed: int, *, slope_change: float, patients: int = 200) -> pd.DataFrame:
    """One row per visit: patient_id, t_months (from the first dose), alsfrs_r."""
    rng = np.random.default_rng(seed)
    rate = np.empty(0)
    months_from_onset = np.empty(0)
    while rate.size < patients:
        r = rng.lognormal(np.log(0.85), 0.6, patients)
        d = rng.uniform(9.0, 30.0, patients)
        eligible = 48.0 - r * d >= ELIGIBLE_FROM
        rate = np.concatenate([rate, r[eligible]])
        months_from_onset = np.concatenate([months_from_onset, d[eligible]])
    rate, months_from_onset = rate[:patients], months_from_onset[:patients]
    at_dose = np.minimum(48.0 - rate * months_from_onset + rng.normal(0, 2.0, patients), 47.0)
    own_change = rng.normal(slope_change, 0.4, patients)

    pid = np.repeat(np.arange(patients), VISIT_MONTHS.size)
    planned = np.tile(VISIT_MONTHS, patients)
    on_the_day = planned == 0.0
    t = np.where(on_the_day, 0.0, planned + rng.normal(0, 0.25, pid.size))
    kept = on_the_day | (rng.random(pid.size) >= 1 / 7)
    y = (
        at_dose[pid]
        - rate[pid] * t
        + own_change[pid] * np.maximum(t, 0.0)
        + rng.normal(0, 1.5, pid.size)
    )
    y = np.clip(np.round(y), 0.0, 48.0)
    return pd.DataFrame({"patient_id": pid[kept], "t_months": t[kept], "alsfrs_r": y[kept]})
