"""Routes for screening rule sets: the stored versions and the one screenings use."""

from __future__ import annotations

from fastapi import APIRouter

from alstrack.api.deps import DB, CurrentActor
from alstrack.services import rulesets
from alstrack.services.rulesets import ActiveRuleSetOut, RuleSetVersionOut

router = APIRouter(prefix="/rulesets", tags=["rulesets"])


@router.get("")
def list_versions(db: DB, actor: CurrentActor) -> list[RuleSetVersionOut]:
    """Every stored rule set version, newest first; `active` marks the one screenings use."""
    return rulesets.list_versions(db, actor)


@router.get("/active")
def active_ruleset(db: DB, actor: CurrentActor) -> ActiveRuleSetOut:
    """The rule set screenings use now, with its profiles, rules and sources."""
    return rulesets.describe_active(db, actor)
