"""Questionnaires and rating scales as data: load and check them, validate and score answers.

The instruments shipped with alstrack live in domain/data/instruments/*.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    model_validator,
)

from alstrack.domain.datafiles import parse_model, read_text
from alstrack.errors import FieldError, InvalidInput

__all__ = [
    "DERIVED_MEASURES",
    "OUTCOME_MEASURES",
    "Choice",
    "Instrument",
    "Item",
    "ResolvedOutcome",
    "builtin_instruments",
    "load_instrument",
    "resolve_outcome",
]

Answer = str | int | float | None
_Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
_Text = Annotated[str, Field(min_length=1)]


class _Frozen(BaseModel):
    # extra="forbid" turns a misspelt key in a data file into an error instead of a silent default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Frozen):
    """One allowed answer: the stored value, its wording, and its numeric score if not the value."""

    value: StrictInt | StrictStr
    label: _Text
    score: float | None = None

    @model_validator(mode="after")
    def _has_a_number(self) -> Self:
        if self.score is None and isinstance(self.value, str):
            raise ValueError(f"choice {self.value!r} is not a number, so it needs a numeric score")
        return self

    @property
    def numeric_score(self) -> float:
        return self.score if self.score is not None else float(self.value)


class Item(_Frozen):
    """One question of an instrument with its allowed answers."""

    key: _Key
    label: _Text
    choices: tuple[Choice, ...]

    @model_validator(mode="after")
    def _distinct_choices(self) -> Self:
        if not self.choices:
            raise ValueError(f"item {self.key} has no choices")
        # Answers are matched by their text (web forms send strings), so 1 and "1" collide.
        seen: set[str] = set()
        for choice in self.choices:
            text = str(choice.value)
            if text in seen:
                raise ValueError(f"item {self.key} has duplicate choice value {text!r}")
            seen.add(text)
        return self

    def allowed(self) -> str:
        return ", ".join(str(choice.value) for choice in self.choices)

    def choice_for(self, answer: object) -> Choice | None:
        # bool is an int in Python: True must not pass for a score of 1.
        if isinstance(answer, bool) or not isinstance(answer, str | int):
            return None
        text = str(answer)
        return next((c for c in self.choices if str(c.value) == text), None)


class Instrument(_Frozen):
    """A questionnaire or rating scale, with its citation and whether it is validated."""

    code: _Key
    version: _Text
    name: _Text
    source: _Text
    validated: bool
    notes: str | None = None
    items: tuple[Item, ...]
    groups: dict[_Key, tuple[_Key, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.items:
            raise ValueError("the instrument has no items")
        keys = [item.key for item in self.items]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"duplicate item keys: {', '.join(duplicates)}")
        for group, members in self.groups.items():
            unknown = [key for key in members if key not in keys]
            if not members:
                raise ValueError(f"group {group} has no items")
            if unknown:
                raise ValueError(f"group {group} names unknown items: {', '.join(unknown)}")
        return self

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise InvalidInput.for_field(key, f"{self.code} has no such item; items are {self._keys()}")

    def validate_responses(self, responses: Mapping[str, object]) -> dict[str, Answer]:
        """Every item's answer as its choice value; an unanswered item is None.

        Raises InvalidInput naming each unknown item and each answer that is not a choice.
        """
        by_key = {item.key: item for item in self.items}
        errors: list[FieldError] = []
        for key in responses:
            if key not in by_key:
                errors.append(
                    FieldError(key, f"{self.code} has no such item; items are {self._keys()}")
                )
        answers: dict[str, Answer] = {}
        for key, item in by_key.items():
            answer = responses.get(key)
            if answer is None:
                answers[key] = None
                continue
            choice = item.choice_for(answer)
            if choice is None:
                errors.append(
                    FieldError(key, f"{answer!r} is not allowed; choose {item.allowed()}")
                )
                continue
            answers[key] = choice.value
        if errors:
            raise InvalidInput(f"Invalid answers to {self.name}", errors)
        return answers

    def scores(self, responses: Mapping[str, object]) -> dict[str, float | None]:
        """Every item's numeric score (None where unanswered), after validate_responses()."""
        answers = self.validate_responses(responses)
        scores: dict[str, float | None] = {}
        for item in self.items:
            choice = item.choice_for(answers[item.key])
            scores[item.key] = None if choice is None else choice.numeric_score
        return scores

    def group_items(self, name: str) -> tuple[str, ...]:
        if name not in self.groups:
            groups = ", ".join(self.groups) or "none"
            raise InvalidInput.for_field(
                name, f"{self.code} has no such group; groups are {groups}"
            )
        return self.groups[name]

    def _keys(self) -> str:
        return ", ".join(item.key for item in self.items)


