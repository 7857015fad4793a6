"""Cohort analyses: what happened to the programme's patients, beside what was expected."""

from __future__ import annotations

from fastapi import APIRouter

from alstrack.api.deps import DB, CurrentActor
from alstrack.services import cohort_survival
from alstrack.services.cohort_survival import CohortSurvivalOut

router = APIRouter(tags=["cohort"])


@router.get(
    "/cohort/survival",
    summary="Event-free survival from onset (Kaplan-Meier, delayed entry) beside the mean "
    "ENCALS-expected curve of the same patients",
)
def survival(
    db: DB, actor: CurrentActor, site: str | None = None, treated_only: bool = True
) -> CohortSurvivalOut:
    return cohort_survival.event_free_survival(db, actor, site_code=site, treated_only=treated_only)
