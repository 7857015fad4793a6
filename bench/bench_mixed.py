"""Fit the cohort model to 10,000 patients × 8 visits, against statsmodels MixedLM on the same data.

Target: `PiecewiseSlopeModel` fits at least 50× faster than statsmodels' `MixedLM`
(`y ~ t + tpos`, `re_formula="~t"`, REML) and gives the same fixed effects (1e-4 relative).

Both start from the same pandas DataFrame, one row per visit: statsmodels' time covers building
the model from the formula and fitting it; the cohort model's covers checking the frame, the
per-patient sums and the fit. statsmodels is timed once (it takes tens of seconds); the cohort
model three times, keeping the median (the first includes importing scipy.optimize).
A cluster bootstrap on the same fit is timed as well: it is what the speed is for.
Run: .venv/bin/python -m bench.bench_mixed [patients]
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from alstrack.analysis import PiecewiseSlopeModel
from alstrack.analysis.mixed import PARAMS
from bench.targets import Target

NOTES = """
The data are synthetic untreated natural history (no change of slope is simulated): ALSFRS-R
about 37 at the first administration (SD 4.5), each patient's own slope around −1 point/month
(SD 0.5; Atassi 2014: mean 1.02), visits every 3 months (± 2 weeks) from 3–6 months before it,
measurement noise SD 1.5. Scores are neither rounded to whole points nor held within 0–48
(`visits_outside_0_48` counts the visits outside): on the same cohort with rounded scores,
statsmodels' optimiser stopped short of the REML maximum (7 convergence warnings, 173 s, a REML
log-likelihood 315 below the cohort model's; clipping or dropping out-of-range scores did the same
on smaller cohorts), which leaves no converged fit to compare with. The cohort model converged in
each case. The fixed effects are compared relative to statsmodels' estimate, or to its standard
error where that is larger (no change of slope is simulated, so that estimate is near zero and a
difference relative to it would measure only how far each optimiser went). statsmodels' warnings
during its fit are counted (`statsmodels_warnings`), not shown.
The fixed-effect standard errors differ slightly by construction (statsmodels inverts its full
observed information matrix, the cohort model uses (XᵀV⁻¹X)⁻¹ as nlme and lme4 do); see
docs/analytics.md.
"""

TARGETS = (
    Target("statsmodels MixedLM seconds ÷ PiecewiseSlopeModel seconds", "ratio", ">=", 50.0, "x"),
    Target("statsmodels converged (1 = yes), so that there is a fit to compare with",
           "statsmodels_converged", ">=", 1.0),
    Target("largest relative difference of a fixed effect (1e-4 = 100 ppm; see below)",
           "fixed_effects_max_rel_diff_ppm", "<=", 100.0, " ppm"),
    Target("largest relative difference of a fixed-effect standard error",
           "standard_errors_max_rel_diff_percent", "<=", 1.0, "%"),
)  # fmt: skip
QUICK: dict[str, Any] = {"patients": 200, "bootstrap_resamples": 100}


def cohort(patients: int, visits: int = 8, seed: int = 20) -> pd.DataFrame:
    """Synthetic visits (see NOTES); the same arguments give the same frame."""
    rng = np.random.default_rng(seed)
    pid = np.repeat(np.arange(patients), visits)
    first = rng.uniform(-6.0, -3.0, patients)
    t = first[pid] + np.tile(np.arange(visits), patients) * 3.0 + rng.uniform(-0.5, 0.5, pid.size)
    at_first_administration = rng.normal(37.0, 4.5, patients)
    slope = rng.normal(-1.0, 0.5, patients)  # points per month
    y = at_first_administration[pid] + slope[pid] * t + rng.normal(0.0, 1.5, pid.size)
    return pd.DataFrame({"patient_id": pid, "t_months": t, "alsfrs_r": y})


def time_statsmodels(df: pd.DataFrame) -> tuple[float, Any, int]:
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = pd.DataFrame(
            {"y": df["alsfrs_r"], "t": df["t_months"], "tpos": df["t_months"].clip(lower=0)}
        )
        model = smf.mixedlm("y ~ t + tpos", data, groups=df["patient_id"], re_formula="~t")
        result = model.fit(reml=True)
    return time.perf_counter() - started, result, len(caught)


def time_ours(df: pd.DataFrame, repeats: int = 3) -> tuple[float, PiecewiseSlopeModel]:
    seconds, model = [], PiecewiseSlopeModel()
    for _ in range(repeats):
        started = time.perf_counter()
        model = PiecewiseSlopeModel().fit(
            df, patient="patient_id", time="t_months", outcome="alsfrs_r"
        )
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), model


def run(
    patients: int = 10_000, visits: int = 8, bootstrap_resamples: int = 200
) -> dict[str, float]:
    """Time both fits on ``patients`` × ``visits``, then a bootstrap of ``bootstrap_resamples``."""
    df = cohort(patients, visits)
    ours_seconds, ours = time_ours(df)
    sm_seconds, reference, sm_warnings = time_statsmodels(df)
    fixed = np.array([ours.params_[p] for p in PARAMS])
    se = np.array([ours.bse_[p] for p in PARAMS])
    sm_fixed, sm_se = reference.fe_params.to_numpy(), reference.bse_fe.to_numpy()
    # Relative to the estimate, or to its standard error where that is larger (see NOTES).
    scale = np.maximum(np.abs(sm_fixed), sm_se)
    started = time.perf_counter()
    ours.bootstrap_conf_int(bootstrap_resamples, seed=1)
    bootstrap_seconds = time.perf_counter() - started
    return {
        "patients": float(patients),
        "visits": float(len(df)),
        "visits_outside_0_48": float(((df["alsfrs_r"] < 0) | (df["alsfrs_r"] > 48)).sum()),
        "statsmodels_seconds": sm_seconds,
        "ours_seconds": ours_seconds,
        "ratio": sm_seconds / ours_seconds,
        "fixed_effects_max_rel_diff_ppm": 1e6 * float(np.max(np.abs(fixed - sm_fixed) / scale)),
        "standard_errors_max_rel_diff_percent": 100 * float(np.max(np.abs(se / sm_se - 1.0))),
        "reml_log_likelihood_diff": ours.log_likelihood_ - float(reference.llf),
        "ours_converged": float(ours.converged_),
        "statsmodels_converged": float(reference.converged),
        "statsmodels_warnings": float(sm_warnings),
        "slope_before": ours.params_["slope_before"],
        "slope_change": ours.params_["slope_change"],
        "bootstrap_resamples": float(bootstrap_resamples),
        "bootstrap_failed": float(ours.bootstrap_failed_),
        "bootstrap_seconds": bootstrap_seconds,
        "bootstrap_seconds_per_resample": bootstrap_seconds / bootstrap_resamples,
    }


def main() -> None:
    patients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    for key, value in run(patients).items():
        print(f"{key}: {value:,.6g}")


if __name__ == "__main__":
    main()
