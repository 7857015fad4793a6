"""The cohort model: how the ALSFRS-R slope changes after the first administration, over patients.

What it estimates is an association in an uncontrolled cohort, not the effect of the therapy:
without a concurrent control, a change of slope can come from regression to the mean, the
non-linear course of ALS, who stays in follow-up, or other care (docs/analytics.md).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Self

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alstrack.analysis import _reml
from alstrack.analysis._frame import Visits, read_visits
from alstrack.errors import InvalidInput

PARAMS = ("intercept", "slope_before", "slope_change")
MIN_RESAMPLES = 100
# The random-effects covariance counts as singular (on the boundary of the parameter space) when
# its smaller eigenvalue, with t in units of its standard deviation and relative to σ², is below
# this; a fit driven there converges to about 1e-8 or less, a genuine variance is far above it.
# Likewise the residual variance relative to the outcome's.
BOUNDARY = 1e-6


class PiecewiseSlopeModel:
    """ALSFRS-R = β0 + β1·t + β2·max(t, 0) + b0ᵢ + b1ᵢ·t + ε, fitted by REML.

    t is in months from the first administration (negative before it); β1 (``slope_before``)
    is the mean slope before, β2 (``slope_change``) the change of slope after; each patient has
    a random intercept and slope on t, correlated; ε is independent with constant variance.
    Agrees with statsmodels' MixedLM (``y ~ t + tpos``, ``re_formula="~t"``, REML) and is
    several hundred times faster (docs/analytics.md, bench/bench_mixed.py).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> patients, visits = 200, 6
    >>> t = np.tile(np.arange(visits) * 3.0 - 6.0, patients)  # months from first administration
    >>> pid = np.repeat(np.arange(patients), visits)
    >>> own_slope = rng.normal(-1.0, 0.4, patients)  # points per month, no change at t = 0
    >>> y = 38 + rng.normal(0, 4, patients)[pid] + own_slope[pid] * t + rng.normal(0, 1.5, t.size)
    >>> df = pd.DataFrame({"patient_id": pid, "t_months": t, "alsfrs_r": y})
    >>> m = PiecewiseSlopeModel().fit(df, patient="patient_id", time="t_months", outcome="alsfrs_r")
    >>> m.converged_, m.n_patients_, m.n_obs_
    (True, 200, 1200)
    >>> round(m.params_["slope_before"], 1)
    -1.0
    >>> low, high = m.conf_int_["slope_change"]
    >>> bool(low < 0 < high)  # the interval covers zero: no evidence of a change
    True
    """

    params_: dict[str, float]
    bse_: dict[str, float]
    conf_int_: dict[str, tuple[float, float]]
    random_effects_cov_: NDArray[np.float64]
    residual_variance_: float
    log_likelihood_: float
    n_patients_: int
    n_obs_: int
    converged_: bool
    on_boundary_: bool
    bootstrap_samples_: NDArray[np.float64]
    bootstrap_failed_: int
    robust_bse_: dict[str, float]

    def __init__(self, alpha: float = 0.05) -> None:
        if not 0.0 < alpha < 1.0:
            raise InvalidInput.for_field("alpha", f"must be between 0 and 1, got {alpha}")
        self.alpha = alpha

    def fit(self, df: pd.DataFrame, *, patient: str, time: str, outcome: str) -> Self:
        """Fit to one row per visit; ``time`` in months from the first administration.

        Rows with a missing or infinite time or outcome are refused, not dropped: which visits
        are missing, and why, is for the analyst to decide and report. A patient with a single
        visit is allowed (it informs the intercept and the error variance).
        """
        visits = read_visits(df, patient, time, outcome)
        _require_identifiable(visits, time)
        # Centring y changes only the intercept and keeps yᵀy-sized cancellations out of r².
        y_mean = float(visits.y.mean())
        sums = _reml.patient_sums(visits.patient, visits.t, visits.y - y_mean)
        _require_residual_variation(sums, outcome)
        result = _reml.fit(sums, np.ones(visits.n_patients), _reml.default_start(sums))
        self._sums, self._y_mean, self._theta = sums, y_mean, result.theta
        self._visits = visits
        e = result.evaluation
        beta = self._beta(e)
        se = np.sqrt(np.diag(e.residual_variance * np.linalg.inv(e.h)))
        z = NormalDist().inv_cdf(1.0 - self.alpha / 2.0)
        self.params_ = dict(zip(PARAMS, beta.tolist(), strict=True))
        self.bse_ = dict(zip(PARAMS, se.tolist(), strict=True))
        self.conf_int_ = {
            name: (float(b - z * s), float(b + z * s))
            for name, b, s in zip(PARAMS, beta, se, strict=True)
        }
        self.random_effects_cov_ = e.residual_variance * e.psi
        self.residual_variance_ = e.residual_variance
        self.log_likelihood_ = -0.5 * e.criterion
        self.n_patients_ = visits.n_patients
        self.n_obs_ = int(visits.t.size)
        self.converged_ = result.converged
        # At the edge of the parameter space: Var(b) singular, or no noise left at all.
        no_noise = e.residual_variance < BOUNDARY * float(visits.y.var())
        self.on_boundary_ = _singular(e.psi, float(visits.t.std())) or no_noise
        return self

    @property
    def summary(self) -> pd.DataFrame:
        """Estimates, standard errors and Wald intervals, one row per fixed effect."""
        return pd.DataFrame(
            {
                "coef": self.params_,
                "se": self.bse_,
                "lower": {k: v[0] for k, v in self.conf_int_.items()},
                "upper": {k: v[1] for k, v in self.conf_int_.items()},
            }
        )

    def bootstrap_conf_int(
        self, n_resamples: int = 1000, *, seed: int
    ) -> dict[str, tuple[float, float]]:
        """Percentile intervals from refits to patients drawn with replacement (cluster bootstrap).

        The same ``seed`` gives the same intervals. A resample draws as many patients as the
        cohort has; a patient drawn twice counts twice. Resamples whose fit does not converge
        (or whose design is singular, e.g. no visit before t = 0) are left out and counted in
        ``bootstrap_failed_``; the estimates of the others are in ``bootstrap_samples_``.
        """
        if not hasattr(self, "_sums"):
            raise InvalidInput("Fit the model before asking for bootstrap intervals.")
        if n_resamples < MIN_RESAMPLES:
            raise InvalidInput.for_field(
                "n_resamples",
                f"at least {MIN_RESAMPLES}: a percentile interval from fewer rests on a handful "
                f"of values in each tail; got {n_resamples}",
            )
        rng = np.random.default_rng(seed)
        n = self._sums.n_patients
        curvature = _reml.curvature(self._theta, self._sums, np.ones(n))
        samples, failed = [], 0
        for _ in range(n_resamples):
            weights = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
            try:
                refit = _reml.fit(self._sums, weights, self._theta, curvature)
            except np.linalg.LinAlgError:
                failed += 1
                continue
            if not refit.converged:
                failed += 1
                continue
            samples.append(self._beta(refit.evaluation))
        if not samples:
            raise InvalidInput.for_field("n_resamples", "no resample could be fitted")
        self.bootstrap_samples_ = np.array(samples)
        self.bootstrap_failed_ = failed
        low, high = np.quantile(
            self.bootstrap_samples_, [self.alpha / 2.0, 1.0 - self.alpha / 2.0], axis=0
        )
        return {
            name: (float(lo), float(hi)) for name, lo, hi in zip(PARAMS, low, high, strict=True)
        }

    def robust_conf_int(self) -> dict[str, tuple[float, float]]:
        """Wald intervals from the cluster-robust (sandwich) covariance at the fitted variances.

        The model-based standard errors assume every patient's slope changes by the same β2;
        when patients' own changes vary (plateaus and accelerations happen without treatment)
        they are too small and the Wald interval claims too often (docs/analytics.md). The
        sandwich (Liang & Zeger, Biometrika 1986) uses the patients' own residuals instead;
        with m patients it is scaled by m/(m − 3), the usual small-sample factor, and it needs
        more than 3 patients. The standard errors are kept in ``robust_bse_``.
        """
        if not hasattr(self, "_visits"):
            raise InvalidInput("Fit the model before asking for robust intervals.")
        visits, p = self._visits, len(PARAMS)
        m = visits.n_patients
        if m <= p:
            raise InvalidInput.for_field(
                "df", f"a cluster-robust interval needs more than {p} patients; the data have {m}"
            )
        order = np.argsort(visits.patient, kind="stable")
        patient, t, y = visits.patient[order], visits.t[order], visits.y[order]
        counts = np.bincount(patient, minlength=m)
        within = np.arange(t.size) - np.repeat(np.cumsum(counts) - counts, counts)
        beta = np.array([self.params_[k] for k in PARAMS])
        rows = np.column_stack([np.ones_like(t), t, np.maximum(t, 0.0)])
        # Patients padded to the same number of visits: a padded row has X = 0 and residual 0,
        # so it adds nothing (V stays block-diagonal between real and padded rows).
        x = np.zeros((m, int(counts.max()), p))
        x[patient, within] = rows
        r = np.zeros((m, int(counts.max())))
        r[patient, within] = y - rows @ beta
        z = x[:, :, :2]
        v = z @ self.random_effects_cov_ @ z.transpose(0, 2, 1)
        v += self.residual_variance_ * np.eye(x.shape[1])
        v_inv_x = np.linalg.solve(v, x)
        bread = np.linalg.inv(np.einsum("mki,mkj->ij", x, v_inv_x))
        scores = np.einsum("mki,mk->mi", v_inv_x, r)
        cov = bread @ (scores.T @ scores) @ bread * m / (m - p)
        se = np.sqrt(np.diag(cov))
        z_crit = NormalDist().inv_cdf(1.0 - self.alpha / 2.0)
        self.robust_bse_ = dict(zip(PARAMS, se.tolist(), strict=True))
        return {
            name: (float(b - z_crit * s), float(b + z_crit * s))
            for name, b, s in zip(PARAMS, beta, se, strict=True)
        }

    def _beta(self, e: _reml.Evaluation) -> NDArray[np.float64]:
        beta = e.beta.copy()
        beta[0] += self._y_mean
        return beta


def _require_identifiable(visits: Visits, time: str) -> None:
    """Refuse data from which β or the random slopes cannot be estimated at all."""
    t = visits.t
    if not (t < 0).any() or not (t > 0).any():
        raise InvalidInput.for_field(
            "time",
            f"column {time!r} needs visits both before (t < 0) and after (t > 0) the first "
            "administration to estimate a slope before and a change after",
        )
    if np.unique(t).size < 3:
        raise InvalidInput.for_field(
            "time", f"column {time!r} needs at least 3 distinct times to estimate two slopes"
        )
    low = np.full(visits.n_patients, np.inf)
    high = np.full(visits.n_patients, -np.inf)
    np.minimum.at(low, visits.patient, t)
    np.maximum.at(high, visits.patient, t)
    if not (high > low).any():
        raise InvalidInput.for_field(
            "patient",
            "no patient has visits at two different times, so patients' own slopes cannot be "
            "told from measurement noise",
        )


def _require_residual_variation(sums: _reml.PatientSums, outcome: str) -> None:
    """Refuse scores that lie exactly on the population's lines: there is no noise to estimate."""
    xx, xy, total = sums.xx.sum(axis=2), sums.xy.sum(axis=1), float(sums.yy.sum())
    residual = total - float(
        xy @ np.linalg.solve(xx, xy)
    )  # y is centred: total is its sum of squares
    if not residual > 1e-12 * total:
        raise InvalidInput.for_field(
            "outcome",
            f"column {outcome!r} lies exactly on one line before and one after t = 0 (or is "
            "constant): with no variation left there is nothing to estimate the noise from",
        )


def _singular(psi: NDArray[np.float64], t_sd: float) -> bool:
    scale = np.array([1.0, t_sd])
    smallest = float(np.linalg.eigvalsh(psi * np.outer(scale, scale))[0])
    return smallest < BOUNDARY