def load_instrument(path: Path | Traversable) -> Instrument:
    """Read and check one instrument file; InvalidInput names the file and what is wrong."""
    return parse_model(read_text(path), str(path), Instrument, holds="code, name, items, ...")


def builtin_instruments() -> dict[str, Instrument]:
    """The instruments shipped with alstrack, by code (a fresh dict; the instruments are frozen)."""
    return dict(_builtin())


@cache
def _builtin() -> tuple[tuple[str, Instrument], ...]:
    folder = files("alstrack.domain").joinpath("data", "instruments")
    loaded: dict[str, Instrument] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        instrument = load_instrument(entry)
        if instrument.code in loaded:
            raise InvalidInput.for_field(str(entry), f"code {instrument.code} is used twice")
        loaded[instrument.code] = instrument
    return tuple(loaded.items())


# What each outcome promised in the program's source article is measured by, so that every
# claim can be tested against data. A reference is "instrument_code.part", where part is an item
# key, a group name or "*" (every item), or one of DERIVED_MEASURES.
OUTCOME_MEASURES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "motor_function": ("alsfrs_r.fine_motor", "alsfrs_r.gross_motor"),
        "tremor": ("als_symptoms.tremor",),
        "stiffness": ("mas.*", "als_symptoms.stiffness"),
        "speech": ("alsfrs_r.q1", "als_symptoms.dysarthria"),
        "breathing": ("alsfrs_r.respiratory", "spirometry.fvc_percent_predicted"),
        "swallowing": ("alsfrs_r.q3", "als_symptoms.dysphagia"),
    }
)

# Measures computed rather than answered, with where they are computed.
DERIVED_MEASURES: Mapping[str, str] = MappingProxyType(
    {
        "spirometry.fvc_percent_predicted": (
            "vital capacity (FVC or SVC) as % of predicted FVC, alstrack.domain.spirometry"
        ),
    }
)


@dataclass(frozen=True)
class ResolvedOutcome:
    """An outcome's instrument items (code -> item keys) and derived measures."""

    outcome: str
    items: Mapping[str, tuple[str, ...]]
    derived: tuple[str, ...]


def resolve_outcome(
    outcome: str, instruments: Mapping[str, Instrument] | None = None
) -> ResolvedOutcome:
    """The items that measure an outcome; InvalidInput if a reference names nothing that exists."""
    if outcome not in OUTCOME_MEASURES:
        raise InvalidInput.for_field("outcome", f"must be one of {', '.join(OUTCOME_MEASURES)}")
    known = builtin_instruments() if instruments is None else instruments
    items: dict[str, tuple[str, ...]] = {}
    derived: list[str] = []
    for reference in OUTCOME_MEASURES[outcome]:
        if reference in DERIVED_MEASURES:
            derived.append(reference)
            continue
        code, _, part = reference.partition(".")
        if code not in known:
            raise InvalidInput.for_field(reference, f"no instrument {code!r}")
        instrument = known[code]
        if part == "*":
            keys = tuple(item.key for item in instrument.items)
        elif part in instrument.groups:
            keys = instrument.groups[part]
        else:
            keys = (instrument.item(part).key,)
        items[code] = items.get(code, ()) + keys
    return ResolvedOutcome(outcome, MappingProxyType(items), tuple(derived))
