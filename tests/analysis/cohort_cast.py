"""Synthetic cohorts for the cohort-model tests, and statsmodels' fit of the same model.

Values follow the natural history the demo clinic uses (analysis/synthetic.py): ALSFRS-R about 38
at the first administration, a mean decline of about 1 point/month with patients' own slopes
spread around it, visits about every 3 months. Seeded: the same call gives the same cohort.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.regression.mixed_linear_model import MixedLMResults

COLUMNS = {"patient": "patient_id", "time": "t_months", "outcome": "alsfrs_r"}


def cohort(
    seed: int,
    patients: int = 60,
    visits: int = 6,
    *,
    slope_change: float = 0.3,
    intercept_sd: float = 5.0,
    slope_sd: float = 0.5,
    noise_sd: float = 1.5,
    single_visit_patients: int = 0,
) -> pd.DataFrame:
    """``patients`` with ``visits`` visits from 3–9 months before the first administration on;
    the last ``single_visit_patients`` of them keep only their first visit."""
    rng = np.random.default_rng(seed)
    pid = np.repeat(np.arange(patients), visits)
    first = rng.uniform(-9.0, -3.0, patients)
    t = first[pid] + np.tile(np.arange(visits), patients) * 3.0 + rng.normal(0, 0.3, pid.size)
    intercept = 38.0 + rng.normal(0, intercept_sd, patients)
    slope = -1.0 + rng.normal(0, slope_sd, patients)
    y = (
        intercept[pid]
        + slope[pid] * t
        + slope_change * np.maximum(t, 0.0)
        + rng.normal(0, noise_sd, pid.size)
    )
    df = pd.DataFrame({"patient_id": [f"P{i:04d}" for i in pid], "t_months": t, "alsfrs_r": y})
    keep = (pid < patients - single_visit_patients) | (np.tile(np.arange(visits), patients) == 0)
    return df[keep].reset_index(drop=True)


def statsmodels_fit(df: pd.DataFrame) -> MixedLMResults:
    """MixedLM with the formula the issue names: y ~ t + tpos, re_formula="~t", REML."""
    data = pd.DataFrame(
        {"y": df["alsfrs_r"], "t": df["t_months"], "tpos": df["t_months"].clip(lower=0)}
    )
    model = smf.mixedlm("y ~ t + tpos", data, groups=df["patient_id"], re_formula="~t")
    return model.fit(reml=True)
