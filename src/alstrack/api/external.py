"""External natural-history cohorts: what was imported, and the treated patients beside them."""

from __future__ import annotations

from fastapi import APIRouter

from alstrack.api.deps import DB, CurrentActor, needs
from alstrack.services import external_cohorts, external_comparison
from alstrack.services.external_cohorts import CohortOut
from alstrack.services.external_comparison import ExternalComparisonOut

router = APIRouter(tags=["cohort"])


@router.get(
    "/external-cohorts",
    summary="External natural-history cohorts imported (PRO-ACT)",
    openapi_extra=needs("assessments.read"),
)
def list_cohorts(db: DB, actor: CurrentActor) -> list[CohortOut]:
    return external_cohorts.list_cohorts(db, actor)


@router.get(
    "/cohort/external-comparison",
    summary="Treated patients' ALSFRS-R slopes beside matched controls of an external cohort",
    openapi_extra=needs("assessments.read"),
)
def compare(
    cohort: str, db: DB, actor: CurrentActor, site: str | None = None
) -> ExternalComparisonOut:
    return external_comparison.compare_with_external(db, actor, cohort, site_code=site)
