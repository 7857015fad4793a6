"""Eligibility screenings of registry patients and physicians' review decisions."""

from __future__ import annotations

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import screenings
from alstrack.services.screenings import ReviewIn, ScreeningIn, ScreeningOut

router = APIRouter(tags=["screenings"])


@router.post(
    "/patients/{patient_id}/screenings",
    status_code=status.HTTP_201_CREATED,
    summary="Screen a patient with the rule set in force and store the screening",
    openapi_extra=needs("screenings.write"),
)
def screen_patient(
    patient_id: Id, db: DB, actor: CurrentActor, data: ScreeningIn | None = None
) -> ScreeningOut:
    return screenings.screen_patient(db, actor, patient_id, data or ScreeningIn())


@router.get(
    "/patients/{patient_id}/screenings",
    summary="A patient's screenings, newest first",
    openapi_extra=needs("screenings.read"),
)
def list_screenings(patient_id: Id, db: DB, actor: CurrentActor) -> list[ScreeningOut]:
    return screenings.list_screenings(db, actor, patient_id)


@router.get("/screenings/{screening_id}", openapi_extra=needs("screenings.read"))
def get_screening(screening_id: Id, db: DB, actor: CurrentActor) -> ScreeningOut:
    return screenings.get_screening(db, actor, screening_id)


@router.post(
    "/screenings/{screening_id}/reviews",
    status_code=status.HTTP_201_CREATED,
    summary="A physician decides one REVIEW criterion (signed 'reviewed'; exclusions that "
    "failed cannot be overridden)",
    openapi_extra=needs("screenings.review"),
)
def review(screening_id: Id, data: ReviewIn, db: DB, actor: CurrentActor) -> ScreeningOut:
    return screenings.review_criterion(db, actor, screening_id, data)
