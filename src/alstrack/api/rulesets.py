"""Routes for screening rule sets: the stored versions and the one screenings use. Read-only."""

from __future__ import annotations

from fastapi import APIRouter

from alstrack.api.deps import DB, CurrentActor, needs
from alstrack.services import rulesets
from alstrack.services.ruleset_views import ActiveRuleSetOut, RuleSetVersionOut

router = APIRouter(prefix="/rulesets", tags=["rulesets"])


@router.get("", openapi_extra=needs("rules.write", "screenings.read", any_of=True))
def list_versions(db: DB, actor: CurrentActor) -> list[RuleSetVersionOut]:
    """Every stored rule set version, newest first; `active` marks the one screenings use.

    No version is active while the shipped rule set in use is not stored yet (see
    `/rulesets/active`, whose `stored` is then false): the first screening stores it.
    """
    return rulesets.list_versions(db, actor)


@router.get("/active", openapi_extra=needs("rules.write", "screenings.read", any_of=True))
def active_ruleset(db: DB, actor: CurrentActor) -> ActiveRuleSetOut:
    """The rule set screenings use now: its data elements (type, unit, codes, range), profiles,
    sources and rules, each rule with the data elements, operators and thresholds every profile
    applies (a null threshold means REVIEW: a physician decides)."""
    return rulesets.describe_active(db, actor)
