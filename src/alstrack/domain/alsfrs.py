"""ALSFRS-R totals and subscores, King's and MiToS stages, and ΔFS: one copy of each rule.

The rules run on numpy arrays (one element per visit); the scalar API runs them on one row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from numbers import Real
from typing import Literal

import numpy as np
import numpy.typing as npt

from alstrack.errors import FieldError, InvalidInput

__all__ = [
    "ITEMS",
    "KINGS_4B",
    "KINGS_REGIONS",
    "MITOS_DOMAINS",
    "SUBSCORES",
    "AlsfrsScore",
    "Rule",
    "delta_fs",
    "delta_fs_arrays",
    "score",
    "score_arrays",
    "score_many",
    "validate_items",
]

FloatArray = npt.NDArray[np.float64]

ITEMS: tuple[str, ...] = (
    "q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12",
)  # fmt: skip

# Item 5 is one item, whichever of 5a (no gastrostomy) or 5b (gastrostomy) was scored.
_ITEM_5 = "q5"
_ITEM_LABELS = {_ITEM_5: "q5a/q5b"}

# Cedarbaum et al., J Neurol Sci 1999;169:13–21. The four-domain split is a convention
# (Franchignoni 2013 argued for three factors).
SUBSCORES: dict[str, tuple[str, ...]] = {
    "bulbar": ("q1", "q2", "q3"),
    "fine_motor": ("q4", _ITEM_5, "q6"),
    "gross_motor": ("q7", "q8", "q9"),
    "respiratory": ("q10", "q11", "q12"),
}
_TOTAL_ITEMS = tuple(item for items in SUBSCORES.values() for item in items)

Op = Literal["<", "<=", "=="]
Condition = tuple[str, Op, float]


@dataclass(frozen=True)
class Rule:
    """A staging criterion: it holds when any (or all) of its item conditions hold."""

    label: str
    combine: Literal["any", "all"]
    conditions: tuple[Condition, ...]

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(item for item, _, _ in self.conditions)


# King's clinical stage (Roche et al., Brain 2012;135:847–852), estimated from ALSFRS-R as in
# Balendra et al., ALS&FTD 2014;15:279–284. Items 6, 7, 9 and 11 are not used.
KINGS_REGIONS: tuple[Rule, ...] = (
    Rule("bulbar region", "any", (("q1", "<", 4), ("q2", "<", 4), ("q3", "<", 4))),
    Rule("upper-limb region", "any", (("q4", "<", 4), (_ITEM_5, "<", 4))),
    Rule("lower-limb region", "any", (("q8", "<", 4),)),
)
# 4B (non-invasive ventilation needed) is checked first; 4A (gastrostomy) is not a threshold:
# it holds when item 5b was scored rather than 5a. Both can hold: stage 4 with both flags.
KINGS_4B = Rule("4B (ventilation)", "any", (("q10", "==", 0), ("q12", "<", 4)))
_KINGS_4 = 4.0
_DEAD_STAGE = 5.0

# MiToS (Chiò et al., JNNP 2015;86:38–44, Table 1): a domain is lost when its rule holds.
# Communicating needs both items (AND), as in the paper; one public implementation uses OR.
MITOS_DOMAINS: dict[str, Rule] = {
    "walking_self_care": Rule(
        "walking/self-care domain", "any", (("q8", "<=", 1), ("q6", "<=", 1))
    ),
    "swallowing": Rule("swallowing domain", "any", (("q3", "<=", 1),)),
    "communicating": Rule("communicating domain", "all", (("q1", "<=", 1), ("q4", "<=", 1))),
    "breathing": Rule("breathing domain", "any", (("q10", "<=", 1), ("q12", "<=", 2))),
}

# Kimura et al., Neurology 2006;66:265–267: months = days / (365.25 / 12).
_DAYS_PER_MONTH = 30.4375
_ALSFRS_R_MAX = 48.0


@dataclass(frozen=True)
class AlsfrsScore:
    """One visit's scores; None where the missing items could change the value (see reasons)."""

    total: float | None
    bulbar: float | None
    fine_motor: float | None
    gross_motor: float | None
    respiratory: float | None
    kings_regions: int | None
    kings_stage: int | None
    kings_4a: bool | None
    kings_4b: bool | None
    mitos_stage: int | None
    mitos_domains: dict[str, bool | None]
    half_points: bool
    reasons: tuple[str, ...]


