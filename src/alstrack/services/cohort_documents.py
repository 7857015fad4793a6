"""The cohort outcomes report as HTML or PDF. Reading writes nothing.

The numbers are those of services.cohort_outcomes (the change of slope, exploratory groups,
responders), services.cohort_survival (event-free survival beside the ENCALS expectation),
services.safety_report and, when a cohort is named, services.external_comparison: who may read
them, which sites and the refusals are theirs. This module adds what the figures need (each
patient's totals over t, and the model's mean line), says why a section has no numbers, and
renders the view once the database is left.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from alstrack import __version__
from alstrack.analysis.mixed import MIN_RESAMPLES
from alstrack.domain.plans import routes
from alstrack.errors import Conflict, InvalidInput
from alstrack.reports.cohort_views import (
    CohortReportView,
    ExternalSection,
    GroupLine,
    IntervalLine,
    MeanLine,
    NoDeclineLine,
    RespondersSection,
    SlopeChangeLine,
    SlopeSection,
    SurvivalPoint,
    SurvivalSection,
)
from alstrack.reports.render import cohort_report_html
from alstrack.reports.safety_views import ProportionCell, SafetyReportView, SeriousEventLine
from alstrack.services.cohort_outcomes import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    CAVEAT,
    COLUMNS,
    FORMULA,
    GROUPS_NOTE,
    MODEL,
    CohortOutcomesOut,
    ExploratoryGroupOut,
    SlopeChangeOut,
    cohort_outcomes,
    cohort_visits,
)
from alstrack.services.cohort_responders import RespondersOut, responders
from alstrack.services.cohort_survival import CohortSurvivalOut, PointOut, event_free_survival
from alstrack.services.context import Actor, clinic_day, now
from alstrack.services.documents import Document, Format, check_format, document
from alstrack.services.exports import record_export
from alstrack.services.external_cohorts import list_cohorts
from alstrack.services.external_comparison import ExternalComparisonOut, compare_with_external
from alstrack.services.safety_documents import _counts_synthetic, _group, _source
from alstrack.services.safety_report import Proportion, SafetyReportOut, safety_report
from alstrack.store.db import Database

__all__ = ["cohort_report"]

# What the report's numbers need: the cohort model reads assessments and products, the
# survival analysis assessments, the safety section adverse events.
PERMISSIONS = ("assessments.read", "products.read", "safety.read")
_BY = {"cell_source": "cell source", "route": "route", "dose": "planned dose"}


def cohort_report(
    db: Database,
    actor: Actor,
    *,
    on: date | None = None,
    site_code: str | None = None,
    responder_threshold: float | None = None,
    bootstrap_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    external_cohort: str | None = None,
    fmt: Format,
) -> Document:
    """The cohort outcomes report up to ``on`` (default today) for one site or every site the
    actor sees: the change of ALSFRS-R slope after the first dose (or the model's reason for
    none), exploratory groups, responders beside untreated figures, event-free survival beside
    the ENCALS expectation, optionally matched external controls, and the safety counts with
    every serious event listed."""
    check_format(fmt)
    for permission in PERMISSIONS:
        actor.require(permission)
    if bootstrap_resamples < MIN_RESAMPLES:
        # Refused here: inside cohort_outcomes it would read as the model's reason for no fit.
        raise InvalidInput.for_field(
            "bootstrap_resamples", f"at least {MIN_RESAMPLES}, got {bootstrap_resamples}"
        )
    generated_at = now()
    day = clinic_day(generated_at)
    cut_off = on or day
    outcomes = _outcomes(
        db, actor, cut_off, site_code, responder_threshold, bootstrap_resamples, seed
    )
    if external_cohort is not None:
        _check_external_name(db, actor, external_cohort)
    frame = cohort_visits(db, actor, site_code=site_code, on=cut_off).frame
    if isinstance(outcomes, CohortOutcomesOut):
        found = outcomes.responders
    else:  # the model was refused; the responder counts need no model
        found = responders(frame, threshold=responder_threshold)
    # The external comparison takes no cut-off: it reads every current record.
    late = (
        None
        if cut_off >= day
        else f"it reads every current record up to today ({day.isoformat()}), so it would "
        f"count records after this report's data cut-off {cut_off.isoformat()}; a report cut "
        "off today shows it"
    )
    survival = event_free_survival(db, actor, site_code=site_code, on=cut_off)
    external = (
        compare_with_external(db, actor, external_cohort, site_code=site_code)
        if external_cohort is not None and late is None
        else None
    )
    safety = safety_report(db, actor, on=cut_off, site_code=site_code)
    synthetic = _counts_synthetic(db, actor, cut_off, site_code)
    software = f"alstrack {__version__}"
    view = CohortReportView(
        cut_off=cut_off,
        site_code=site_code,
        synthetic=synthetic,
        caveat=CAVEAT,
        slopes=_slopes(frame, outcomes),
        responders=_responders(found),
        survival=_survival(survival),
        external=_external(external) if external is not None else None,
        external_not_shown=(
            f"Not compared with {external_cohort!r}: the external comparison takes no data "
            f"cut-off: {late}."
            if late and external_cohort is not None
            else None
        ),
        safety=_safety(safety, synthetic, generated_at, actor.username, software),
        generated_at=generated_at,
        generated_by=actor.username,
        software=software,
    )
    scope = f"-{site_code}" if site_code else ""
    doc = document(cohort_report_html(view), fmt, f"cohort-report{scope}-{cut_off.isoformat()}")
    covered = {
        "cut_off": cut_off,
        "site": site_code or "every site the user sees",
        "external_cohort": external_cohort,
    }
    return record_export(db, actor, doc, kind="cohort_report", scope=covered)


def _outcomes(
    db: Database,
    actor: Actor,
    cut_off: date,
    site_code: str | None,
    responder_threshold: float | None,
    bootstrap_resamples: int,
    seed: int,
) -> CohortOutcomesOut | str:
    """The cohort analysis, or the service's own message when the model cannot be fitted (its
    refusal names the field ``cohort``); any other refusal (a site code, a threshold) stands."""
    try:
        return cohort_outcomes(
            db, actor, site_code=site_code, on=cut_off, responder_threshold=responder_threshold,
            bootstrap_resamples=bootstrap_resamples, seed=seed,
        )  # fmt: skip
    except InvalidInput as error:
        if [f.field for f in error.fields] != ["cohort"]:
            raise
        return error.message


def _check_external_name(db: Database, actor: Actor, name: str) -> None:
    """An unknown external cohort is refused naming those imported, whether or not the
    comparison can be shown at this cut-off."""
    names = [c.name for c in list_cohorts(db, actor)]
    if name not in names:
        raise InvalidInput.for_field(
            "external_cohort", f"{name!r} is not known; {', '.join(names) or 'none imported'}"
        )


def _slopes(frame: pd.DataFrame, outcomes: CohortOutcomesOut | str) -> SlopeSection:
    """The figure's totals from ``frame`` (what cohort_visits read); the numbers from the
    cohort analysis, or its refusal."""
    patient, time, outcome = COLUMNS["patient"], COLUMNS["time"], COLUMNS["outcome"]
    trajectories = tuple(
        tuple(zip(visits[time].tolist(), visits[outcome].tolist(), strict=True))
        for _, visits in frame.groupby(patient, sort=True)
    )
    before = int((frame[time] <= 0).sum())
    fitted = outcomes if isinstance(outcomes, CohortOutcomesOut) else None
    estimate = _estimate(fitted.estimate) if fitted else None
    return SlopeSection(
        trajectories=trajectories,
        n_patients=len(trajectories),
        n_obs=len(frame),
        n_before=before,
        n_after=len(frame) - before,
        left_out=tuple(sorted(fitted.left_out.items())) if fitted else (),
        population=fitted.population if fitted else None,
        model=fitted.model if fitted else MODEL,
        model_version=fitted.model_version if fitted else __version__,
        formula=fitted.formula if fitted else FORMULA,
        estimate=estimate,
        mean_line=(
            _mean_line(frame, fitted.estimate)
            if fitted is not None and fitted.estimate.converged
            else None
        ),
        refused=outcomes if isinstance(outcomes, str) else None,
        notes=tuple(fitted.notes) if fitted else (),
        visits_at_scale_bounds=fitted.visits_at_scale_bounds if fitted else None,
        groups_note=GROUPS_NOTE,
        groups=tuple(_group_line(g) for g in fitted.groups) if fitted else (),
    )


def _group_line(g: ExploratoryGroupOut) -> GroupLine:
    return GroupLine(
        by=_BY[g.by],
        value=_label(g.by, g.value),
        n_patients=g.n_patients,
        n_obs=g.n_obs,
        estimate=_estimate(g.estimate) if g.estimate else None,
        not_estimable=g.not_estimable,
    )


def _estimate(e: SlopeChangeOut) -> SlopeChangeLine:
    bootstrap = (
        f"{e.bootstrap_resamples} cluster resamples of patients, seed {e.bootstrap_seed}; "
        f"{e.bootstrap_failed} could not be fitted"
        if e.bootstrap_resamples is not None
        else "not computed"
    )
    intervals = [
        IntervalLine("Wald", e.wald.low, e.wald.high, "model-based standard error"),
        IntervalLine(
            "cluster-robust",
            e.robust.low if e.robust else None,
            e.robust.high if e.robust else None,
            "sandwich standard error" if e.robust else "none with 3 patients or fewer",
        ),
    ]
    if e.bootstrap_resamples is not None:
        intervals.append(
            IntervalLine(
                "bootstrap",
                e.bootstrap.low if e.bootstrap else None,
                e.bootstrap.high if e.bootstrap else None,
                bootstrap,
            )
        )
    return SlopeChangeLine(
        n_patients=e.n_patients,
        n_obs=e.n_obs,
        slope_before=e.slope_before,
        slope_before_low=e.slope_before_wald.low,
        slope_before_high=e.slope_before_wald.high,
        slope_change=e.slope_change,
        intervals=tuple(intervals),
        converged=e.converged,
        on_boundary=e.on_boundary,
        reading=e.reading,
    )


def _mean_line(frame: pd.DataFrame, estimate: SlopeChangeOut) -> MeanLine:
    """The model's mean line for the figure, drawn over the totals read for the figure: the
    same totals the model was fitted to, unless the records changed between the two reads."""
    if len(frame) != estimate.n_obs:
        raise Conflict("The records changed while the cohort report was made: generate it again.")
    return MeanLine(estimate.intercept, estimate.slope_before, estimate.slope_change)


def _label(by: str, value: str) -> str:
    if by == "cell_source":
        return _source(value)
    if by == "route":
        route = routes().find(value)
        return route.label if route else value
    return value


def _responders(r: RespondersOut) -> RespondersSection:
    return RespondersSection(
        threshold=r.threshold_points_per_month,
        definition=r.definition,
        responders=_cell(r.responders),
        untreated_comparison=r.untreated_comparison,
        no_decline=tuple(
            NoDeclineLine(
                n.horizon_months, _cell(n.patients), n.untreated_percent, n.untreated_source
            )
            for n in r.no_decline
        ),
        caveat=r.caveat,
    )


def _survival(s: CohortSurvivalOut) -> SurvivalSection:
    return SurvivalSection(
        population=s.population,
        patients=s.patients,
        events=s.events,
        left_out=tuple(sorted(s.left_out.items())),
        observed=_points(s.observed),
        median_months_observed=s.median_months_observed,
        patients_with_prognosis=s.patients_with_prognosis,
        observed_with_prognosis=_points(s.observed_with_prognosis),
        expected=_points(s.expected),
        model=s.model,
        provenance=s.provenance,
        caveat=s.caveat,
    )


def _points(points: list[PointOut]) -> tuple[SurvivalPoint, ...]:
    return tuple(SurvivalPoint(p.months, p.survival, p.low, p.high, p.at_risk) for p in points)


def _external(x: ExternalComparisonOut) -> ExternalSection:
    c = x.calipers
    return ExternalSection(
        cohort=x.cohort,
        calipers=(
            ("Onset region", "the same (bulbar, or spinal for any other)"),
            ("ALSFRS-R total at baseline", f"within ±{c.alsfrs_points:g} points"),
            ("ΔFS", f"within ±{c.delta_fs:g} points/month"),
            ("Age", f"within ±{c.age_years:g} years"),
            ("Controls per patient", f"the nearest {c.controls_per_patient}"),
            (
                "Outcome",
                f"ALSFRS-R slope over the {c.horizon_months:g} months after baseline, from at "
                f"least {c.min_visits_after} visits",
            ),
        ),
        patients_treated=x.patients_treated,
        patients_matched=x.patients_matched,
        patients_not_compared=tuple(sorted(x.patients_not_compared.items())),
        controls_used=x.controls_used,
        mean_difference=x.mean_difference,
        low=x.low,
        high=x.high,
        reading=x.reading,
        caveat=x.caveat,
    )


def _safety(
    report: SafetyReportOut, synthetic: bool, generated_at: datetime, by: str, software: str
) -> SafetyReportView:
    """The safety report's view, as services.safety_documents makes it: the counts by route
    and cell source with their exact intervals, and every serious event."""
    return SafetyReportView(
        cut_off=report.on,
        site_code=report.site_code,
        synthetic=synthetic,
        overall=_group(report.overall),
        groups=tuple(_group(g) for g in report.groups),
        serious_events=tuple(
            SeriousEventLine(
                patient_study_id=e.patient_study_id, site_code=e.site_code, term=e.term,
                onset_date=e.onset_date, grade=e.grade, serious_criteria=tuple(e.serious_criteria),
                related_to_procedure=e.related_to_procedure,
                related_to_product=e.related_to_product, expectedness=e.expectedness,
                susar=e.susar, outcome=e.outcome, route=e.route,
                cell_source=_source(e.cell_source) if e.cell_source else None,
                dose_number=e.dose_number,
            )
            for e in report.serious_events
        ),
        events_before_treatment=report.events_before_treatment,
        caveat=report.caveat,
        generated_at=generated_at,
        generated_by=by,
        software=software,
    )  # fmt: skip


def _cell(p: Proportion) -> ProportionCell:
    return ProportionCell(p.count, p.of, p.proportion, p.low, p.high)
