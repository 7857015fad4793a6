"""Screening rule sets as data: the schema that refuses a broken rule file, and the loaders.

A rule's data element, operator, threshold and effect may each be one value for every profile
or a mapping by profile name; an operator or threshold may also be a mapping by the rule's own
data elements (one operator per element). Profile names never contain a dot and data-element
names always do, so the two kinds of mapping cannot be confused. The shipped rule set is
domain/data/rules/msc-als-program.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from alstrack.domain.datafiles import parse_model, read_text
from alstrack.domain.eligibility.operators import OPERATORS
from alstrack.errors import FieldError, InvalidInput

__all__ = [
    "GROUPS",
    "Certainty",
    "Check",
    "DataElement",
    "Effect",
    "Plan",
    "Rule",
    "RuleSet",
    "Validation",
    "builtin_ruleset",
    "load_ruleset",
    "parse_ruleset",
]

GROUPS = ("INC", "EXC", "LP", "DON", "REL", "ADM")
ElementType = Literal["integer", "number", "code", "boolean", "date", "datetime"]
Effect = Literal["exclude", "flag", "block_procedure", "block_release"]
Certainty = Literal["read", "secondary", "recalled"]
_WEAKEST_FIRST: tuple[Certainty, ...] = ("recalled", "secondary", "read")
# The effects each group may have. A failed INC- or EXC- rule excludes or asks a physician; an
# LP- rule blocks one procedure; DON-, REL- and ADM- rules block a lot's release. Any other
# combination would be silently ignored where the rule is evaluated, so it is refused.
EFFECTS_BY_GROUP: Mapping[str, tuple[Effect, ...]] = {
    "INC": ("exclude", "flag"),
    "EXC": ("exclude", "flag"),
    "LP": ("block_procedure", "flag"),
    "DON": ("block_release", "flag"),
    "REL": ("block_release", "flag"),
    "ADM": ("block_release", "flag"),
}


def _at_most(limit: int) -> Callable[[str], str]:
    """Refuse text longer than the database column that stores it (PostgreSQL would fail)."""

    def fits(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"at most {limit} characters (it has {len(value)})")
        return value

    return fits


def _no_nul(value: str) -> str:
    # YAML spells one "\0"; PostgreSQL cannot store it in text (SQLite would).
    if "\x00" in value:
        raise ValueError("must not contain a NUL character (\\u0000)")
    return value


def _iso_date(value: object) -> object:
    # YAML reads an unquoted 2026-05-01 as a date; a quoted one stays text.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"must be a date YYYY-MM-DD, not {value!r}")


def _named(value: str) -> str:
    if not value:
        raise ValueError("name who validated it (e.g. the medical director and QA)")
    return value


_Text = Annotated[str, Field(min_length=1)]
_ProfileName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$"), AfterValidator(_at_most(64))]
_RuleId = Annotated[str, Field(pattern=r"^[A-Z]+-[A-Z0-9]+-\d{3}$"), AfterValidator(_at_most(32))]


class _Frozen(BaseModel):
    # extra="forbid" turns a misspelt key in a rule file into an error instead of a silent default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class DataElement(_Frozen):
    """One input a rule may read: its type and, where it has them, unit, codes and range."""

    type: ElementType
    unit: str | None = None
    values: tuple[str, ...] | None = None
    range: tuple[float, float] | None = None
    note: str | None = None
    # The literal "never" stands for a last date that never happened.
    accepts_never: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.type == "code") != bool(self.values):
            raise ValueError("a code element needs values, and only a code element has them")
        if self.range is not None and (
            self.type not in ("integer", "number") or self.range[0] > self.range[1]
        ):
            raise ValueError("range is [low, high] and only for integer or number elements")
        if self.accepts_never and self.type != "date":
            raise ValueError("only a date element accepts 'never'")
        return self


class Profile(_Frozen):
    description: _Text


class Validation(_Frozen):
    """The program's declaration that its physicians and QA validated this rule file."""

    status: Literal["validated"]
    by: Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_named)]
    date: Annotated[date, BeforeValidator(_iso_date)]


