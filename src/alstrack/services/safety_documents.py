"""The safety report as HTML or PDF. Reading writes nothing.

The numbers are those of services.safety_report (who may read it, which sites, the cut-off);
this module adds the words for routes and cell sources and whether any patient counted is
synthetic demo data, and renders the view once the database is left.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from alstrack import __version__
from alstrack.domain.plans import cell_sources, routes
from alstrack.reports.render import safety_report_html
from alstrack.reports.safety_views import (
    ProportionCell,
    SafetyGroupLine,
    SafetyReportView,
    SeriousEventLine,
)
from alstrack.services.context import Actor, clinic_day, now
from alstrack.services.documents import Document, Format, check_format, document
from alstrack.services.exports import record_export
from alstrack.services.safety_report import GroupOut, Proportion, safety_report
from alstrack.store.db import Database
from alstrack.store.models import Administration, Patient, Site

__all__ = ["safety_report_document"]


def safety_report_document(
    db: Database,
    actor: Actor,
    *,
    on: date | None = None,
    site_code: str | None = None,
    fmt: Format,
) -> Document:
    """The safety report up to ``on`` (default today) for one site or every site the actor
    sees: counts with exact intervals by route and cell source, every serious event listed."""
    check_format(fmt)
    generated_at = now()
    report = safety_report(db, actor, on=on, site_code=site_code)
    view = SafetyReportView(
        cut_off=report.on,
        site_code=report.site_code,
        synthetic=_counts_synthetic(db, actor, report.on, site_code),
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
        generated_by=actor.username,
        software=f"alstrack {__version__}",
    )  # fmt: skip
    scope = f"-{report.site_code}" if report.site_code else ""
    doc = document(safety_report_html(view), fmt, f"safety-report{scope}-{report.on.isoformat()}")
    covered = {"cut_off": report.on, "site": report.site_code or "every site the user sees"}
    return record_export(db, actor, doc, kind="safety_report", scope=covered)


def _counts_synthetic(db: Database, actor: Actor, cut_off: date, site_code: str | None) -> bool:
    """Whether any treated patient the report counts (seen by the actor, at the site, dosed by
    the cut-off) is synthetic demo data."""
    with db.read() as session:
        rows = session.execute(
            select(Patient.site_id, Site.code, Administration.at)
            .join(Patient, Patient.id == Administration.patient_id)
            .join(Site, Site.id == Patient.site_id)
            .where(Patient.synthetic.is_(True))
        ).all()
    return any(
        actor.sees_site(site_id)
        and (site_code is None or code == site_code)
        and clinic_day(at) <= cut_off
        for site_id, code, at in rows
    )


def _group(g: GroupOut) -> SafetyGroupLine:
    if g.route is None or g.cell_source is None:
        label = "All treated patients"
    else:
        route = routes().find(g.route)
        label = f"{route.label if route else g.route} · {_source(g.cell_source)}"
    return SafetyGroupLine(
        label=label,
        route=g.route,
        cell_source=g.cell_source,
        patients_treated=g.patients_treated,
        doses=g.doses,
        events=g.events,
        serious_events=g.serious_events,
        susars=g.susars,
        any_event=_cell(g.patients_with_any_event),
        serious_event=_cell(g.patients_with_serious_event),
        grade_3_or_more=_cell(g.patients_with_grade_3_or_more),
    )


def _source(cell_source: str) -> str:
    source = cell_sources().find(cell_source)
    return source.label if source is not None else cell_source


def _cell(p: Proportion) -> ProportionCell:
    return ProportionCell(p.count, p.of, p.proportion, p.low, p.high)
