"""Cohort analyses: what happened to the programme's patients, beside what was expected."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from alstrack.api.deps import DB, CurrentActor, needs
from alstrack.services import cohort_outcomes, cohort_survival
from alstrack.services.cohort_outcomes import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CohortOutcomesOut
from alstrack.services.cohort_responders import RESPONDER_THRESHOLD
from alstrack.services.cohort_survival import CohortSurvivalOut

router = APIRouter(tags=["cohort"])


@router.get(
    "/cohort/survival",
    summary="Event-free survival from onset (Kaplan-Meier, delayed entry) beside the mean "
    "ENCALS-expected curve of the same patients",
    openapi_extra=needs("assessments.read"),
)
def survival(
    db: DB,
    actor: CurrentActor,
    site: str | None = None,
    treated_only: bool = True,
    on: Annotated[date | None, Query(description="Data cut-off; default today")] = None,
) -> CohortSurvivalOut:
    return cohort_survival.event_free_survival(
        db, actor, site_code=site, treated_only=treated_only, on=on
    )


@router.get(
    "/cohort/outcomes",
    summary="Change of ALSFRS-R slope after the first dose (piecewise mixed model) with Wald, "
    "cluster-robust and bootstrap intervals and a reading; exploratory groups; responders "
    "beside natural history",
    openapi_extra=needs("assessments.read", "products.read"),
)
def outcomes(
    db: DB,
    actor: CurrentActor,
    site: str | None = None,
    on: Annotated[date | None, Query(description="Data cut-off; default today")] = None,
    responder_threshold: Annotated[
        float, Query(gt=0, le=48, description="Points/month of slope change a responder needs")
    ] = RESPONDER_THRESHOLD,
    bootstrap_resamples: Annotated[int, Query(ge=100, le=5000)] = BOOTSTRAP_RESAMPLES,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = BOOTSTRAP_SEED,
) -> CohortOutcomesOut:
    return cohort_outcomes.cohort_outcomes(
        db, actor, site_code=site, on=on, responder_threshold=responder_threshold,
        bootstrap_resamples=bootstrap_resamples, seed=seed,
    )  # fmt: skip