def validate_items(
    items: Mapping[str, object], *, allow_half_points: bool = False
) -> dict[str, float | None]:
    """Check item names and values; return every item, None where missing.

    Raises InvalidInput naming each field at fault and what is allowed.
    """
    if _plainly_valid(items):
        return {k: (None if (v := items.get(k)) is None else float(v)) for k in ITEMS}  # type: ignore[arg-type]
    step = 0.5 if allow_half_points else 1.0
    allowed = (
        "a number from 0 to 4 in steps of 0.5" if allow_half_points else "a whole number 0 to 4"
    )
    errors: list[FieldError] = []
    values: dict[str, float | None] = dict.fromkeys(ITEMS)
    for key, value in items.items():
        if key not in ITEMS:
            errors.append(FieldError(str(key), f"unknown item; allowed: {', '.join(ITEMS)}"))
            continue
        if value is None:
            continue
        # bool is a Real in Python; True as an item score is almost always a bug upstream.
        if isinstance(value, bool) or not isinstance(value, Real):
            errors.append(FieldError(key, f"got {value!r}; give {allowed}, or leave it missing"))
            continue
        try:
            number = float(value)
        except OverflowError:  # an integer past any float (JSON allows 1 followed by 400 zeros)
            errors.append(FieldError(key, f"got {value!r}; give {allowed}, or leave it missing"))
            continue
        if math.isnan(number):
            continue  # NaN is how pandas and numpy mark a blank cell
        if not 0 <= number <= 4 or not (number / step).is_integer():
            errors.append(FieldError(key, f"got {value!r}; give {allowed}, or leave it missing"))
            continue
        values[key] = number
    if values["q5a"] is not None and values["q5b"] is not None:
        both = "give q5a (no gastrostomy) or q5b (gastrostomy), not both"
        errors += [FieldError("q5a", both), FieldError("q5b", both)]
    if errors:
        raise InvalidInput("Invalid ALSFRS-R items", errors)
    return values


_ITEM_SET = frozenset(ITEMS)
_WHOLE_POINTS = frozenset(range(5))


def _plainly_valid(items: Mapping[str, object]) -> bool:
    """The common case (known items, whole points 0–4, one of 5a/5b), checked cheaply: bulk
    imports and timelines validate many rows, and the full check with messages costs 10×."""
    return (
        _ITEM_SET.issuperset(items)
        and all(type(v) is int and v in _WHOLE_POINTS for v in items.values())
        and not ("q5a" in items and "q5b" in items)
    )


def score(
    items: Mapping[str, object], *, dead: bool = False, allow_half_points: bool = False
) -> AlsfrsScore:
    """Score one visit. Missing items give None, with the reason, where they could matter."""
    return score_many([items], dead=[dead], allow_half_points=allow_half_points)[0]


def score_many(
    visits: Sequence[Mapping[str, object]],
    *,
    dead: Sequence[bool] | None = None,
    allow_half_points: bool = False,
) -> list[AlsfrsScore]:
    """Score several visits in one pass of the array rules (a patient's timeline, a report)."""
    if not visits:
        return []
    checked = [validate_items(v, allow_half_points=allow_half_points) for v in visits]
    arrays = {
        k: np.array([math.nan if c[k] is None else c[k] for c in checked], dtype=np.float64)
        for k in ITEMS
    }
    ev = _evaluate(arrays, np.array(dead if dead is not None else [False] * len(visits)))
    out = {k: v.tolist() for k, v in ev.out.items()}
    domains = [_as_float(d).tolist() for d in ev.domains]

    def number(value: float) -> float | None:
        return None if math.isnan(value) else value

    def whole(value: float) -> int | None:
        return None if math.isnan(value) else int(value)

    def flag(value: float) -> bool | None:
        return None if math.isnan(value) else bool(value)

    scores = []
    for row, values in enumerate(checked):
        scores.append(
            AlsfrsScore(
                total=number(out["total"][row]),
                bulbar=number(out["bulbar"][row]),
                fine_motor=number(out["fine_motor"][row]),
                gross_motor=number(out["gross_motor"][row]),
                respiratory=number(out["respiratory"][row]),
                kings_regions=whole(out["kings_regions"][row]),
                kings_stage=whole(out["kings_stage"][row]),
                kings_4a=flag(out["kings_4a"][row]),
                kings_4b=flag(out["kings_4b"][row]),
                mitos_stage=whole(out["mitos_stage"][row]),
                mitos_domains={name: flag(domains[i][row]) for i, name in enumerate(MITOS_DOMAINS)},
                half_points=any(v is not None and not v.is_integer() for v in values.values()),
                reasons=_reasons(ev, row)
                if any(math.isnan(column[row]) for column in out.values())
                else (),
            )
        )
    return scores


