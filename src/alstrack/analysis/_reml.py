"""REML for y = Xβ + Zb + e with X = [1, t, max(t, 0)], Z = [1, t], computed from per-patient sums.

Why hand-written rather than statsmodels' MixedLM: MixedLM is general (any random-effects
design, variance components, penalties) and loops over patients in Python for every likelihood,
score and Hessian evaluation; it takes about 20 s for 10,000 patients × 8 visits, which rules out
a cluster bootstrap (a thousand refits) or a handful of sensitivity analyses. Here each patient's
data enter only through small sums (XᵀX, Xᵀy, yᵀy; ZᵀZ, ZᵀX and Zᵀy are parts of them because
Z's columns are X's first two), computed once. Each evaluation of the profiled REML criterion and
its gradient is then a few vectorised 2×2 operations over all patients. The tests check it
against MixedLM on small data (tests/analysis/).

Parametrisation, as in Pinheiro & Bates, Mixed-Effects Models in S and S-PLUS (2000), ch. 2:
Var(b) = σ²·Ψ with Ψ = LLᵀ, L lower triangular (θ = l11, l21, l22, unconstrained, so a singular
Ψ is an ordinary point); σ² and β are profiled out. With Mᵢ = I + LᵀZᵢᵀZᵢL and
Kᵢ = L Mᵢ⁻¹ Lᵀ, Woodbury gives Vᵢ⁻¹ = I − ZᵢKᵢZᵢᵀ (Vᵢ = I + ZᵢΨZᵢᵀ) and
det Vᵢ = det Mᵢ, so with H = XᵀV⁻¹X, β̂ = H⁻¹XᵀV⁻¹y, r² = (y − Xβ̂)ᵀV⁻¹(y − Xβ̂):

    −2·ℓ_REML(θ) = Σᵢ log det Mᵢ + log det H + (N − p)·(1 + log(2π·r²/(N − p)))

and σ̂² = r²/(N − p). A weight per patient (how many times a bootstrap resample drew them)
multiplies that patient's terms: resampling patients needs no new sums.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

N_FIXED = 3  # intercept, slope before, change in slope after t = 0
# The optimiser stops at a gradient of the criterion per visit below OPTIMISER_TOLERANCE; the fit
# counts as converged below GRADIENT_TOLERANCE. Rounding leaves a floor near 1e-7 on 80,000
# visits, which a tighter stop only meets after many line-search evaluations that change nothing.
OPTIMISER_TOLERANCE = 1e-7
MAX_ITERATIONS = 500
GRADIENT_TOLERANCE = 1e-5


@dataclass(frozen=True)
class PatientSums:
    """Each patient's XᵀX (3, 3, n), Xᵀy (3, n), yᵀy (n,) and visit count (n,).

    Patients run along the last axis so that every per-patient quantity is a contiguous vector
    and each 2×2 operation below is a handful of vector operations.
    """

    xx: FloatArray
    xy: FloatArray
    yy: FloatArray
    visits: FloatArray

    @property
    def n_patients(self) -> int:
        return int(self.yy.shape[0])


def patient_sums(patient: NDArray[np.intp], t: FloatArray, y: FloatArray) -> PatientSums:
    """Sums over each patient's visits; ``patient`` holds codes 0..n−1, every code present."""
    n = int(patient.max()) + 1
    x = (np.ones_like(t), t, np.maximum(t, 0.0))

    def per_patient(values: FloatArray) -> FloatArray:
        return np.bincount(patient, weights=values, minlength=n).astype(np.float64, copy=False)

    xx = np.empty((N_FIXED, N_FIXED, n))
    for j in range(N_FIXED):
        for k in range(j, N_FIXED):
            xx[j, k] = xx[k, j] = per_patient(x[j] * x[k])
    xy = np.stack([per_patient(x[j] * y) for j in range(N_FIXED)])
    return PatientSums(xx, xy, per_patient(y * y), per_patient(np.ones_like(t)))


def _mul(a: FloatArray, b: FloatArray) -> FloatArray:
    """Aᵢ·Bᵢ for every patient i: a (m, r, n), b (r, k, n) → (m, k, n); n may be 1 to broadcast.

    Written out over the small inner dimension r: numpy's stacked matmul and einsum loop per
    patient and are several times slower on 2×2 blocks.
    """
    out: FloatArray = a[:, 0, None] * b[0]
    for j in range(1, a.shape[1]):
        out = out + a[:, j, None] * b[j]
    return out


