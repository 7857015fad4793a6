"""The bedside: two people's checks of patient and product, the administration, its follow-up."""

from __future__ import annotations

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id
from alstrack.services import administrations, bedside
from alstrack.services.administrations import AdministrationIn, AdministrationOut, VisitOut
from alstrack.services.bedside import BedsideCheckIn, BedsideOut

router = APIRouter(tags=["bedside"])


@router.post(
    "/bedside-checks",
    status_code=status.HTTP_201_CREATED,
    summary="Confirm the patient and the product at the bedside (one of two qualified people)",
)
def check_at_bedside(data: BedsideCheckIn, db: DB, actor: CurrentActor) -> BedsideOut:
    return bedside.check_at_bedside(db, actor, data)


@router.get("/products/{din}/bedside-checks", summary="The bedside confirmations of a product")
def bedside_checks(din: str, db: DB, actor: CurrentActor) -> BedsideOut:
    return bedside.bedside_checks(db, actor, din)


@router.post(
    "/products/{din}/administration",
    status_code=status.HTTP_201_CREATED,
    summary="Record a verified product as given; schedules the follow-up visits",
)
def administer(din: str, data: AdministrationIn, db: DB, actor: CurrentActor) -> AdministrationOut:
    return administrations.administer(db, actor, din, data)


@router.get("/patients/{patient_id}/administrations", summary="Every dose the patient was given")
def patient_administrations(patient_id: Id, db: DB, actor: CurrentActor) -> list[AdministrationOut]:
    return administrations.patient_administrations(db, actor, patient_id)


@router.get("/patients/{patient_id}/follow-up-visits", summary="The patient's follow-up visits")
def patient_visits(patient_id: Id, db: DB, actor: CurrentActor) -> list[VisitOut]:
    return administrations.patient_visits(db, actor, patient_id)