class RuleSetMeta(_Frozen):
    id: Annotated[str, Field(min_length=1), AfterValidator(_at_most(64)), AfterValidator(_no_nul)]
    version: Annotated[
        str, Field(min_length=1), AfterValidator(_at_most(40)), AfterValidator(_no_nul)
    ]
    date: str | None = None
    default_profile: _ProfileName
    profiles: dict[_ProfileName, Profile]
    # Absent: a DRAFT. Only a program's own declaration makes a rule file count as validated.
    validation: Validation | None = None

    @model_validator(mode="after")
    def _default_is_a_profile(self) -> Self:
        if self.default_profile not in self.profiles:
            raise ValueError(f"default_profile {self.default_profile} is not among the profiles")
        return self


@dataclass(frozen=True)
class Check:
    """One operator applied to one data element (or, for combined operators, to several)."""

    elements: tuple[str, ...]
    operator: str
    threshold: Any  # None: the threshold is not known for this profile -> REVIEW


@dataclass(frozen=True)
class Plan:
    """A rule as it applies under one profile. No checks means: not known, so REVIEW."""

    effect: Effect
    checks: tuple[Check, ...]


_ABSENT = object()


class Rule(_Frozen):
    """One screening, procedure, donor or release criterion with its source and certainty."""

    id: _RuleId
    category: _Text
    description: _Text
    data_element: str | tuple[str, ...] | dict[str, str]
    operator: str | dict[str, str]
    threshold: Any = None
    effect: Effect | dict[str, Effect]
    sources: tuple[str, ...]
    verification: Certainty | dict[str, Certainty]
    applies_if: dict[str, Any] | None = None
    profiles: tuple[str, ...] | None = None  # the profiles it belongs to; None: all
    procedure: str | tuple[str, ...] | None = None
    applies_to: str | None = None
    max_age_days: Annotated[int, Field(ge=0)] | None = None
    note: str | None = None

    @property
    def group(self) -> str:
        return self.id.split("-", 1)[0]

    @property
    def certainty(self) -> Certainty:
        """The weakest certainty of any of its sources."""
        if isinstance(self.verification, str):
            return self.verification
        given = set(self.verification.values())
        return next(c for c in _WEAKEST_FIRST if c in given)

    def plan(self, profile: str, ruleset: RuleSet) -> Plan | None:
        """How the rule applies under a profile; None if it does not belong to that profile.

        Raises ValueError saying what is wrong with the rule.
        """
        if self.profiles is not None and profile not in self.profiles:
            return None
        effect = _by_profile(self.effect, profile, "effect", ruleset)
        if effect is _ABSENT:
            raise ValueError(f"no effect for profile {profile}")
        elements = self._elements(profile, ruleset)
        operators = self._operators(elements, profile, ruleset)
        threshold = self._threshold(elements, operators, profile, ruleset)
        if elements is None or operators is None:
            if threshold is not None:
                raise ValueError(
                    f"profile {profile} has no data element or operator; write "
                    f"threshold: {{{profile}: null}} to send it to REVIEW"
                )
            return Plan(effect, ())
        checks = _checks(elements, operators, threshold, profile, ruleset)
        return Plan(effect, checks)

    def _elements(self, profile: str, ruleset: RuleSet) -> tuple[str, ...] | None:
        if isinstance(self.data_element, str):
            return (self.data_element,)
        if isinstance(self.data_element, tuple):
            return self.data_element
        found = _by_profile(self.data_element, profile, "data_element", ruleset)
        return None if found is _ABSENT else (found,)

    def _operators(
        self, elements: tuple[str, ...] | None, profile: str, ruleset: RuleSet
    ) -> dict[str, str] | str | None:
        if isinstance(self.operator, str):
            return self.operator
        if elements is not None and set(self.operator) == set(elements):
            return dict(self.operator)
        found = _by_profile(self.operator, profile, "operator", ruleset)
        return None if found is _ABSENT else str(found)

    def _threshold(
        self,
        elements: tuple[str, ...] | None,
        operators: dict[str, str] | str | None,
        profile: str,
        ruleset: RuleSet,
    ) -> Any:
        if "threshold" not in self.model_fields_set:
            return _ABSENT
        value = self.threshold
        if not isinstance(value, dict):
            return value
        if isinstance(operators, dict) and elements is not None and set(value) <= set(elements):
            return value
        if all(key in ruleset.ruleset.profiles for key in value):
            return value.get(profile, _ABSENT)
        operator = operators if isinstance(operators, str) else None
        if operator is not None and operator in OPERATORS and OPERATORS[operator].combined:
            return value  # a structured threshold, e.g. hours by antithrombotic class
        raise ValueError(f"threshold names unknown profiles: {_unknown_profiles(value, ruleset)}")


