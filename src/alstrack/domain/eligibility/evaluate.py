"""Screen one patient's data elements against a rule set and profile: a pure function.

Each criterion gives PASS, FAIL, MISSING or REVIEW with the value it read, the threshold, the
effect and the source (eligibility.md). Missing data never passes; a value older than the
rule's max_age_days, undated where an age is required, or dated after the as-of time counts
as MISSING. A FAIL of a `flag` rule becomes REVIEW: a physician decides.

Screening evaluates inclusion (INC-) and exclusion (EXC-) rules, which decide the verdict, and
reports lumbar-puncture safety (LP-) rules as procedure checks that do not change it: they
block one procedure until corrected, not the patient's eligibility. Donor (DON-), lot release
(REL-) and administration (ADM-) rules belong to product and bedside checks and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from alstrack.domain.eligibility.operators import NEVER, OPERATORS, Outcome, Result
from alstrack.domain.eligibility.rules import Check, Effect, Plan, Rule, RuleSet
from alstrack.errors import FieldError, InvalidInput

__all__ = [
    "SCREENING_GROUPS",
    "VERDICT_GROUPS",
    "Criterion",
    "Observation",
    "Screening",
    "Verdict",
    "read_observations",
    "screen",
    "verdict_of",
]

SCREENING_GROUPS = ("INC", "EXC", "LP")
# What operators without a threshold compare against, to show beside the value.
_IMPLIED: Mapping[str, Any] = {"is_true": True, "is_false": False, "after_now": "after as-of"}
VERDICT_GROUPS = ("INC", "EXC")
_SEVERITY = (Result.FAIL, Result.MISSING, Result.REVIEW, Result.PASS)


class Verdict(StrEnum):
    eligible = "eligible"
    needs_review = "needs_review"
    not_eligible = "not_eligible"
    incomplete = "incomplete"


@dataclass(frozen=True)
class Observation:
    """One data element's value and, if known, the date it was measured or recorded."""

    value: Any
    date: date | None = None


@dataclass(frozen=True)
class Criterion:
    id: str
    group: str
    result: Result
    value: Any
    threshold: Any
    effect: Effect
    sources: tuple[str, ...]
    certainty: str
    reason: str


@dataclass(frozen=True)
class Screening:
    """The outcome of one screening, with what it was based on."""

    ruleset_id: str
    ruleset_version: str
    profile: str
    as_of: datetime
    verdict: Verdict
    criteria: tuple[Criterion, ...]


def screen(
    ruleset: RuleSet,
    observations: Mapping[str, Observation],
    *,
    as_of: datetime,
    profile: str | None = None,
    groups: tuple[str, ...] = SCREENING_GROUPS,
) -> Screening:
    """Evaluate every rule of the given groups under a profile (the rule set's default if None).

    as_of must be timezone-aware: dates are counted back from it and stale values refused.
    """
    if as_of.tzinfo is None:
        raise InvalidInput.for_field("as_of", "must carry a time zone")
    chosen = profile or ruleset.ruleset.default_profile
    criteria = tuple(
        _criterion(rule, plan, observations, ruleset, as_of)
        for rule, plan in ruleset.plans(chosen)
        if rule.group in groups
    )
    return Screening(
        ruleset.ruleset.id,
        ruleset.ruleset.version,
        chosen,
        as_of,
        verdict_of(criteria),
        criteria,
    )


def verdict_of(criteria: tuple[Criterion, ...]) -> Verdict:
    """Any exclude FAIL -> not_eligible; else any MISSING -> incomplete; else any REVIEW (or
    other FAIL) -> needs_review; else eligible. Only INC- and EXC- criteria count."""
    counted = [c for c in criteria if c.group in VERDICT_GROUPS]
    if any(c.result is Result.FAIL and c.effect == "exclude" for c in counted):
        return Verdict.not_eligible
    if any(c.result is Result.MISSING for c in counted):
        return Verdict.incomplete
    if any(c.result is not Result.PASS for c in counted):
        return Verdict.needs_review
    return Verdict.eligible


def read_observations(ruleset: RuleSet, raw: Mapping[str, object]) -> dict[str, Observation]:
    """Typed observations from JSON-like input: a plain value or {"value": v, "date": "YYYY-MM-DD"}.

    A null value is left out (it is missing). Raises InvalidInput naming every field at fault.
    """
    errors: list[FieldError] = []
    found: dict[str, Observation] = {}
    for name, entry in raw.items():
        try:
            observation = _observation(ruleset, name, entry)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
            continue
        if observation is not None:
            found[name] = observation
    if errors:
        raise InvalidInput("Invalid screening input", errors)
    return found


def _observation(ruleset: RuleSet, name: str, entry: object) -> Observation | None:
    try:
        element = ruleset.element(name)
    except ValueError:
        raise ValueError("not a data element of this rule set") from None
    when: date | None = None
    value = entry
    if isinstance(entry, Mapping):
        stray = sorted(set(entry) - {"value", "date"})
        if stray or "value" not in entry:
            raise ValueError('give a plain value or {"value": ..., "date": "YYYY-MM-DD"}')
        value = entry["value"]
        if entry.get("date") is not None:
            when = _parse_date(entry["date"], "date")
    if value is None:
        return None
    return Observation(_typed(element.type, element.model_dump(), value), when)


