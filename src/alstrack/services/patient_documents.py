"""A patient's progress report, as HTML or PDF. Reading writes nothing.

The numbers are those of services.outcomes (who may read them, and another site's patient is
"not found", as there); this module adds what the figures need — the course expected without
treatment along the time axis (analysis.trajectory, the same projection the comparisons use) and
the ENCALS curve (domain.prognosis) — the patient's adverse events for a reader who may read
them (safety.read; for another the report says they are not shown), and the data cut-off, then
renders the view once the database is left. The patient appears by pseudonymous study id only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack import __version__
from alstrack.analysis.trajectory import MONTH_DAYS, expected_course
from alstrack.domain.prognosis import EncalsInputs, encals_model, survival
from alstrack.reports.patient_views import (
    AdverseEventMark,
    ComparisonLine,
    ExpectedPoint,
    MeasureSection,
    MilestoneMark,
    PatientReportView,
    PrognosisSection,
    SlopeLine,
    StageLine,
    SubscorePoint,
    ValuePoint,
)
from alstrack.reports.render import patient_report_html
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventOut
from alstrack.services.context import Actor, load_patient, now, today
from alstrack.services.documents import Document, Format, check_format, document
from alstrack.services.exports import record_export
from alstrack.services.outcomes import (
    MeasureOut,
    PatientOutcomesOut,
    PrognosisOut,
    SlopeOut,
    patient_outcomes,
)
from alstrack.services.records import PatientContext, patient_context
from alstrack.store.db import Database
from alstrack.store.models import AdverseEvent, Site

__all__ = ["patient_report"]

_TITLES = {
    "alsfrs_r_total": "ALSFRS-R total",
    "fvc_percent_predicted": "FVC % predicted",
    "weight_kg": "Weight",
}
# The least span of each figure's value axis: about a year's typical decline of ALSFRS-R and
# FVC, a few kilograms of weight (alstrack's choice for legibility, not a clinical threshold).
_AXIS_MIN_SPAN = {"alsfrs_r_total": 12.0, "fvc_percent_predicted": 20.0, "weight_kg": 6.0}
_ALSFRS_BOUNDS = (0.0, 48.0)
_CURVE_STEPS = 60
_MILESTONES = {
    "gastrostomy": "Gastrostomy",
    "niv_start": "NIV start",
    "niv_over_23h": "NIV > 23 h/day",
    "tracheostomy": "Tracheostomy",
    "death": "Death",
}
_ADVERSE_EVENTS = (
    select(AdverseEvent)
    .where(AdverseEvent.status == "current")
    .order_by(AdverseEvent.onset_date, AdverseEvent.id)
)


def patient_report(db: Database, actor: Actor, patient_id: int, *, fmt: Format) -> Document:
    """The patient's progress report: ALSFRS-R (total and subscores), FVC % predicted and
    weight over time beside the course expected without treatment, with the doses, milestones
    and adverse events marked, slopes, observed minus expected with its reading, stages, the
    ENCALS prognosis (or what it lacks) and the caveat."""
    check_format(fmt)
    cut_off, generated_at = today(), now()
    outcomes = patient_outcomes(db, actor, patient_id)
    may_read_events = actor.can(ADVERSE_EVENT.permission_read)
    with db.read() as session:
        patient = load_patient(session, actor, patient_id)
        ctx = patient_context(session, patient)
        site_code = session.scalars(select(Site.code).where(Site.id == patient.site_id)).one()
        synthetic = patient.synthetic
        events = _adverse_events(session, ctx) if may_read_events else []
    anchor = outcomes.first_dose_on or _first_value_on(outcomes) or cut_off
    origin = (
        f"the first dose ({anchor.isoformat()})"
        if outcomes.first_dose_on is not None
        else f"the first recorded value ({anchor.isoformat()})"
    )
    milestones = tuple(
        MilestoneMark(m.kind, _MILESTONES.get(m.kind, m.kind), m.on, _months(m.on, anchor))
        for m in outcomes.milestones
    )
    adverse_events = tuple(
        AdverseEventMark(
            number, e.term, e.onset_date, _months(e.onset_date, anchor), e.grade, e.serious,
            tuple(e.serious_criteria),
        )
        for number, e in enumerate(events, start=1)
    )  # fmt: skip
    view = PatientReportView(
        study_id=outcomes.study_id,
        site_code=site_code,
        synthetic=synthetic,
        cut_off=cut_off,
        first_dose_on=outcomes.first_dose_on,
        doses_on=tuple(outcomes.doses_on),
        doses_months=tuple(_months(on, anchor) for on in outcomes.doses_on),
        time_origin=origin,
        cut_off_months=_months(cut_off, anchor),
        measures=tuple(
            replace(
                _section(m, outcomes.first_dose_on, anchor, cut_off),
                milestones=milestones,
                adverse_events=adverse_events,
                adverse_events_shown=may_read_events,
            )
            for m in outcomes.measures
        ),
        stages=tuple(
            StageLine(s.on, s.kings_stage, s.mitos_stage, _months(s.on, anchor))
            for s in outcomes.stages
        ),
        prognosis=_prognosis(outcomes.prognosis, ctx.onset_date, outcomes.doses_on, cut_off),
        caveat=outcomes.caveat,
        generated_at=generated_at,
        generated_by=actor.username,
        software=f"alstrack {__version__}",
        milestones=milestones,
        adverse_events=adverse_events,
        adverse_events_withheld=(
            None
            if may_read_events
            else f"Adverse events are not shown: the {actor.role.replace('_', ' ')} role may not "
            f"read them ({ADVERSE_EVENT.permission_read})."
        ),
        subscores=tuple(
            SubscorePoint(
                s.on, _months(s.on, anchor), s.bulbar, s.fine_motor, s.gross_motor, s.respiratory
            )
            for s in outcomes.alsfrs_r_subscores
        ),
    )
    doc = document(patient_report_html(view), fmt, f"{outcomes.study_id}-progress-report")
    return record_export(
        db,
        actor,
        doc,
        kind="patient_report",
        patient_id=patient_id,
        site_id=patient.site_id,
        scope={"cut_off": cut_off},
    )


def _adverse_events(session: Session, ctx: PatientContext) -> list[AdverseEventOut]:
    """The patient's current adverse events by onset, as the safety services present them (so
    seriousness is domain.safety's)."""
    rows = session.scalars(_ADVERSE_EVENTS.where(AdverseEvent.patient_id == ctx.patient_id))
    return [ADVERSE_EVENT.present(row, ctx) for row in rows]


