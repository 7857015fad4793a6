"""Safety: expedited reports of SUSARs and lists of adverse events across patients.

Adverse events themselves are dated records (`/patients/{id}/adverse-events`, corrections and
voids): see api/records.py.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import adverse_events
from alstrack.services import safety_report as safety_reports
from alstrack.services.adverse_events import AdverseEventOut, ReportDueOut, ReportIn, ReportOut
from alstrack.services.safety_report import SafetyReportOut

router = APIRouter(tags=["safety"])


@router.post(
    "/adverse-events/{event_id}/reports",
    status_code=status.HTTP_201_CREATED,
    summary="Record an expedited report of a SUSAR as submitted, signed 'reported' (the "
    "reporter's password again)",
    openapi_extra=needs("safety.report"),
)
def record_report(event_id: Id, data: ReportIn, db: DB, actor: CurrentActor) -> ReportOut:
    return adverse_events.record_report(db, actor, event_id, data)


@router.get(
    "/safety/reports",
    summary="Expedited reports of SUSARs: due, overdue, on time or late on a day, per site",
    openapi_extra=needs("safety.read"),
)
def reporting_status(
    db: DB,
    actor: CurrentActor,
    on: date | None = None,
    site: str | None = None,
    state: Literal["due", "overdue", "on_time", "late"] | None = None,
) -> list[ReportDueOut]:
    return adverse_events.reporting_status(db, actor, on=on, site_code=site, state=state)


@router.get(
    "/safety/adverse-events",
    summary="Current adverse events by onset: per product (din), per route, or unresolved",
    openapi_extra=needs("safety.read"),
)
def list_adverse_events(
    db: DB,
    actor: CurrentActor,
    din: str | None = None,
    route: str | None = None,
    unresolved: bool = False,
) -> list[AdverseEventOut]:
    return adverse_events.list_adverse_events(
        db, actor, din=din, route=route, unresolved=unresolved
    )


@router.get(
    "/safety/report",
    summary="Adverse events of treated patients by route and cell source, with exact 95% "
    "intervals; every serious event listed",
    openapi_extra=needs("safety.read"),
)
def safety_report(
    db: DB, actor: CurrentActor, on: date | None = None, site: str | None = None
) -> SafetyReportOut:
    return safety_reports.safety_report(db, actor, on=on, site_code=site)
