"""Whether a treatment plan may be drafted or approved now: a fresh screening, a recent weight,
and the lumbar-puncture checks of an intrathecal plan.

The limits are the plan parameters (domain/data/plans/parameters.yaml): programme defaults, not
from a clinical source. The caller passes the moment and the day: the domain reads no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alstrack.domain.plans import PlanParameters

__all__ = [
    "LP_GROUP",
    "ProcedureCheck",
    "lumbar_puncture_checks",
    "lumbar_puncture_checks_too_old",
    "screening_unfit",
    "weight_too_old",
]

# The id prefix (group) of a screening's lumbar-puncture safety criteria: LP-PLT-001, ...
LP_GROUP = "LP"


def screening_unfit(
    as_of: datetime, screened_at: datetime, at: datetime, parameters: PlanParameters
) -> str | None:
    """Why a screening cannot carry a plan at ``at``, or None when it can.

    A plan rests on a screening made for now: as of at most ``screening_backdate_hours`` before
    it was made (not a backdated one), and at most ``screening_valid_days`` old at ``at``.

    >>> from alstrack.domain.plans import plan_parameters
    >>> made = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    >>> screening_unfit(made - timedelta(hours=2), made, made, plan_parameters()) is None
    True
    >>> screening_unfit(made - timedelta(hours=30), made, made, plan_parameters())[:44]
    'it is backdated: as of 2026-11-01 03:00 UTC,'
    """
    backdate = parameters.screening_backdate_hours.value
    valid = parameters.screening_valid_days.value
    if screened_at - as_of > timedelta(hours=backdate):
        hours = round((screened_at - as_of).total_seconds() / 3600, 1)
        return (
            f"it is backdated: as of {_utc(as_of)}, {hours:g} hours before it was made "
            f"({_utc(screened_at)}); a plan rests on a screening made for now, as of at most "
            f"{backdate} hours before it was made: screen the patient again"
        )
    if at - as_of > timedelta(days=valid):
        return (
            f"it is more than {valid} days old (as of {_utc(as_of)}); a plan rests on a screening "
            f"at most {valid} days old: screen the patient again"
        )
    return None


def weight_too_old(measured_on: date, today: date, parameters: PlanParameters) -> str | None:
    """Why a weight is too old on ``today`` to approve a dose computed from it, or None.

    >>> from alstrack.domain.plans import plan_parameters
    >>> weight_too_old(date(2026, 10, 29), date(2026, 11, 28), plan_parameters()) is None
    True
    """
    limit = parameters.weight_max_age_days.value
    age = (today - measured_on).days
    if age <= limit:
        return None
    return (
        f"the weight it was computed from ({measured_on}) is {age} days old on {today}; at "
        f"approval it may be at most {limit} days old: weigh the patient and revise the plan"
    )


def lumbar_puncture_checks_too_old(
    as_of: datetime, at: datetime, parameters: PlanParameters
) -> str | None:
    """Why the lumbar-puncture checks of a screening as of ``as_of`` are too old at ``at``.

    >>> from alstrack.domain.plans import plan_parameters
    >>> made = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    >>> lumbar_puncture_checks_too_old(made, made + timedelta(days=30), plan_parameters()) is None
    True
    """
    limit = parameters.lumbar_puncture_checks_max_age_days.value
    if at - as_of <= timedelta(days=limit):
        return None
    return (
        f"the newest screening is as of {_utc(as_of)}, more than {limit} days before this check: "
        "evaluate and screen the patient again before the lumbar puncture"
    )


@dataclass(frozen=True)
class ProcedureCheck:
    """A screening criterion on a procedure's safety (e.g. LP-PLT-001) that did not pass."""

    id: str
    result: str  # FAIL, MISSING or REVIEW
    reason: str | None


def lumbar_puncture_checks(criteria: Iterable[Mapping[str, Any]]) -> tuple[ProcedureCheck, ...]:
    """The lumbar-puncture criteria of a stored screening that did not pass, in its order.

    A FAIL stops an intrathecal plan's approval; MISSING and REVIEW stay open for the physician.
    Every one of them is judged again at the bedside before each lumbar puncture.

    >>> lumbar_puncture_checks([
    ...     {"id": "LP-PLT-001", "group": "LP", "result": "FAIL", "reason": "30 < 50"},
    ...     {"id": "LP-INR-001", "group": "LP", "result": "PASS", "reason": None},
    ...     {"id": "EXC-INF-001", "group": "EXC", "result": "FAIL", "reason": None},
    ... ])
    (ProcedureCheck(id='LP-PLT-001', result='FAIL', reason='30 < 50'),)
    """
    return tuple(
        ProcedureCheck(str(c["id"]), str(c["result"]), c.get("reason"))
        for c in criteria
        if c.get("group") == LP_GROUP and c.get("result") != "PASS"
    )


def _utc(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