def _section(m: MeasureOut, first: date | None, anchor: date, cut_off: date) -> MeasureSection:
    points = tuple(ValuePoint(p.on, _months(p.on, anchor), p.value) for p in m.points)
    before = [p for p in points if first is None or p.on <= first]
    expected, method = _expected(m, before, points, first, anchor, cut_off)
    return MeasureSection(
        key=m.measure,
        title=_TITLES[m.measure],
        unit=m.unit,
        points=points,
        n_before=len(before),
        n_after=len(points) - len(before),
        expected=expected,
        expected_method=method,
        slope_before=_slope(m.slope_before),
        slope_before_from_onset=(
            _slope(m.slope_before_from_onset) if m.slope_before_from_onset is not None else None
        ),
        slope_after=_slope(m.slope_after),
        comparisons=tuple(
            ComparisonLine(
                c.horizon_months, c.observed, c.observed_at_months, c.expected, c.expected_low,
                c.expected_high, c.difference, c.low, c.high, c.reading, c.note,
            )
            for c in m.observed_minus_expected
        ),
        comparison_note=m.comparison_note,
        axis_min_span=_AXIS_MIN_SPAN[m.measure],
        scale=_ALSFRS_BOUNDS if m.measure == "alsfrs_r_total" else None,
    )  # fmt: skip