def _typed(kind: str, element: Mapping[str, Any], value: object) -> Any:
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {value!r}")
        return value
    if kind in ("integer", "number"):
        whole = kind == "integer"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be {'a whole number' if whole else 'a number'}, not {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"must be a finite number, not {value!r}")
        if whole and isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"must be a whole number, not {value!r}")
            value = int(value)
        low_high = element.get("range")
        if low_high is not None and not low_high[0] <= value <= low_high[1]:
            raise ValueError(f"must be from {low_high[0]:g} to {low_high[1]:g}, not {value!r}")
        return value
    if kind == "code":
        if value not in element["values"]:
            raise ValueError(f"must be one of {', '.join(element['values'])}, not {value!r}")
        return value
    if kind == "date":
        if value == NEVER and element.get("accepts_never"):
            return NEVER
        return _parse_date(value, "value")
    return _parse_datetime(value)


def _parse_date(value: object, what: str) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"{what} must be a date YYYY-MM-DD, not {value!r}")


def _parse_datetime(value: object) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"must be a date-time with a time zone (e.g. ...T08:00Z), not {value!r}")
    return parsed


def _criterion(
    rule: Rule,
    plan: Plan,
    observations: Mapping[str, Observation],
    ruleset: RuleSet,
    as_of: datetime,
) -> Criterion:
    value, threshold = _shown(rule, plan, observations)
    outcome = _evaluate(rule, plan, observations, as_of)
    if outcome.result is Result.FAIL and plan.effect == "flag":
        outcome = Outcome(Result.REVIEW, f"{outcome.reason}; flagged for a physician's review")
    return Criterion(
        id=rule.id,
        group=rule.group,
        result=outcome.result,
        value=value,
        threshold=threshold,
        effect=plan.effect,
        sources=rule.sources,
        certainty=rule.certainty,
        reason=outcome.reason,
    )


def _evaluate(
    rule: Rule, plan: Plan, observations: Mapping[str, Observation], as_of: datetime
) -> Outcome:
    for name, wanted in (rule.applies_if or {}).items():
        condition = _current(rule, name, observations, as_of)
        if isinstance(condition, Outcome):
            return Outcome(Result.MISSING, f"cannot tell whether it applies: {condition.reason}")
        if condition != wanted:
            return Outcome(Result.PASS, f"does not apply: {name} is {condition!r}")
    if not plan.checks:
        return Outcome(Result.REVIEW, "no threshold for this profile: a physician decides")
    outcomes = [_run(rule, check, observations, as_of) for check in plan.checks]
    worst = min(outcomes, key=lambda o: _SEVERITY.index(o.result)).result
    reasons = [o.reason for o in outcomes if o.result is worst]
    return Outcome(worst, "; ".join(reasons))


def _run(
    rule: Rule, check: Check, observations: Mapping[str, Observation], as_of: datetime
) -> Outcome:
    operator = OPERATORS[check.operator]
    names = _expand(check.elements, observations)
    values: list[Any] = []
    for name in names:
        current = _current(rule, name, observations, as_of)
        if isinstance(current, Outcome):
            if not operator.combined:
                return current  # missing data wins over everything, REVIEW included
            current = None
        values.append(current)
    if operator.combined and all(value is None for value in values):
        return Outcome(Result.MISSING, f"{', '.join(check.elements)}: no value")
    if check.threshold is None and operator.needs_threshold:
        # Only with the value in hand: a physician can judge a value, not its absence.
        return Outcome(Result.REVIEW, "no threshold for this profile: a physician decides")
    if operator.combined:
        return operator.judge(tuple(values), check.threshold, as_of)
    outcome = operator.judge(tuple(values), check.threshold, as_of)
    return Outcome(outcome.result, f"{names[0]}: {outcome.reason}")


def _expand(elements: tuple[str, ...], observations: Mapping[str, Observation]) -> list[str]:
    names: list[str] = []
    for name in elements:
        if name.endswith(".*"):
            names += sorted(key for key in observations if key.startswith(name[:-1]))
        else:
            names.append(name)
    return names


def _current(
    rule: Rule, name: str, observations: Mapping[str, Observation], as_of: datetime
) -> Any:
    """The value if present and current enough; otherwise a MISSING outcome saying why."""
    observation = observations.get(name)
    if observation is None:
        return Outcome(Result.MISSING, f"{name}: no value")
    when, today = observation.date, as_of.date()
    if when is not None and when > today:
        return Outcome(Result.MISSING, f"{name}: dated {when}, after the as-of date {today}")
    if rule.max_age_days is not None:
        if when is None:
            return Outcome(
                Result.MISSING, f"{name}: undated; needs a date within {rule.max_age_days} days"
            )
        age = (today - when).days
        if age > rule.max_age_days:
            return Outcome(
                Result.MISSING,
                f"{name}: dated {when}, {age} days old; at most {rule.max_age_days} allowed",
            )
    return observation.value


def _shown(rule: Rule, plan: Plan, observations: Mapping[str, Observation]) -> tuple[Any, Any]:
    """The value(s) read and threshold(s) used, as JSON-ready data."""
    names = _expand(tuple(n for c in plan.checks for n in c.elements), observations)
    read = {name: _json(observations[name].value) if name in observations else None
            for name in names}  # fmt: skip
    value: Any = read[names[0]] if len(names) == 1 else (read or None)
    thresholds = [_json(_IMPLIED.get(c.operator, c.threshold)) for c in plan.checks]
    if len(plan.checks) > 1 and len({repr(t) for t in thresholds}) > 1:
        return value, {c.elements[0]: t for c, t in zip(plan.checks, thresholds, strict=True)}
    return value, thresholds[0] if thresholds else None


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    return value
