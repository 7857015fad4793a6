"""The operators a screening rule may use: what threshold each takes and how it judges values.

Each operator checks its threshold once, when a rule file is loaded, and judges values as often
as it is asked. Values reach an operator already typed (int, float, str, bool, date, datetime).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

__all__ = ["NEVER", "OPERATORS", "Operator", "Outcome", "Result"]

# A "last date" that never happened (e.g. never took an investigational agent).
NEVER = "never"


class Result(StrEnum):
    PASS = "PASS"  # noqa: S105 (a result, not a password)
    FAIL = "FAIL"
    MISSING = "MISSING"
    REVIEW = "REVIEW"


class Outcome(NamedTuple):
    result: Result
    reason: str


Values = tuple[Any, ...]
_NUMERIC = frozenset({"integer", "number"})
_DATES = frozenset({"date", "datetime"})


@dataclass(frozen=True)
class Operator:
    """One operator.

    `combined` operators read all of a rule's data elements together (in the order given) and
    are told which are missing (None); the others judge one present value at a time.
    """

    name: str
    types: frozenset[str]
    needs_threshold: bool
    check: Callable[[Any, Mapping[str, Any]], None]
    judge: Callable[[Values, Any, datetime], Outcome]
    combined: bool = False
    arity: int | None = 1
    key_element: int = 0  # which element the threshold is checked against


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _no_check(threshold: Any, element: Mapping[str, Any]) -> None:
    return None


def _check_number(threshold: Any, element: Mapping[str, Any]) -> None:
    if not _number(threshold):
        raise ValueError(f"threshold must be a number, not {threshold!r}")


def _check_between(threshold: Any, element: Mapping[str, Any]) -> None:
    if (
        not isinstance(threshold, list | tuple)
        or len(threshold) != 2
        or not all(_number(bound) for bound in threshold)
    ):
        raise ValueError(f"threshold must be [low, high] numbers, not {threshold!r}")
    if threshold[0] > threshold[1]:
        raise ValueError(f"threshold low {threshold[0]} is above high {threshold[1]}")


def _check_allowed(value: Any, element: Mapping[str, Any]) -> None:
    kind = element["type"]
    if kind == "code":
        if value not in element["values"]:
            raise ValueError(f"{value!r} is not one of {', '.join(element['values'])}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not true or false")
    elif kind in _NUMERIC:
        _check_number(value, element)
    else:
        raise ValueError(f"cannot compare a {kind} for equality")


def _check_in(threshold: Any, element: Mapping[str, Any]) -> None:
    if not isinstance(threshold, list | tuple) or not threshold:
        raise ValueError(f"threshold must be a non-empty list, not {threshold!r}")
    for value in threshold:
        _check_allowed(value, element)


def _check_days(threshold: Any, element: Mapping[str, Any]) -> None:
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise ValueError(f"threshold must be a whole number of days >= 0, not {threshold!r}")


def _check_hours(threshold: Any, element: Mapping[str, Any]) -> None:
    if not isinstance(threshold, Mapping) or not threshold:
        raise ValueError("threshold must map each antithrombotic class to hours (or a text)")
    classes = element["values"]
    for name, hours in threshold.items():
        if name not in classes:
            raise ValueError(f"{name!r} is not an antithrombotic class ({', '.join(classes)})")
        if not (_number(hours) and hours >= 0) and not isinstance(hours, str):
            raise ValueError(f"hours for {name} must be a number >= 0 or a text, not {hours!r}")


def _check_endotoxin(threshold: Any, element: Mapping[str, Any]) -> None:
    factors = threshold.get("K_eu_per_kg") if isinstance(threshold, Mapping) else None
    if not isinstance(factors, Mapping) or not factors:
        raise ValueError("threshold must be {K_eu_per_kg: {route: EU per kg}}")
    for route, k in factors.items():
        if route not in element["values"]:
            raise ValueError(f"{route!r} is not a route ({', '.join(element['values'])})")
        if not _number(k) or k <= 0:
            raise ValueError(f"K for {route} must be a number > 0, not {k!r}")


def _outcome(ok: bool, value: Any, relation: str, threshold: Any) -> Outcome:
    verb = "meets" if ok else "does not meet"
    return Outcome(Result.PASS if ok else Result.FAIL, f"{value!r} {verb} {relation} {threshold!r}")


def _eq(values: Values, threshold: Any, at: datetime) -> Outcome:
    return _outcome(values[0] == threshold, values[0], "=", threshold)


def _in(values: Values, threshold: Any, at: datetime) -> Outcome:
    return _outcome(values[0] in threshold, values[0], "one of", list(threshold))


def _gte(values: Values, threshold: Any, at: datetime) -> Outcome:
    return _outcome(values[0] >= threshold, values[0], "≥", threshold)


def _lte(values: Values, threshold: Any, at: datetime) -> Outcome:
    return _outcome(values[0] <= threshold, values[0], "≤", threshold)


def _gt(values: Values, threshold: Any, at: datetime) -> Outcome:
    return _outcome(values[0] > threshold, values[0], ">", threshold)


def _between(values: Values, threshold: Any, at: datetime) -> Outcome:
    low, high = threshold
    return _outcome(low <= values[0] <= high, values[0], "between (inclusive)", [low, high])


def _all_eq(values: Values, threshold: Any, at: datetime) -> Outcome:
    if not values or any(value is None for value in values):
        return Outcome(Result.MISSING, "no value")
    others = sorted({repr(value) for value in values if value != threshold})
    if others:
        return Outcome(Result.FAIL, f"expected all {threshold!r}, found {', '.join(others)}")
    return Outcome(Result.PASS, f"all {len(values)} values are {threshold!r}")


def _is_true(values: Values, threshold: Any, at: datetime) -> Outcome:
    return _outcome(values[0] is True, values[0], "=", True)


def _is_false(values: Values, threshold: Any, at: datetime) -> Outcome:
    return _outcome(values[0] is False, values[0], "=", False)


def _days_ago(value: Any, at: datetime) -> int | None:
    day = value.date() if isinstance(value, datetime) else value
    if not isinstance(day, date):
        return None
    return (at.date() - day).days


def _days_rule(relation: str, test: Callable[[int, int], bool]) -> Callable[..., Outcome]:
    def judge(values: Values, threshold: Any, at: datetime) -> Outcome:
        value = values[0]
        if value == NEVER:
            if relation == ">":  # "more than N days ago, or never": never passes
                return Outcome(Result.PASS, "never")
            return Outcome(Result.REVIEW, f"'never' has no meaning for ({relation} N days ago)")
        days = _days_ago(value, at)
        if days is None:
            return Outcome(Result.REVIEW, f"{value!r} is not a date")
        if days < 0:
            return Outcome(Result.REVIEW, f"{value} is after the as-of date {at.date()}")
        ok = test(days, threshold)
        verb = "meets" if ok else "does not meet"
        return Outcome(
            Result.PASS if ok else Result.FAIL,
            f"{value} is {days} days ago; {verb} {relation} {threshold} days ago",
        )

    return judge


def _after_now(values: Values, threshold: Any, at: datetime) -> Outcome:
    value = values[0]
    ok = value > at if isinstance(value, datetime) else value > at.date()
    return _outcome(ok, str(value), "after", at.isoformat())


def _min_hours(values: Values, threshold: Any, at: datetime) -> Outcome:
    kind, last_dose = values
    if kind is None:
        return Outcome(Result.MISSING, "no antithrombotic class")
    if kind == "none":
        return Outcome(Result.PASS, "no antithrombotic")
    if kind not in threshold:
        return Outcome(Result.REVIEW, f"no interval is set for {kind}")
    hours = threshold[kind]
    if not _number(hours):
        return Outcome(Result.REVIEW, f"{kind}: {hours}")
    if hours == 0:
        return Outcome(Result.PASS, f"{kind} need not be held")
    if last_dose is None:
        return Outcome(Result.MISSING, f"no last dose time for {kind}")
    elapsed = (at - last_dose).total_seconds() / 3600
    if elapsed < 0:
        return Outcome(Result.REVIEW, f"last dose {last_dose.isoformat()} is after {at}")
    ok = elapsed >= hours
    verb = "meets" if ok else "does not meet"
    return Outcome(
        Result.PASS if ok else Result.FAIL,
        f"{kind} last dose {elapsed:.1f} h ago; {verb} ≥ {hours} h",
    )


def _endotoxin(values: Values, threshold: Any, at: datetime) -> Outcome:
    if any(value is None for value in values):
        return Outcome(Result.MISSING, "endotoxin, dose volume, weight and route are all needed")
    eu_per_ml, volume_ml, weight_kg, route = values
    factors = threshold["K_eu_per_kg"]
    if route not in factors:
        return Outcome(Result.REVIEW, f"no K is set for route {route}")
    if volume_ml <= 0 or weight_kg <= 0:
        return Outcome(Result.REVIEW, "dose volume and weight must be above 0")
    # USP <85>: limit per mL = K x body weight / dose volume.
    limit = factors[route] * weight_kg / volume_ml
    ok = eu_per_ml <= limit
    verb = "meets" if ok else "does not meet"
    return Outcome(
        Result.PASS if ok else Result.FAIL,
        f"{eu_per_ml} EU/mL {verb} ≤ {limit:.4g} EU/mL ({route})",
    )


def _ops(*operators: Operator) -> Mapping[str, Operator]:
    return {operator.name: operator for operator in operators}


_ANY = frozenset({"integer", "number", "code", "boolean"})
OPERATORS: Mapping[str, Operator] = _ops(
    Operator("eq", _ANY, True, _check_allowed, _eq),
    Operator("in", _ANY, True, _check_in, _in),
    Operator("gte", _NUMERIC, True, _check_number, _gte),
    Operator("lte", _NUMERIC, True, _check_number, _lte),
    Operator("gt", _NUMERIC, True, _check_number, _gt),
    Operator("between", _NUMERIC, True, _check_between, _between),
    Operator("all_eq", _ANY, True, _check_allowed, _all_eq, combined=True, arity=None),
    Operator("is_true", frozenset({"boolean"}), False, _no_check, _is_true),
    Operator("is_false", frozenset({"boolean"}), False, _no_check, _is_false),
    Operator("lte_days_ago", _DATES, True, _check_days, _days_rule("≤", lambda d, n: d <= n)),
    Operator("gte_days_ago", _DATES, True, _check_days, _days_rule("≥", lambda d, n: d >= n)),
    Operator("gt_days_ago", _DATES, True, _check_days, _days_rule(">", lambda d, n: d > n)),
    Operator(
        "min_hours_since_last_dose", frozenset({"code"}), True, _check_hours, _min_hours, True, 2
    ),
    Operator("endotoxin_dose_limit", _ANY, True, _check_endotoxin, _endotoxin, True, 4, -1),
    Operator("after_now", _DATES, False, _no_check, _after_now),
)
