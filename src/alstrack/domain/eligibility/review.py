"""A physician's review of a screening: which criteria may be decided, and where that leaves it.

A screening's verdict is computed once and never rewritten. What a physician adds are decisions
on the criteria that asked for one (REVIEW); the screening's *status* combines the two:

- ``eligible``: the verdict was eligible.
- ``eligible_after_review``: every REVIEW criterion was accepted by a physician.
- ``needs_review``: some REVIEW criteria are still undecided.
- ``excluded_on_review``: a physician decided a REVIEW criterion excludes the patient.
- ``not_eligible``: an exclusion criterion failed; no review can override it.
- ``incomplete``: data were missing or too old; record them and screen again.

Only inclusion and exclusion criteria (the ones that decide the verdict) are reviewed here;
procedure checks (LP-) are judged again before each procedure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from alstrack.domain.eligibility.evaluate import VERDICT_GROUPS, Verdict
from alstrack.domain.eligibility.operators import Result
from alstrack.errors import InvalidInput, StepRefused

__all__ = [
    "DECISIONS",
    "PLANNABLE",
    "Decision",
    "Standing",
    "Status",
    "check_decision",
    "reviewable",
    "standing",
]

Decision = Literal["accept", "exclude"]
DECISIONS: tuple[str, ...] = get_args(Decision)
Status = Literal[
    "eligible",
    "eligible_after_review",
    "needs_review",
    "excluded_on_review",
    "not_eligible",
    "incomplete",
]
# The statuses a treatment plan may rest on.
PLANNABLE: frozenset[str] = frozenset({"eligible", "eligible_after_review"})


@dataclass(frozen=True)
class Standing:
    status: Status
    open_reviews: tuple[str, ...]  # criterion ids still awaiting a decision


def reviewable(criteria: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The ids of the criteria a physician decides: REVIEW results that count for the verdict."""
    return tuple(
        c["id"] for c in criteria if c["group"] in VERDICT_GROUPS and c["result"] == Result.REVIEW
    )


def check_decision(criteria: Iterable[Mapping[str, Any]], criterion_id: str, decision: str) -> None:
    """Refuse a decision that is not allowed on this criterion, saying why."""
    if decision not in DECISIONS:
        raise InvalidInput.for_field(
            "decision", f"must be one of {', '.join(DECISIONS)}, not {decision!r}"
        )
    found = next((c for c in criteria if c["id"] == criterion_id), None)
    if found is None:
        raise InvalidInput.for_field(
            "criterion_id", f"{criterion_id!r} is not a criterion of this screening"
        )
    result, group = found["result"], found["group"]
    if group not in VERDICT_GROUPS:
        raise StepRefused(
            f"{criterion_id} is a procedure check, not an eligibility criterion; it is not "
            "decided by review."
        )
    if result == Result.FAIL and found["effect"] == "exclude":
        raise StepRefused(
            f"{criterion_id} failed and its effect is 'exclude': it cannot be overridden."
        )
    if result == Result.MISSING:
        raise StepRefused(
            f"{criterion_id} has no current value; record it and screen again instead."
        )
    if result != Result.REVIEW:
        raise StepRefused(f"{criterion_id} is {result}; only REVIEW criteria are decided.")


def standing(
    verdict: str, criteria: Iterable[Mapping[str, Any]], decisions: Mapping[str, str]
) -> Standing:
    """Where a screening stands once the physician's decisions so far are counted."""
    if verdict == Verdict.not_eligible:
        return Standing("not_eligible", ())
    if verdict == Verdict.incomplete:
        return Standing("incomplete", ())
    counted = [c for c in criteria if c["group"] in VERDICT_GROUPS]
    if any(c["result"] == Result.FAIL for c in counted):
        # Only exclusions fail outright (a flag's FAIL is REVIEW); the rule schema keeps other
        # effects off INC-/EXC- rules, and this keeps a failed criterion from ever resolving.
        return Standing("not_eligible", ())
    if verdict == Verdict.eligible:
        return Standing("eligible", ())
    pending = tuple(cid for cid in reviewable(criteria) if cid not in decisions)
    if any(decision == "exclude" for decision in decisions.values()):
        return Standing("excluded_on_review", pending)
    if pending:
        return Standing("needs_review", pending)
    return Standing("eligible_after_review", ())