def score_arrays(
    items: Mapping[str, npt.ArrayLike], dead: npt.ArrayLike | None = None
) -> dict[str, FloatArray]:
    """Score many visits at once: item arrays (NaN = missing) in, result arrays out.

    Returns float arrays for total, bulbar, fine_motor, gross_motor, respiratory, kings_regions,
    kings_stage, mitos_stage (NaN where indeterminate) and kings_4a, kings_4b (1, 0 or NaN).
    Values are not range-checked here (see validate_items); a row with both q5a and q5b has
    item 5 and 4A indeterminate.
    """
    return _evaluate(items, dead).out


def delta_fs(
    total: float | None,
    onset: date | None,
    visit: date | None,
    *,
    max_score: float = _ALSFRS_R_MAX,
) -> float | None:
    """ΔFS = (max − total) / months from onset to visit; None if undefined.

    Use max_score=40 for the original ALSFRS.

    >>> round(delta_fs(36, date(2020, 1, 15), date(2021, 1, 15)), 5)
    0.99795
    """
    if total is None or onset is None or visit is None:
        return None
    days = float((visit - onset).days)
    value = float(delta_fs_arrays([total], [days], max_score=max_score)[0])
    return None if math.isnan(value) else value


def delta_fs_arrays(
    total: npt.ArrayLike, days_from_onset: npt.ArrayLike, *, max_score: float = _ALSFRS_R_MAX
) -> FloatArray:
    """ΔFS per row (Kimura et al., 2006); NaN where total or days is missing or days ≤ 0."""
    totals = np.asarray(total, dtype=np.float64)
    days = np.asarray(days_from_onset, dtype=np.float64)
    defined = days > 0
    months = np.where(defined, days, np.nan) / _DAYS_PER_MONTH
    return np.asarray((max_score - totals) / months, dtype=np.float64)


# Three-valued logic in one byte per row, ordered so that Kleene OR is max and AND is min: a
# missing item (UNKNOWN) then matters only where it could flip the result.
_FALSE, _UNKNOWN, _TRUE = np.uint8(0), np.uint8(1), np.uint8(2)
StateArray = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class _Evaluation:
    columns: dict[str, FloatArray]
    out: dict[str, FloatArray]
    regions: list[StateArray]  # involved, in KINGS_REGIONS order
    region_stage: FloatArray
    domains: list[StateArray]  # lost, in MITOS_DOMAINS order


def _columns(items: Mapping[str, npt.ArrayLike]) -> dict[str, FloatArray]:
    unknown = sorted(set(items) - set(ITEMS))
    if unknown:
        raise InvalidInput.for_field(unknown[0], f"unknown item; allowed: {', '.join(ITEMS)}")
    given = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in items.items()}
    lengths = {len(v) for v in given.values()}
    if len(lengths) != 1:
        raise InvalidInput("item arrays must be given, all of the same length")
    n = lengths.pop()
    columns = {k: given[k] if k in given else np.full(n, np.nan) for k in ITEMS}
    item_5 = columns["q5a"].copy()
    np.copyto(item_5, columns["q5b"], where=np.isnan(item_5))
    # Both scored is contradictory input; treat item 5 as unknown rather than guess.
    item_5[~np.isnan(columns["q5a"]) & ~np.isnan(columns["q5b"])] = np.nan
    columns[_ITEM_5] = item_5
    return columns