def _gram(a: FloatArray, b: FloatArray, weights: FloatArray) -> FloatArray:
    """Σᵢ wᵢ·aᵢ⊗bᵢ: a (r, m, n), b (s, k, n) → (r, m, s, k), as one BLAS product over patients."""
    out: FloatArray = (a.reshape(-1, a.shape[-1]) * weights) @ b.reshape(-1, b.shape[-1]).T
    return out.reshape(a.shape[:2] + b.shape[:2])


@dataclass(frozen=True)
class Evaluation:
    """The criterion at one θ, with what the fit reports from it."""

    criterion: float  # −2·ℓ_REML
    gradient: FloatArray  # d criterion / dθ
    beta: FloatArray
    h: FloatArray  # XᵀV⁻¹X, V relative to σ²
    residual_variance: float
    psi: FloatArray  # Var(b) / σ²


def lower(theta: FloatArray) -> FloatArray:
    return np.array([[theta[0], 0.0], [theta[1], theta[2]]])


def evaluate(theta: FloatArray, sums: PatientSums, weights: FloatArray) -> Evaluation:
    """The profiled REML criterion and its gradient at θ, each patient counted ``weights`` times."""
    l_mat = lower(theta)
    lc, ltc = l_mat[:, :, None], l_mat.T[:, :, None]
    s, p, q = sums.xx[:2, :2], sums.xx[:2], sums.xy[:2, None]  # ZᵀZ, ZᵀX, Zᵀy
    u, v = _mul(ltc, p), _mul(ltc, q)  # LᵀP, Lᵀq
    c = _mul(u[:, :2], lc)  # LᵀSL
    m00, m01, m11 = c[0, 0] + 1.0, c[0, 1], c[1, 1] + 1.0
    det_m = m00 * m11 - m01 * m01
    m_inv = np.array([[m11, -m01], [-m01, m00]]) / det_m
    w_u, w_v = _mul(m_inv, u), _mul(m_inv, v)  # Mᵢ⁻¹LᵀPᵢ, Mᵢ⁻¹Lᵀqᵢ

    n_obs = float(sums.visits @ weights)
    h = sums.xx @ weights - np.einsum("jajb->ab", _gram(u, w_u, weights))
    xvy = sums.xy @ weights - np.einsum("jajb->a", _gram(u, w_v, weights))
    yvy = float(sums.yy @ weights) - float(np.einsum("jaja->", _gram(v, w_v, weights)))
    h_chol = np.linalg.cholesky(h)
    beta = np.linalg.solve(h, xvy)
    r2 = yvy - float(beta @ xvy)
    if not r2 > 0.0:
        raise np.linalg.LinAlgError("no residual variation left to estimate σ² from")
    dof = n_obs - N_FIXED
    criterion = (
        float(np.log(det_m) @ weights)
        + 2.0 * float(np.log(np.diag(h_chol)).sum())
        + dof * (1.0 + math.log(2.0 * math.pi * r2 / dof))
    )

    # d criterion / dΨ = Σ ZᵢᵀVᵢ⁻¹Zᵢ − Σ RᵢH⁻¹Rᵢᵀ − (N − p)/r² · Σ gᵢgᵢᵀ, with
    # Rᵢ = ZᵢᵀVᵢ⁻¹Xᵢ and gᵢ = ZᵢᵀVᵢ⁻¹(yᵢ − Xᵢβ̂); times L, with Mᵢ⁻¹(Mᵢ − I) = I − Mᵢ⁻¹:
    # ZᵀV⁻¹Z·L = SLM⁻¹, RᵀL = (M⁻¹LᵀP)ᵀ, gᵀL = (M⁻¹Lᵀ(q − Pβ̂))ᵀ = eᵀ, R = P − SL·M⁻¹LᵀP,
    # g = q − Pβ̂ − SL·e.
    sl = _mul(s, lc)
    b = beta[:, None, None]
    r = p - _mul(sl, w_u)
    e = w_v - _mul(w_u, b)
    g = q - _mul(p, b) - _mul(sl, e)
    d_psi_l = (
        np.einsum("jmmk->jk", _gram(sl, m_inv, weights))
        - np.einsum("jakb,ab->jk", _gram(r, w_u, weights), np.linalg.inv(h))
        - dof / r2 * _gram(g, e, weights)[:, 0, :, 0]
    )
    d_l = 2.0 * d_psi_l  # dΨ = dL·Lᵀ + L·dLᵀ and d criterion/dΨ is symmetric
    return Evaluation(
        criterion=criterion,
        gradient=np.array([d_l[0, 0], d_l[1, 0], d_l[1, 1]]),
        beta=beta,
        h=h,
        residual_variance=r2 / dof,
        psi=l_mat @ l_mat.T,
    )