def _by_profile(value: Any, profile: str, what: str, ruleset: RuleSet) -> Any:
    if not isinstance(value, dict):
        return value
    unknown = _unknown_profiles(value, ruleset)
    if unknown:
        raise ValueError(f"{what} names unknown profiles: {unknown}")
    return value.get(profile, _ABSENT)


def _unknown_profiles(value: dict[Any, Any], ruleset: RuleSet) -> str:
    # A YAML key may be a number or null as well as text.
    return ", ".join(sorted(str(key) for key in value if key not in ruleset.ruleset.profiles))


def _checks(
    elements: tuple[str, ...],
    operators: dict[str, str] | str,
    threshold: Any,
    profile: str,
    ruleset: RuleSet,
) -> tuple[Check, ...]:
    for name in elements:
        ruleset.element(name)  # raises for an unknown element
    if isinstance(operators, str):
        operator = _operator(operators)
        if operator.combined:
            if operator.arity is not None and len(elements) != operator.arity:
                raise ValueError(f"{operator.name} reads {operator.arity} data elements")
            key = elements[operator.key_element]
            return (_check(elements, key, operator.name, threshold, profile, ruleset),)
        return tuple(
            _check((name,), name, operator.name, threshold, profile, ruleset) for name in elements
        )
    per_element = threshold if isinstance(threshold, dict) else {}
    return tuple(
        _check((name,), name, operators[name], per_element.get(name, _ABSENT), profile, ruleset)
        for name in elements
    )


def _operator(name: str) -> Any:
    if name not in OPERATORS:
        raise ValueError(f"unknown operator {name!r}; operators are {', '.join(OPERATORS)}")
    return OPERATORS[name]


def _check(
    elements: tuple[str, ...],
    key: str,
    name: str,
    threshold: Any,
    profile: str,
    ruleset: RuleSet,
) -> Check:
    operator = _operator(name)
    element = ruleset.element(key)
    if element.type not in operator.types:
        raise ValueError(f"{name} cannot read {key}, a {element.type}")
    if not operator.needs_threshold:
        if threshold is not _ABSENT:
            raise ValueError(f"{name} takes no threshold")
        return Check(elements, name, None)
    if threshold is _ABSENT:
        raise ValueError(
            f"profile {profile} has no threshold for {key}; write null to send it to REVIEW"
        )
    if threshold is not None:
        try:
            operator.check(threshold, element.model_dump())
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
    return Check(elements, name, threshold)


class RuleSet(_Frozen):
    """A versioned rule set with named threshold profiles, its inputs and its sources."""

    ruleset: RuleSetMeta
    data_elements: dict[str, DataElement]
    rules: tuple[Rule, ...]
    sources: dict[str, dict[str, Any]] = Field(default_factory=dict)
    safety_reporting: dict[str, Any] | None = None

    @property
    def profiles(self) -> tuple[str, ...]:
        return tuple(self.ruleset.profiles)

    def element(self, name: str) -> DataElement:
        """The data element called name (a wildcard such as donor.tests.* matches its children)."""
        if name in self.data_elements:
            return self.data_elements[name]
        for pattern, element in self.data_elements.items():
            if pattern.endswith(".*") and name.startswith(pattern[:-1]) and name != pattern[:-1]:
                return element
        raise ValueError(f"unknown data element {name!r}")

    def plans(self, profile: str) -> list[tuple[Rule, Plan]]:
        """Every rule that belongs to the profile, as it applies there."""
        if profile not in self.ruleset.profiles:
            raise InvalidInput.for_field(
                "profile", f"unknown profile {profile!r}; profiles are {', '.join(self.profiles)}"
            )
        found = []
        for rule in self.rules:
            plan = rule.plan(profile, self)
            if plan is not None:
                found.append((rule, plan))
        return found

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Every failing rule is reported, so a program fixes its file in one round.
        seen: set[str] = set()
        problems: list[str] = []
        for rule in self.rules:
            try:
                self._check_rule(rule, seen)
            except ValueError as exc:
                problems.append(_printable(f"rule {rule.id}: {exc}"))
        if problems:
            raise _RuleProblems(problems)
        return self

    def _check_rule(self, rule: Rule, seen: set[str]) -> None:
        if rule.id in seen:
            raise ValueError("the id is used twice")
        seen.add(rule.id)
        if rule.group not in GROUPS:
            raise ValueError(f"id prefix {rule.group} is not a group ({', '.join(GROUPS)})")
        _check_effects(rule)
        unknown_sources = [s for s in rule.sources if self.sources and s not in self.sources]
        if unknown_sources:
            raise ValueError(f"unknown sources {', '.join(unknown_sources)}")
        if isinstance(rule.verification, dict):
            stray = [s for s in rule.verification if s not in rule.sources]
            if stray or not rule.verification:
                raise ValueError(f"verification names sources the rule lacks: {stray}")
        for name in rule.profiles or ():
            if name not in self.ruleset.profiles:
                raise ValueError(f"profiles names unknown profile {name}")
        for name, wanted in (rule.applies_if or {}).items():
            element = self.element(name)
            if element.type == "boolean" and not isinstance(wanted, bool):
                raise ValueError(f"applies_if {name} must be true or false")
            if element.type == "code" and wanted not in (element.values or ()):
                raise ValueError(f"applies_if {name}: {wanted!r} is not an allowed code")
        for profile in self.ruleset.profiles:
            rule.plan(profile, self)