@dataclass(frozen=True)
class _CompiledRules:
    """Every staging rule's conditions as arrays, so that all of them run as a few whole-matrix
    operations: a timeline scores a handful of visits, where numpy's cost per call, not per
    element, is what counts (one call per condition took 4× as long)."""

    rules: tuple[Rule, ...]
    items: tuple[str, ...]  # the item of each condition, rule after rule
    thresholds: FloatArray
    is_lt: npt.NDArray[np.bool_]
    is_le: npt.NDArray[np.bool_]
    starts: npt.NDArray[np.intp]  # each rule's first condition
    is_any: npt.NDArray[np.bool_]  # per rule: any (Kleene OR = max) or all (AND = min)

    @classmethod
    def of(cls, rules: Sequence[Rule]) -> _CompiledRules:
        conditions = [c for rule in rules for c in rule.conditions]
        starts = np.cumsum([0, *(len(rule.conditions) for rule in rules)][:-1])
        return cls(
            rules=tuple(rules),
            items=tuple(item for item, _, _ in conditions),
            thresholds=np.array([t for _, _, t in conditions], dtype=np.float64),
            is_lt=np.array([op == "<" for _, op, _ in conditions]),
            is_le=np.array([op == "<=" for _, op, _ in conditions]),
            starts=np.asarray(starts, dtype=np.intp),
            is_any=np.array([rule.combine == "any" for rule in rules]),
        )

    def states(self, columns: Mapping[str, FloatArray]) -> StateArray:
        """One row per rule (TRUE, FALSE or UNKNOWN), one column per visit.

        Conditions are rows and visits columns, and each rule reduces its own rows: numpy's
        reduceat over all rules at once is 6x slower on an import's 12,000 visits (it has no
        fast loop for this), and only 15 µs faster on a timeline's handful."""
        values = np.vstack([columns[item] for item in self.items])
        thresholds = self.thresholds[:, np.newaxis]
        holds = np.where(
            self.is_lt[:, np.newaxis],
            values < thresholds,
            np.where(self.is_le[:, np.newaxis], values <= thresholds, values == thresholds),
        )
        state = holds.view(np.uint8) * _TRUE
        state[np.isnan(values)] = _UNKNOWN
        out = np.empty((len(self.rules), values.shape[1]), dtype=np.uint8)
        ends = (*self.starts[1:].tolist(), len(self.items))
        for row, (start, end) in enumerate(zip(self.starts.tolist(), ends, strict=True)):
            combine = np.maximum if self.is_any[row] else np.minimum
            combine.reduce(state[start:end], axis=0, out=out[row])
        return out


_RULES = _CompiledRules.of((*KINGS_REGIONS, KINGS_4B, *MITOS_DOMAINS.values()))
_N_REGIONS = len(KINGS_REGIONS)


def _as_float(state: StateArray) -> FloatArray:
    out: FloatArray = (state == _TRUE).astype(np.float64)
    out[state == _UNKNOWN] = np.nan
    return out


