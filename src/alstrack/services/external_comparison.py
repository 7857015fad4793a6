"""Treated patients beside matched controls from an external natural-history cohort (PRO-ACT).

Each treated patient's baseline is their last ALSFRS-R on or before the first dose; controls are
visits of the external cohort's subjects with the same onset region and, within calipers, a
similar ALSFRS-R total, ΔFS and age (analysis/matching.py). The outcome is the ALSFRS-R slope
over the following year from each baseline. An external cohort is not a randomised control:
trial participants were selected, treated in another era and followed differently, which the
caveat says with every answer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.analysis.matching import Baseline, Calipers, ControlVisit, compare
from alstrack.analysis.trajectory import MONTH_DAYS
from alstrack.errors import InvalidInput
from alstrack.services.context import Actor
from alstrack.services.outcomes import alsfrs_scores
from alstrack.services.records import patient_context
from alstrack.services.sites import check_site_code
from alstrack.services.timeline import timeline
from alstrack.store.db import Database
from alstrack.store.models import (
    Administration,
    ExternalAlsfrs,
    ExternalCohort,
    ExternalSubject,
    Patient,
    Site,
)

__all__ = ["CAVEAT", "ExternalComparisonOut", "compare_with_external"]

CAVEAT = (
    "Matched external controls are not a randomised control group: trial participants were "
    "selected differently, treated in another era and assessed by other raters, and matching on "
    "a few measures leaves other differences. A difference here cannot show that any treatment "
    "caused it."
)


class CalipersOut(BaseModel):
    alsfrs_points: float
    delta_fs: float
    age_years: float
    controls_per_patient: int
    horizon_months: float
    min_visits_after: int


class ExternalComparisonOut(BaseModel):
    cohort: str
    site_code: str | None
    calipers: CalipersOut
    patients_treated: int
    patients_matched: int
    patients_not_compared: dict[str, int] = Field(description="By reason")
    controls_used: int
    mean_difference: float | None = Field(
        description="Points/month: each patient's slope minus their controls' mean, averaged"
    )
    low: float | None = Field(description="95% t interval over patients")
    high: float | None
    reading: str
    caveat: str


def compare_with_external(
    db: Database, actor: Actor, cohort_name: str, *, site_code: str | None = None
) -> ExternalComparisonOut:
    """The treated patients the actor sees beside matched controls of ``cohort_name``."""
    actor.require("assessments.read")
    calipers = Calipers()
    with db.read() as session:
        check_site_code(session, site_code)
        cohort = session.scalar(select(ExternalCohort).where(ExternalCohort.name == cohort_name))
        if cohort is None:
            names = ", ".join(session.scalars(select(ExternalCohort.name))) or "none imported"
            raise InvalidInput.for_field("cohort", f"{cohort_name!r} is not known; {names}")
        candidates = _candidates(session, cohort.id)
        stmt = (
            select(Patient)
            .join(Site, Site.id == Patient.site_id)
            .where(Patient.id.in_(select(Administration.patient_id)))
            .order_by(Patient.id)
        )
        if site_code is not None:
            stmt = stmt.where(Site.code == site_code)
        patients = [p for p in session.scalars(stmt) if actor.sees_site(p.site_id)]
        born = {p.id: patient_context(session, p).date_of_birth for p in patients}
    baselines: list[Baseline] = []
    not_compared: dict[str, int] = defaultdict(int)
    for patient in patients:
        baseline, why = _baseline(db, actor, patient.id, born[patient.id])
        if baseline is None:
            not_compared[why] += 1
        else:
            baselines.append(baseline)
    result = compare(baselines, candidates, calipers)
    if result.patients_unmatched:
        not_compared["no matched controls, or too few visits in the year after"] += (
            result.patients_unmatched
        )
    return ExternalComparisonOut(
        cohort=cohort_name,
        site_code=site_code,
        calipers=CalipersOut(**calipers.__dict__),
        patients_treated=len(patients),
        patients_matched=result.patients_matched,
        patients_not_compared=dict(not_compared),
        controls_used=result.controls_used,
        mean_difference=result.mean_difference,
        low=result.low,
        high=result.high,
        reading=_reading(result.mean_difference, result.low, result.high),
        caveat=CAVEAT,
    )


def _reading(difference: float | None, low: float | None, high: float | None) -> str:
    if difference is None:
        return "cannot be compared: no patient with matched controls"
    if low is None or high is None:
        return "no interval (fewer than two patients compared): the difference cannot be judged"
    if low <= 0 <= high:
        return "no evidence of a difference in slope from matched external controls"
    side = "slower" if low > 0 else "faster"
    return (
        f"{side} decline than matched external controls, beyond the 95% interval; an external "
        "comparison cannot show why"
    )


def _baseline(
    db: Database, actor: Actor, patient_id: int, born: date | None
) -> tuple[Baseline | None, str]:
    shown = timeline(db, actor, patient_id)
    doses = sorted(e.date for e in shown.events if e.type == "administration")
    history = shown.patient.history
    if not doses:
        return None, "no dose the user may read"
    scores = [a for a in alsfrs_scores(shown) if a.alsfrs_r is not None]
    before = [a for a in scores if a.assessed_on <= doses[0]]
    if not before:
        return None, "no ALSFRS-R on or before the first dose"
    base = before[-1]
    assert base.alsfrs_r is not None
    total, dfs = base.alsfrs_r.total, base.alsfrs_r.delta_fs
    if total is None or dfs is None:
        return None, "the baseline ALSFRS-R has no total or ΔFS"
    region = history.onset_region if history else None
    if region is None:
        return None, "no onset region"
    if born is None:
        return None, "no date of birth (for the age)"
    age = (base.assessed_on - born).days / 365.25
    after = tuple(
        ((a.assessed_on - base.assessed_on).days / MONTH_DAYS, a.alsfrs_r.total)
        for a in scores
        if a.assessed_on > doses[0] and a.alsfrs_r is not None and a.alsfrs_r.total is not None
    )
    return (
        Baseline(
            str(patient_id), "bulbar" if region == "bulbar" else "spinal", total, dfs, age, after
        ),
        "",
    )


def _candidates(session: Session, cohort_id: int) -> list[ControlVisit]:
    """Every visit of the cohort's subjects that could be a matched baseline."""
    rows = session.execute(
        select(
            ExternalSubject.subject,
            ExternalSubject.onset_region,
            ExternalSubject.age_years,
            ExternalSubject.onset_delta_days,
            ExternalAlsfrs.delta_days,
            ExternalAlsfrs.total,
        )
        .join(ExternalAlsfrs, ExternalAlsfrs.subject_id == ExternalSubject.id)
        .where(ExternalSubject.cohort_id == cohort_id, ExternalAlsfrs.total.is_not(None))
        .order_by(ExternalSubject.subject, ExternalAlsfrs.delta_days)
    ).all()
    visits: dict[str, list[tuple[int, float]]] = defaultdict(list)
    facts: dict[str, tuple[str, float, int]] = {}
    for subject, region, age, onset, delta, total in rows:
        if region not in ("bulbar", "spinal") or age is None or onset is None or total is None:
            continue
        facts[subject] = (region, age, onset)
        visits[subject].append((delta, total))
    out: list[ControlVisit] = []
    for subject, series in visits.items():
        region, age, onset = facts[subject]
        for index, (delta, total) in enumerate(series):
            months_from_onset = (delta - onset) / MONTH_DAYS
            if months_from_onset <= 0:
                continue
            after = tuple(((d - delta) / MONTH_DAYS, t) for d, t in series[index + 1 :])
            out.append(
                ControlVisit(
                    subject=subject,
                    region=region,
                    total=total,
                    delta_fs=(48 - total) / months_from_onset,
                    age_years=age + delta / 365.25,
                    after=after,
                )
            )
    return out