def _printable(text: str) -> str:
    """``text`` with an unpaired surrogate (YAML spells one "\\ud800") as that escape: pydantic
    passes a validator's message on as UTF-8, and would fail on the surrogate itself."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class _RuleProblems(ValueError):
    """What is wrong with each failing rule, one entry per rule."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _check_effects(rule: Rule) -> None:
    allowed = EFFECTS_BY_GROUP[rule.group]
    given = rule.effect.items() if isinstance(rule.effect, dict) else [(None, rule.effect)]
    for profile, effect in given:
        if effect not in allowed:
            owners = [f"{g}-" for g, effects in EFFECTS_BY_GROUP.items() if effect in effects]
            raise ValueError(
                f"effect {effect}{f' (profile {profile})' if profile else ''} is not for "
                f"{rule.group}- rules, which {' or '.join(allowed)}; {effect} belongs to "
                f"{', '.join(owners)} rules"
            )


def load_ruleset(path: Path | Traversable) -> RuleSet:
    """Read and check a rule file; InvalidInput names the file, the rule and what is wrong."""
    return parse_ruleset(read_text(path), str(path))


def parse_ruleset(text: str, where: str) -> RuleSet:
    """Check the text of a rule file; InvalidInput names ``where``, the rule and what is wrong.

    Every problem found is reported, one FieldError each: all schema errors together, or (once
    the schema holds) every rule that fails its profile checks.
    """
    problems: list[str] = []

    def explain(exc: ValidationError, data: Mapping[str, Any]) -> str:
        problems.extend(_problems(exc, data))
        return "; ".join(problems)

    try:
        return parse_model(
            text, where, RuleSet, holds="ruleset, data_elements, rules", explain=explain
        )
    except InvalidInput as exc:
        if len(problems) < 2:
            raise
        raise InvalidInput(
            f"Invalid rule file {where}: {len(problems)} problems",
            [FieldError(where, problem) for problem in problems],
        ) from exc.__cause__


def builtin_ruleset() -> RuleSet:
    """The rule set shipped with alstrack: a DRAFT from published sources, not validated."""
    return _builtin()


@cache
def _builtin() -> RuleSet:
    return load_ruleset(files("alstrack.domain").joinpath("data", "rules", "msc-als-program.yaml"))


def _problems(exc: ValidationError, data: Mapping[str, Any]) -> list[str]:
    """Each problem as "where: what", a rule named by its id rather than its position."""
    rules = data.get("rules")

    def by_id(loc: list[Any]) -> list[Any]:
        # Name a rule by its id, not its position in the file.
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            rule = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
            if isinstance(rule, dict) and "id" in rule:
                loc[:2] = [f"rule {rule['id']}"]
        return loc

    problems: list[str] = []
    for error in exc.errors():
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, _RuleProblems):
            problems += cause.problems
            continue
        where = ".".join(str(part) for part in by_id(list(error["loc"])))
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return problems