def _evaluate(items: Mapping[str, npt.ArrayLike], dead: npt.ArrayLike | None) -> _Evaluation:
    columns = _columns(items)
    n = len(columns["q1"])
    is_dead = np.zeros(n, dtype=bool) if dead is None else np.asarray(dead, dtype=bool).reshape(-1)
    if len(is_dead) != n:
        raise InvalidInput.for_field("dead", "must have one value per row")

    # A sum over a missing item is NaN: totals and subscores need every item they cover.
    out: dict[str, FloatArray] = {
        name: np.add.reduce([columns[item] for item in needed])
        for name, needed in SUBSCORES.items()
    }
    out["total"] = np.add.reduce(list(out.values()))

    states = _RULES.states(columns)
    region_states = states[:_N_REGIONS]
    regions = list(region_states)
    involved = (region_states == _TRUE).sum(axis=0, dtype=np.uint8)
    unknown = (region_states == _UNKNOWN).sum(axis=0, dtype=np.uint8)
    out["kings_regions"] = np.where(unknown == 0, involved, np.nan)
    # A diagnosed patient is at least stage 1, so an unknown region only matters where it
    # could raise the count above 1.
    lowest = np.maximum(involved, 1)
    region_stage = np.where(lowest == np.maximum(involved + unknown, 1), lowest, np.nan)

    has_a, has_b = ~np.isnan(columns["q5a"]), ~np.isnan(columns["q5b"])
    kings_4a = has_b.view(np.uint8) * _TRUE
    kings_4a[has_a == has_b] = _UNKNOWN
    kings_4b = states[_N_REGIONS].copy()
    either = np.maximum(kings_4a, kings_4b)
    stage = np.where(either == _TRUE, _KINGS_4, region_stage)
    stage[either == _UNKNOWN] = np.nan
    stage[is_dead] = _DEAD_STAGE
    out["kings_stage"] = stage
    out["kings_4a"], out["kings_4b"] = _as_float(kings_4a), _as_float(kings_4b)

    domain_states = states[_N_REGIONS + 1 :]
    domains = list(domain_states)
    mitos = (domain_states == _TRUE).sum(axis=0).astype(np.float64)
    mitos[(domain_states == _UNKNOWN).any(axis=0)] = np.nan
    mitos[is_dead] = _DEAD_STAGE
    out["mitos_stage"] = mitos
    return _Evaluation(columns, out, regions, region_stage, domains)


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _missing(columns: Mapping[str, FloatArray], needed: Sequence[str], row: int) -> str:
    names = [_ITEM_LABELS.get(i, i) for i in needed if math.isnan(columns[i][row])]
    return f"{_listed(names)}, which {'is' if len(names) == 1 else 'are'} missing"


def _reasons(ev: _Evaluation, row: int = 0) -> tuple[str, ...]:
    cols = ev.columns
    reasons: list[str] = []
    for name, needed in {"total": _TOTAL_ITEMS, **SUBSCORES}.items():
        if math.isnan(ev.out[name][row]):
            absent = [_ITEM_LABELS.get(i, i) for i in needed if math.isnan(cols[i][row])]
            noun = "item" if len(absent) == 1 else "items"
            reasons.append(f"{name}: {noun} {_listed(absent)} missing")

    unknown_regions = [
        f"{rule.label} needs {_missing(cols, rule.items, row)}"
        for i, rule in enumerate(KINGS_REGIONS)
        if ev.regions[i][row] == _UNKNOWN
    ]
    if math.isnan(ev.out["kings_regions"][row]):
        reasons.append(f"kings_regions: {'; '.join(unknown_regions)}")
    flag_4a = "4A (gastrostomy) needs q5a or q5b to tell whether there is a gastrostomy"
    flag_4a_unknown = math.isnan(ev.out["kings_4a"][row])
    flag_4b_unknown = math.isnan(ev.out["kings_4b"][row])
    flag_4b = (
        f"{KINGS_4B.label} needs {_missing(cols, KINGS_4B.items, row)}" if flag_4b_unknown else ""
    )
    if flag_4a_unknown:
        reasons.append(f"kings_4a: {flag_4a}")
    if flag_4b_unknown:
        reasons.append(f"kings_4b: {flag_4b}")
    if math.isnan(ev.out["kings_stage"][row]):
        causes = [flag_4b] if flag_4b_unknown else []
        causes += [flag_4a] if flag_4a_unknown else []
        causes += unknown_regions if math.isnan(ev.region_stage[row]) else []
        reasons.append(f"kings_stage: {'; '.join(causes)}")

    unknown_domains = []
    for i, (name, rule) in enumerate(MITOS_DOMAINS.items()):
        if ev.domains[i][row] == _UNKNOWN:
            reasons.append(f"mitos_domains.{name}: needs {_missing(cols, rule.items, row)}")
            unknown_domains.append(f"{rule.label} needs {_missing(cols, rule.items, row)}")
    if math.isnan(ev.out["mitos_stage"][row]):
        reasons.append(f"mitos_stage: {'; '.join(unknown_domains)}")
    return tuple(reasons)
