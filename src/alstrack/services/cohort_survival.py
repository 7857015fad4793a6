"""Event-free survival of the programme's patients from onset, beside the ENCALS-expected curve
of the same patients (analysis/survival.py).

An event is death, tracheostomy or NIV over 23 h/day (the ENCALS outcome), whichever comes
first. A patient is at risk from the first day the records hold anything of them (delayed
entry) to the event or, without one, to their last record (censored). The expected curve uses
the patients whose data at diagnosis give an ENCALS prediction; the observed curve is shown for
them too, so that like is compared with like, and for everyone. Patients left out are counted
with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from functools import partial

from pydantic import BaseModel, Field
from sqlalchemy import select

from alstrack.analysis.survival import CurvePoint, ederer_expected, kaplan_meier
from alstrack.analysis.trajectory import MONTH_DAYS
from alstrack.domain.prognosis import encals_model, survival
from alstrack.services.context import Actor, clinic_day, today
from alstrack.services.milestones import MilestoneOut
from alstrack.services.outcomes import prognosis_of
from alstrack.services.records import patient_context
from alstrack.services.sites import check_site_code
from alstrack.services.timeline import timeline
from alstrack.store.db import Database
from alstrack.store.models import Administration, Patient, Site

__all__ = ["CAVEAT", "EVENTS", "CohortSurvivalOut", "event_free_survival"]

EVENTS = frozenset({"death", "tracheostomy", "niv_over_23h"})
CAVEAT = (
    "Observed survival of an uncontrolled cohort beside what the ENCALS model expects of the same "
    "patients. A difference may come from who was selected for treatment, from when they entered "
    "the records, or from the model's fit to this population, not from any treatment; the "
    "model's coefficients are not verified (see provenance)."
)


class PointOut(BaseModel):
    months: float = Field(description="From symptom onset")
    survival: float
    low: float | None = None
    high: float | None = None
    at_risk: int | None = None


class CohortSurvivalOut(BaseModel):
    population: str = Field(description="treated (given at least one dose) or all")
    site_code: str | None
    on: date = Field(description="Data cut-off: records dated on or before it")
    patients: int = Field(description="Patients in the curves")
    events: int
    left_out: dict[str, int] = Field(description="Patients left out, by reason")
    observed: list[PointOut] = Field(description="Kaplan-Meier with delayed entry, 95% intervals")
    median_months_observed: float | None
    patients_with_prognosis: int
    observed_with_prognosis: list[PointOut] = Field(
        description="The same curve for the patients the expected curve covers"
    )
    expected: list[PointOut] = Field(description="Ederer II mean ENCALS-expected curve")
    model: str
    provenance: str
    caveat: str


def event_free_survival(
    db: Database,
    actor: Actor,
    *,
    site_code: str | None = None,
    treated_only: bool = True,
    on: date | None = None,
) -> CohortSurvivalOut:
    """The cohort's event-free survival from onset beside its ENCALS-expected curve, from the
    records dated on or before ``on`` (default today); treated: dosed on or before it."""
    actor.require("assessments.read")
    cut_off = on or today()
    with db.read() as session:
        check_site_code(session, site_code)
        stmt = select(Patient).join(Site, Site.id == Patient.site_id).order_by(Patient.id)
        if site_code is not None:
            stmt = stmt.where(Site.code == site_code)
        if treated_only:
            dosed = {
                patient_id
                for patient_id, at in session.execute(
                    select(Administration.patient_id, Administration.at)
                )
                if clinic_day(at) <= cut_off
            }
            stmt = stmt.where(Patient.id.in_(dosed))
        patients = [p for p in session.scalars(stmt) if actor.sees_site(p.site_id)]
        born = {p.id: patient_context(session, p).date_of_birth for p in patients}
    model = encals_model()
    left_out: Counter[str] = Counter()
    rows: list[tuple[float, float, bool, Callable[[float], float] | None]] = []
    for patient in patients:
        shown = timeline(db, actor, patient.id)
        history = shown.patient.history
        onset = history.onset_date if history else None
        if onset is None:
            left_out["no symptom onset date"] += 1
            continue
        known = [e for e in shown.events if e.date <= cut_off]
        dated = [e.date for e in known if e.type not in ("symptom_onset", "diagnosis")]
        events = [
            e.date for e in known if isinstance(e.record, MilestoneOut) and e.record.kind in EVENTS
        ]
        if not dated:
            left_out["no record after onset"] += 1
            continue
        entry = _months(min(dated), onset)
        exit_day = min(events) if events else max(dated)
        exit_ = _months(exit_day, onset)
        if exit_ <= entry:
            left_out["one day of records, no follow-up"] += 1
            continue
        prognosis = prognosis_of(shown, born[patient.id])
        lp = prognosis.linear_predictor
        expected = None if lp is None else partial(survival, model, lp)
        rows.append((entry, exit_, bool(events), expected))
    observed = kaplan_meier([r[1] for r in rows], [r[2] for r in rows], [r[0] for r in rows])
    covered = [r for r in rows if r[3] is not None]
    return CohortSurvivalOut(
        population="treated" if treated_only else "all",
        site_code=site_code,
        on=cut_off,
        patients=len(rows),
        events=sum(1 for r in rows if r[2]),
        left_out=dict(left_out),
        observed=_points(observed),
        median_months_observed=next((p.months for p in observed if p.survival <= 0.5), None),
        patients_with_prognosis=len(covered),
        observed_with_prognosis=_points(
            kaplan_meier([r[1] for r in covered], [r[2] for r in covered], [r[0] for r in covered])
        ),
        expected=_points(
            ederer_expected(
                [r[0] for r in covered], [r[1] for r in covered], [r[3] for r in covered if r[3]]
            )
        ),
        model=model.label,
        provenance=f"{model.reference.strip()} {model.provenance.strip()} Status: {model.status}.",
        caveat=CAVEAT,
    )


def _months(day: date, onset: date) -> float:
    return (day - onset).days / MONTH_DAYS


def _points(curve: list[CurvePoint]) -> list[PointOut]:
    return [
        PointOut(months=p.months, survival=p.survival, low=p.low, high=p.high, at_risk=p.at_risk)
        for p in curve
    ]