@dataclass(frozen=True)
class Fit:
    evaluation: Evaluation
    theta: FloatArray
    converged: bool
    iterations: int
    message: str


def units(sums: PatientSums) -> FloatArray:
    """The scale the optimiser works in: L's slope row per standard deviation of t (over all
    visits), so that it meets the same problem whether t is in months or in days."""
    xx = sums.xx.sum(axis=2)
    t_var = xx[1, 1] / xx[0, 0] - (xx[0, 1] / xx[0, 0]) ** 2
    per_sd = 1.0 / math.sqrt(max(t_var, 1e-12))
    return np.array([1.0, per_sd, per_sd])


def default_start(sums: PatientSums) -> FloatArray:
    """A diagonal Ψ: intercepts spread by σ, slopes by σ over one standard deviation of t."""
    out: FloatArray = units(sums) * np.array([1.0, 0.0, 1.0])
    return out


def fit(
    sums: PatientSums,
    weights: FloatArray,
    start: FloatArray,
    inverse_hessian: FloatArray | None = None,
) -> Fit:
    """Minimise the criterion over θ from ``start``; converged means a vanishing gradient.

    With ``inverse_hessian`` (from `curvature`, near ``start``), BFGS starts from that
    curvature: a bootstrap refit from the full fit's θ then takes about half the evaluations.
    """
    # Imported here: scipy.optimize takes about 0.4 s to import, and the command line imports
    # alstrack.analysis (for the demo clinic) without ever fitting a model.
    import scipy.optimize

    scale = float(sums.visits @ weights)
    unit = units(sums)

    def objective(phi: FloatArray) -> tuple[float, FloatArray]:
        e = evaluate(phi * unit, sums, weights)
        return e.criterion / scale, e.gradient * unit / scale

    if inverse_hessian is None:
        result = scipy.optimize.minimize(
            objective,
            start / unit,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": MAX_ITERATIONS, "gtol": OPTIMISER_TOLERANCE, "ftol": 1e-15},
        )
    else:
        result = scipy.optimize.minimize(
            objective,
            start / unit,
            jac=True,
            method="BFGS",
            options={
                "maxiter": MAX_ITERATIONS,
                "gtol": OPTIMISER_TOLERANCE,
                "hess_inv0": inverse_hessian,
            },
        )
    theta = np.asarray(result.x, dtype=np.float64) * unit
    final = evaluate(theta, sums, weights)
    # The optimisers may stop "abnormally" in a line search when already at rounding level; the
    # fit counts as converged by the gradient actually reached, and never when it is not finite.
    gradient = np.abs(final.gradient * unit / scale)
    converged = bool(np.all(np.isfinite(gradient)) and gradient.max() < GRADIENT_TOLERANCE)
    return Fit(final, theta, converged, int(result.nit), str(result.message))


def curvature(theta: FloatArray, sums: PatientSums, weights: FloatArray) -> FloatArray | None:
    """The inverse Hessian of the criterion per visit at θ, in the optimiser's scale (`units`),
    by central differences of the gradient; None where it is not positive definite."""
    scale = float(sums.visits @ weights)
    unit = units(sums)
    phi = theta / unit
    steps = 1e-4 * np.maximum(np.abs(phi), 1e-2)
    columns = []
    for step in np.diag(steps):
        up = evaluate((phi + step) * unit, sums, weights).gradient
        down = evaluate((phi - step) * unit, sums, weights).gradient
        columns.append((up - down) * unit / (2.0 * step.sum() * scale))
    hessian = np.column_stack(columns)
    hessian = (hessian + hessian.T) / 2.0
    if not np.all(np.isfinite(hessian)) or np.linalg.eigvalsh(hessian)[0] <= 0.0:
        return None
    inverse = np.linalg.inv(hessian)
    out: FloatArray = (inverse + inverse.T) / 2.0
    return out
