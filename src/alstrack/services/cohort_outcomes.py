"""The cohort's ALSFRS-R course before and after the first dose: the piecewise mixed model's
change of slope with its intervals and a reading generated from them, exploratory groups by cell
source, route and dose, and responder counts beside what untreated patients do.

The data set: every treated patient the user sees (given a dose on or before the cut-off), one
row per current ALSFRS-R total on or before the cut-off, t in months from the patient's first
dose (a visit on the day of the dose counts as before it, t = 0). The analysis itself runs on a
data frame (``estimate_slope_change``), so that the honesty tests drive the very function whose
reading the report shows. No wording here names a cause: this is a cohort without controls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from sqlalchemy import select

from alstrack import __version__
from alstrack.analysis import PiecewiseSlopeModel
from alstrack.analysis.mixed import MIN_RESAMPLES, PARAMS
from alstrack.analysis.trajectory import MONTH_DAYS
from alstrack.errors import FieldError, InvalidInput
from alstrack.services.assessments import InstrumentAssessmentOut
from alstrack.services.cohort_responders import RespondersOut, responders
from alstrack.services.context import Actor, clinic_day, today
from alstrack.services.sites import check_site_code
from alstrack.services.timeline import timeline
from alstrack.store.db import Database
from alstrack.store.models import Administration, Patient, Product, Site, TreatmentPlanVersion

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "CAVEAT",
    "COLUMNS",
    "GROUPS_NOTE",
    "CohortOutcomesOut",
    "ExploratoryGroupOut",
    "Interval",
    "SlopeChangeOut",
    "cohort_outcomes",
    "cohort_visits",
    "estimate_slope_change",
    "reading",
]

MODEL = "alstrack.analysis.PiecewiseSlopeModel"
FORMULA = (
    "ALSFRS-R = β0 + β1·t + β2·max(t, 0) + b0ᵢ + b1ᵢ·t + ε, REML; t in months from the "
    "patient's first dose; β2 is the change of slope after it"
)
# With 1000 cluster resamples each tail of a 95% percentile interval rests on 25 values; the
# seed is fixed so that the same data give the same report.
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 6
LEVEL = 0.95
COLUMNS = {"patient": "patient_id", "time": "t_months", "outcome": "alsfrs_r"}
CAVEAT = (
    "A cohort without a concurrent control: the change of slope compares each patient's course "
    "after the first dose with the course before it. It can come from regression to the mean "
    "(treatment often starts after a bad spell), from the curvilinear course of ALS and the "
    "0-48 bounds of the scale, from who stays in follow-up (selection: the sickest miss visits), "
    "from other care, or from raters who know the patient was treated. An interval that excludes "
    "zero is an association to be tested in a randomised trial, not evidence that the therapy "
    "has any effect. No MSC product is approved for ALS by the FDA or the EMA, and the largest "
    "randomised trials (NurOwn phase 3, Cudkowicz et al., Muscle Nerve 2022; lenzumestrocel "
    "ALSUMMIT, 2024) missed their primary endpoints."
)
GROUPS_NOTE = (
    "EXPLORATORY, not findings: groups by the cell source, route and planned dose of the first "
    "dose were not planned comparisons. They are small and many, so an interval that excludes "
    "zero in one of them can arise by chance alone, and who was chosen for each differs, so "
    "their slopes cannot be compared as effects of a source, route or dose. Groups have Wald and "
    "cluster-robust intervals only (no bootstrap)."
)


class Interval(BaseModel):
    low: float
    high: float


class SlopeChangeOut(BaseModel):
    n_patients: int
    n_obs: int = Field(description="ALSFRS-R totals (visits) in the model")
    intercept: float = Field(
        description="β0: the mean ALSFRS-R total at the first dose (t = 0) on the model's line"
    )
    slope_before: float = Field(description="β1: mean slope before the first dose, points/month")
    slope_before_wald: Interval
    slope_change: float = Field(description="β2: slope after minus slope before, points/month")
    wald: Interval = Field(description="95% Wald interval of β2 (model-based standard error)")
    robust: Interval | None = Field(
        description="95% interval of β2 from the cluster-robust (sandwich) standard error; null "
        "with 3 patients or fewer"
    )
    bootstrap: Interval | None = Field(description="95% cluster-bootstrap percentile interval")
    bootstrap_resamples: int | None
    bootstrap_seed: int | None
    bootstrap_failed: int | None = Field(description="Resamples that could not be fitted")
    converged: bool
    on_boundary: bool
    reading: str = Field(description="What the numbers say, in words generated from them")


class ExploratoryGroupOut(BaseModel):
    exploratory: Literal[True] = True
    by: Literal["cell_source", "route", "dose"]
    value: str
    n_patients: int
    n_obs: int
    estimate: SlopeChangeOut | None
    not_estimable: str | None = Field(description="Why the group has no estimate, if it has none")


class CohortOutcomesOut(BaseModel):
    on: date = Field(description="Data cut-off: doses and ALSFRS-R totals on or before this day")
    site_code: str | None
    population: str
    model: str
    model_version: str
    formula: str
    n_patients: int
    n_obs: int
    left_out: dict[str, int] = Field(description="Treated patients left out, by reason")
    visits_at_scale_bounds: int = Field(description="ALSFRS-R totals of 0 or 48")
    estimate: SlopeChangeOut
    notes: list[str]
    groups_note: str
    groups: list[ExploratoryGroupOut]
    responders: RespondersOut
    caveat: str


@dataclass(frozen=True)
class FirstDose:
    day: date
    cell_source: str
    route: str
    dose: str


@dataclass(frozen=True)
class CohortVisits:
    """The analysis data set: ``frame`` has patient_id, t_months and alsfrs_r."""

    frame: pd.DataFrame
    first_doses: dict[int, FirstDose]
    left_out: dict[str, int]


def cohort_outcomes(
    db: Database,
    actor: Actor,
    *,
    site_code: str | None = None,
    on: date | None = None,
    responder_threshold: float | None = None,
    bootstrap_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> CohortOutcomesOut:
    """The treated cohort's change of ALSFRS-R slope after the first dose, its exploratory
    groups and its responders; InvalidInput, naming why, when the model cannot be fitted."""
    cut_off = on or today()
    data = cohort_visits(db, actor, site_code=site_code, on=cut_off)
    df = data.frame
    found = responders(df, threshold=responder_threshold)  # refuses a bad threshold first
    _check_resamples(bootstrap_resamples)  # a bad argument is not a cohort that cannot be fitted
    try:
        estimate = estimate_slope_change(df, bootstrap_resamples=bootstrap_resamples, seed=seed)
    except InvalidInput as error:
        reason = error.fields[0].message if error.fields else error.message
        patients, visits = df["patient_id"].nunique(), len(df)
        raise InvalidInput(
            f"The cohort model cannot be fitted to the {patients} treated patient"
            f"{'' if patients == 1 else 's'} with {visits} ALSFRS-R total"
            f"{'' if visits == 1 else 's'} on or before {cut_off}: {reason}",
            [FieldError("cohort", reason)],
        ) from error
    at_bounds = int(df["alsfrs_r"].isin([0.0, 48.0]).sum())
    notes = []
    if at_bounds:
        notes.append(
            f"{at_bounds} of {len(df)} ALSFRS-R totals are at the scale's floor or ceiling (0 "
            "or 48): a straight line cannot follow a score held at a bound, so the change of "
            "slope may be biased."
        )
    if estimate.robust is None:
        notes.append("With 3 patients or fewer there is no cluster-robust interval.")
    if estimate.bootstrap is None:
        notes.append(
            "No bootstrap resample could be fitted: the reading rests on the other intervals."
        )
    if estimate.on_boundary:
        notes.append(
            "The fit is at the edge of what the model allows (a random-effect variance at zero, "
            "a correlation at ±1, or no noise left): its intervals are less reliable."
        )
    return CohortOutcomesOut(
        on=cut_off,
        site_code=site_code,
        population="treated patients the user sees: given at least one dose on or before the "
        "cut-off",
        model=MODEL,
        model_version=__version__,
        formula=FORMULA,
        n_patients=estimate.n_patients,
        n_obs=estimate.n_obs,
        left_out=data.left_out,
        visits_at_scale_bounds=at_bounds,
        estimate=estimate,
        notes=notes,
        groups_note=GROUPS_NOTE,
        groups=_groups(df, data.first_doses),
        responders=found,
        caveat=CAVEAT,
    )


def cohort_visits(
    db: Database, actor: Actor, *, site_code: str | None = None, on: date
) -> CohortVisits:
    """Every current ALSFRS-R total of the treated patients the actor sees, by ``on``."""
    actor.require("assessments.read")
    actor.require("products.read")
    with db.read() as session:
        check_site_code(session, site_code)
        stmt = (
            select(
                Administration.patient_id, Administration.at, Administration.route,
                Product.cell_source, TreatmentPlanVersion.dose_basis,
                TreatmentPlanVersion.cells_per_kg, TreatmentPlanVersion.fixed_cells,
                Patient.site_id,
            )
            .join(Product, Product.id == Administration.product_id)
            .join(TreatmentPlanVersion, TreatmentPlanVersion.id == Administration.plan_version_id)
            .join(Patient, Patient.id == Administration.patient_id)
            .join(Site, Site.id == Patient.site_id)
            .order_by(Administration.at, Administration.id)
        )  # fmt: skip
        if site_code is not None:
            stmt = stmt.where(Site.code == site_code)
        first: dict[int, FirstDose] = {}
        for row in session.execute(stmt):
            day = clinic_day(row.at)
            if row.patient_id in first or day > on or not actor.sees_site(row.site_id):
                continue
            dose = _dose_label(row.dose_basis, row.cells_per_kg, row.fixed_cells)
            first[row.patient_id] = FirstDose(day, row.cell_source, row.route, dose)
    rows: list[tuple[int, float, float]] = []
    left_out: Counter[str] = Counter()
    for patient_id in sorted(first):
        shown = timeline(db, actor, patient_id)
        totals = [
            (e.record.assessed_on, e.record.alsfrs_r.total)
            for e in shown.events
            if isinstance(e.record, InstrumentAssessmentOut)
            and e.record.alsfrs_r is not None
            and e.record.alsfrs_r.total is not None
            and e.record.assessed_on <= on
        ]
        if not totals:
            left_out["no ALSFRS-R total on or before the cut-off"] += 1
        day = first[patient_id].day
        rows += [(patient_id, (seen - day).days / MONTH_DAYS, float(t)) for seen, t in totals]
    frame = pd.DataFrame(rows, columns=list(COLUMNS.values())).astype(
        {"patient_id": "int64", "t_months": "float64", "alsfrs_r": "float64"}
    )
    return CohortVisits(frame, first, dict(left_out))


def estimate_slope_change(
    df: pd.DataFrame, *, bootstrap_resamples: int | None = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> SlopeChangeOut:
    """Fit the cohort model to ``df`` (patient_id, t_months, alsfrs_r) and read its β2.

    ``bootstrap_resamples=None`` skips the bootstrap; the reading then rests on the Wald and
    robust intervals alone, and can only claim as often as or more often than with it (a claim
    needs every interval on one side of zero). InvalidInput when the model cannot be fitted.
    """
    _check_resamples(bootstrap_resamples)
    model = PiecewiseSlopeModel(alpha=1 - LEVEL).fit(df, **COLUMNS)
    intervals = {"Wald": model.conf_int_["slope_change"]}
    robust: tuple[float, float] | None = None
    if model.n_patients_ > len(PARAMS):  # the sandwich needs more patients than parameters
        robust = model.robust_conf_int()["slope_change"]
        intervals["cluster-robust"] = robust
    boot: tuple[float, float] | None = None
    failed: int | None = None
    if bootstrap_resamples is not None:
        try:
            boot = model.bootstrap_conf_int(bootstrap_resamples, seed=seed)["slope_change"]
            failed = model.bootstrap_failed_
            intervals["bootstrap"] = boot
        except InvalidInput:  # not one resample could be fitted
            failed = bootstrap_resamples
    change = model.params_["slope_change"]
    shown = reading(change, intervals) if model.converged_ else _NOT_CONVERGED
    return SlopeChangeOut(
        n_patients=model.n_patients_,
        n_obs=model.n_obs_,
        intercept=model.params_["intercept"],
        slope_before=model.params_["slope_before"],
        slope_before_wald=_interval(model.conf_int_["slope_before"]),
        slope_change=change,
        wald=_interval(intervals["Wald"]),
        robust=_interval(robust) if robust else None,
        bootstrap=_interval(boot) if boot else None,
        bootstrap_resamples=bootstrap_resamples,
        bootstrap_seed=seed if bootstrap_resamples is not None else None,
        bootstrap_failed=failed,
        converged=model.converged_,
        on_boundary=model.on_boundary_,
        reading=shown,
    )


def _check_resamples(bootstrap_resamples: int | None) -> None:
    if bootstrap_resamples is not None and bootstrap_resamples < MIN_RESAMPLES:
        raise InvalidInput.for_field(
            "bootstrap_resamples", f"at least {MIN_RESAMPLES}, got {bootstrap_resamples}"
        )


_NOT_CONVERGED = (
    "not read: the model's fit did not converge, so its estimate and intervals cannot be trusted"
)


def reading(slope_change: float, intervals: Mapping[str, tuple[float, float]]) -> str:
    """β2 in words, from its numbers only. A difference is stated only when every interval
    lies on the same side of zero; the words never name a cause.

    >>> reading(0.12, {"Wald": (-0.05, 0.29)})
    'no evidence of a difference in slope after the first dose: the 95% Wald interval covers zero'
    >>> print(reading(-0.4, {"Wald": (-0.6, -0.2), "bootstrap": (-0.7, -0.1)}))
    the mean ALSFRS-R slope after the first dose differs from the slope before by -0.40 points/month, every 95% interval (Wald, bootstrap) below zero: more decline after the first dose than before. An association in a cohort without controls; it cannot show what caused it.
    """  # noqa: E501
    if not intervals:
        raise ValueError("reading needs at least one interval")
    covering = [name for name, (low, high) in intervals.items() if low <= 0 <= high]
    if covering:
        last = covering.pop()
        which = f"{', '.join(covering)} and {last}" if covering else last
        verb, plural = ("cover", "s") if covering else ("covers", "")
        return (
            "no evidence of a difference in slope after the first dose: the 95% "
            f"{which} interval{plural} {verb} zero"
        )
    above = all(low > 0 for low, _ in intervals.values())
    below = all(high < 0 for _, high in intervals.values())
    if not (above or below):
        return (
            "no evidence of a difference in slope after the first dose: the 95% intervals lie "
            "on different sides of zero"
        )
    side, course = ("above", "less") if above else ("below", "more")
    return (
        "the mean ALSFRS-R slope after the first dose differs from the slope before by "
        f"{slope_change:+.2f} points/month, every 95% interval ({', '.join(intervals)}) {side} "
        f"zero: {course} decline after the first dose than before. An association in a cohort "
        "without controls; it cannot show what caused it."
    )


def _groups(df: pd.DataFrame, first: dict[int, FirstDose]) -> list[ExploratoryGroupOut]:
    out: list[ExploratoryGroupOut] = []
    by_kind: tuple[Literal["cell_source", "route", "dose"], ...] = ("cell_source", "route", "dose")
    for by in by_kind:
        seen = set(df["patient_id"])
        values = {pid: getattr(dose, by) for pid, dose in first.items() if pid in seen}
        for value in sorted(set(values.values())):
            members = {pid for pid, v in values.items() if v == value}
            sub = df[df["patient_id"].isin(members)].reset_index(drop=True)
            estimate, why = None, None
            try:
                estimate = estimate_slope_change(sub, bootstrap_resamples=None)
            except InvalidInput as error:
                why = error.fields[0].message if error.fields else error.message
            if estimate is not None:
                estimate.reading = "EXPLORATORY, not a finding: " + estimate.reading
            out.append(
                ExploratoryGroupOut(
                    by=by, value=value, n_patients=len(members), n_obs=len(sub),
                    estimate=estimate, not_estimable=why,
                )
            )  # fmt: skip
    return out


def _dose_label(basis: str, per_kg: float | None, fixed: float | None) -> str:
    """The plan's dose as written: '1×10^6 cells/kg' or '1.5×10^8 cells (fixed)'."""
    cells = per_kg if basis == "per_kg" else fixed
    if cells is None or cells <= 0:
        return "not recorded"
    exponent = int(np.floor(np.log10(cells)))
    mantissa = f"{cells / 10**exponent:.3g}"
    return f"{mantissa}×10^{exponent} cells" + ("/kg" if basis == "per_kg" else " (fixed)")


def _interval(pair: tuple[float, float]) -> Interval:
    return Interval(low=float(pair[0]), high=float(pair[1]))
