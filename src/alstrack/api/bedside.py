"""The bedside: two people's checks of patient and product, the administration, its follow-up
visits."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.domain.follow_up import VisitState
from alstrack.services import administrations, bedside, visits
from alstrack.services.administrations import AdministrationIn, AdministrationOut
from alstrack.services.bedside import BedsideCheckIn, BedsideOut
from alstrack.services.visits import (
    ProtocolDeviationOut,
    UnscheduledVisitIn,
    VisitIn,
    VisitOut,
)

router = APIRouter(tags=["bedside"])


@router.post(
    "/bedside-checks",
    status_code=status.HTTP_201_CREATED,
    summary="Confirm the patient and the product at the bedside (one of two qualified people)",
    openapi_extra=needs("products.administer"),
)
def check_at_bedside(data: BedsideCheckIn, db: DB, actor: CurrentActor) -> BedsideOut:
    return bedside.check_at_bedside(db, actor, data)


@router.get(
    "/products/{din}/bedside-checks",
    summary="The bedside confirmations of a product",
    openapi_extra=needs("products.read"),
)
def bedside_checks(din: str, db: DB, actor: CurrentActor) -> BedsideOut:
    return bedside.bedside_checks(db, actor, din)


@router.post(
    "/products/{din}/administration",
    status_code=status.HTTP_201_CREATED,
    summary="Record a verified product as given, signed 'administered' by who gave it (their "
    "password again); schedules the follow-up visits",
    openapi_extra=needs("products.administer"),
)
def administer(din: str, data: AdministrationIn, db: DB, actor: CurrentActor) -> AdministrationOut:
    return administrations.administer(db, actor, din, data)


@router.get(
    "/patients/{patient_id}/administrations",
    summary="Every dose the patient was given",
    openapi_extra=needs("products.read"),
)
def patient_administrations(patient_id: Id, db: DB, actor: CurrentActor) -> list[AdministrationOut]:
    return administrations.patient_administrations(db, actor, patient_id)


@router.get(
    "/patients/{patient_id}/follow-up-visits",
    summary="The patient's follow-up visits by due day, with their state on a day",
    openapi_extra=needs("plans.read"),
)
def patient_visits(
    patient_id: Id, db: DB, actor: CurrentActor, on: date | None = None
) -> list[VisitOut]:
    return visits.patient_visits(db, actor, patient_id, on=on)


@router.get(
    "/follow-up-visits",
    summary="Visits due, overdue or missed (or any state) on a day, per site",
    openapi_extra=needs("plans.read"),
)
def list_visits(
    db: DB,
    actor: CurrentActor,
    on: date | None = None,
    site: str | None = None,
    state: VisitState | None = None,
) -> list[VisitOut]:
    return visits.list_visits(db, actor, on=on, site_code=site, state=state)


@router.post(
    "/follow-up-visits/{visit_id}/visit",
    summary="Record a scheduled visit as made (outside its window: a protocol deviation)",
    openapi_extra=needs("assessments.write"),
)
def record_visit(visit_id: Id, data: VisitIn, db: DB, actor: CurrentActor) -> VisitOut:
    return visits.record_visit(db, actor, visit_id, data)


@router.post(
    "/patients/{patient_id}/unscheduled-visits",
    status_code=status.HTTP_201_CREATED,
    summary="Record an unscheduled visit, with why the patient came",
    openapi_extra=needs("assessments.write"),
)
def add_unscheduled_visit(
    patient_id: Id, data: UnscheduledVisitIn, db: DB, actor: CurrentActor
) -> VisitOut:
    return visits.add_unscheduled_visit(db, actor, patient_id, data)


@router.get(
    "/protocol-deviations",
    summary="Protocol deviations (visits out of window), per site",
    openapi_extra=needs("plans.read"),
)
def list_protocol_deviations(
    db: DB, actor: CurrentActor, site: str | None = None
) -> list[ProtocolDeviationOut]:
    return visits.list_protocol_deviations(db, actor, site_code=site)