def _expected(
    m: MeasureOut,
    before: list[ValuePoint],
    points: tuple[ValuePoint, ...],
    first: date | None,
    anchor: date,
    cut_off: date,
) -> tuple[tuple[ExpectedPoint, ...], str]:
    """The course expected without treatment from the line before the first dose (with its 95%
    prediction band) or, with too few visits for a line, from ΔFS (no band): as the comparisons
    at 3, 6 and 12 months compute it, drawn up to the last value or the cut-off."""
    if first is None:
        return (), "none: no dose given"
    onset_slope = m.slope_before_from_onset.per_month if m.slope_before_from_onset else None
    delta_fs = -onset_slope if onset_slope is not None else None
    bounds = _ALSFRS_BOUNDS if m.measure == "alsfrs_r_total" else None
    pre_t, pre_v = [p.months for p in before], [p.value for p in before]
    probe, how = expected_course(pre_t, pre_v, [0.0], delta_fs=delta_fs, bounds=bounds)
    if not probe:
        n = len(before)
        return (), (
            f"none: {n} value{'s' if n != 1 else ''} on or before the first dose (a line needs "
            "three)" + (", and no ΔFS" if m.measure == "alsfrs_r_total" else "")
        )
    # A line of the visits before the dose runs through them; ΔFS starts at the last of them.
    start = min(pre_t) if probe[0].low is not None else max(pre_t)
    end = max([p.months for p in points] + [_months(cut_off, anchor)])
    grid = [start + (end - start) * i / _CURVE_STEPS for i in range(_CURVE_STEPS + 1)]
    course, how = expected_course(pre_t, pre_v, grid, delta_fs=delta_fs, bounds=bounds)
    return tuple(ExpectedPoint(e.months, e.value, e.low, e.high) for e in course), how


def _prognosis(
    p: PrognosisOut, onset: date | None, doses: list[date], cut_off: date
) -> PrognosisSection:
    curve: tuple[tuple[float, float], ...] = ()
    at_cut_off = _months(cut_off, onset) if onset is not None else None
    if p.linear_predictor is not None:
        model = encals_model()
        end = max(60.0, (at_cut_off or 0.0) + 12.0)
        curve = tuple(
            (end * i / _CURVE_STEPS, survival(model, p.linear_predictor, end * i / _CURVE_STEPS))
            for i in range(_CURVE_STEPS + 1)
        )
    return PrognosisSection(
        model=p.model,
        provenance=p.provenance,
        missing=tuple(p.missing),
        inputs=_inputs(p.inputs) if p.linear_predictor is not None else (),
        linear_predictor=p.linear_predictor,
        median_months_from_onset=p.median_months_from_onset,
        survival=tuple(sorted((int(k), v) for k, v in p.survival.items())),
        curve=curve,
        months_from_onset_at_cut_off=at_cut_off,
        doses_months_from_onset=(
            tuple(_months(on, onset) for on in doses) if onset is not None else ()
        ),
    )


def _inputs(x: EncalsInputs | None) -> tuple[tuple[str, str], ...]:
    if x is None:
        return ()
    yes = {True: "yes", False: "no"}
    return (
        ("Age at onset", f"{x.age_at_onset_years:.1f} years"),
        ("ΔFS", f"{x.delta_fs:.2f} points/month"),
        ("Diagnostic delay", f"{x.diagnostic_delay_months:.1f} months"),
        ("FVC", f"{x.fvc_percent:.0f}% predicted"),
        ("Onset", "bulbar" if x.bulbar_onset else "spinal"),
        ("Definite ALS (revised El Escorial)", yes[x.definite_als]),
        ("Frontotemporal dementia", yes[x.ftd]),
        ("C9orf72 repeat expansion", yes[x.c9orf72]),
    )


def _slope(s: SlopeOut) -> SlopeLine:
    return SlopeLine(s.per_month, s.low, s.high, s.n_visits, s.method, s.note)


def _first_value_on(outcomes: PatientOutcomesOut) -> date | None:
    days = [p.on for m in outcomes.measures for p in m.points]
    return min(days) if days else None


def _months(on: date, anchor: date) -> float:
    return (on - anchor).days / MONTH_DAYS
