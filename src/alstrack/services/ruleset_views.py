"""What the rule set endpoints show: stored versions, and the rule set in use with its rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from alstrack.domain.eligibility.operators import OPERATORS
from alstrack.domain.eligibility.rules import Certainty, Effect, RuleSet

_VALIDATED = (
    "Whether the program declares the file clinically validated (ruleset.validation in the "
    "file): never for the shipped file"
)


class ValidationOut(BaseModel):
    status: str
    by: str
    date: date


class RuleSetVersionOut(BaseModel):
    id: int
    ruleset_id: str
    version: str
    sha256: str
    origin: str = Field(description='"builtin" or the file it was installed from')
    accepted_at: datetime
    active: bool = Field(description="Whether screenings use this version now")
    validated: bool = Field(description=_VALIDATED)
    validation: ValidationOut | None = Field(description="Who validated it and when, if declared")
    profiles: list[str]


class ProfileOut(BaseModel):
    name: str
    description: str


class DataElementOut(BaseModel):
    name: str = Field(description="As an evaluation or screening input names it")
    type: str
    unit: str | None
    codes: list[str] | None = Field(description="The allowed values of a code element")
    range: tuple[float, float] | None = Field(description="[low, high] a value must lie in")
    note: str | None
    accepts_never: bool = Field(description='Whether "never" stands for a date never reached')


class CheckOut(BaseModel):
    data_elements: list[str]
    operator: str
    threshold: Any = Field(
        description="null where the operator takes a threshold: none is known for this "
        "profile, so a value gives REVIEW (a physician decides)"
    )
    takes_threshold: bool


class PlanOut(BaseModel):
    effect: Effect
    checks: list[CheckOut] = Field(description="Empty: nothing to check, the rule gives REVIEW")
    review: bool = Field(description="Whether a value present gives REVIEW for want of a threshold")


class RuleOut(BaseModel):
    id: str
    group: str
    category: str
    description: str
    effect: Effect | dict[str, Effect] = Field(description="One effect, or one per profile")
    sources: list[str]
    verification: Certainty | dict[str, Certainty] = Field(description="One, or one per source")
    max_age_days: int | None
    applies_if: dict[str, Any] | None
    note: str | None
    plans: dict[str, PlanOut] = Field(
        description="Per profile the rule belongs to: its data elements, operators and thresholds"
    )


class ActiveRuleSetOut(BaseModel):
    id: str
    version: str
    version_id: int | None = Field(
        description="The stored version row screenings reference; null until the shipped rule "
        "set is stored by the first screening"
    )
    stored: bool
    sha256: str
    origin: str
    accepted_at: datetime | None
    validated: bool = Field(description=_VALIDATED)
    validation: ValidationOut | None
    default_profile: str
    profiles: list[ProfileOut]
    data_elements: list[DataElementOut]
    rules: list[RuleOut]
    sources: dict[str, dict[str, Any]]


def rules_out(ruleset: RuleSet) -> list[RuleOut]:
    plans: dict[str, dict[str, PlanOut]] = {rule.id: {} for rule in ruleset.rules}
    for profile in ruleset.profiles:
        for rule, plan in ruleset.plans(profile):
            checks = [
                CheckOut(
                    data_elements=list(check.elements),
                    operator=check.operator,
                    threshold=check.threshold,
                    takes_threshold=OPERATORS[check.operator].needs_threshold,
                )
                for check in plan.checks
            ]
            review = not checks or any(c.takes_threshold and c.threshold is None for c in checks)
            plans[rule.id][profile] = PlanOut(effect=plan.effect, checks=checks, review=review)
    return [
        RuleOut(
            id=rule.id,
            group=rule.group,
            category=rule.category,
            description=rule.description,
            effect=rule.effect,
            sources=list(rule.sources),
            verification=rule.verification,
            max_age_days=rule.max_age_days,
            applies_if=rule.applies_if,
            note=rule.note,
            plans=plans[rule.id],
        )
        for rule in ruleset.rules
    ]


def validation_out(ruleset: RuleSet) -> ValidationOut | None:
    declared = ruleset.ruleset.validation
    if declared is None:
        return None
    return ValidationOut(status=declared.status, by=declared.by, date=declared.date)
