"""How registry facts become screening data elements: pure rules over plain values.

The parameters (lead-in window for the ALSFRS-R slope, spirometry position) are data with their
source in domain/data/screening-inputs.yaml. The services read the registry and call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from alstrack.domain.datafiles import parse_model, read_text
from alstrack.domain.progression import slope

__all__ = [
    "DrugCourse",
    "InputParameters",
    "Slope",
    "age_in_full_years",
    "decline_per_month",
    "drug_on",
    "el_escorial_code",
    "last_taken",
    "parameters",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# "interpretation": how alstrack reads a source that does not spell the method out.
Verification = Literal["read", "secondary", "recalled", "interpretation"]


class SlopeParameters(_Frozen):
    lead_in_days: Annotated[int, Field(ge=1)]
    min_visits: Annotated[int, Field(ge=2)]
    min_span_days: Annotated[int, Field(ge=1)]
    source: str
    verification: Verification


class EvaluationParameters(_Frozen):
    max_age_days: Annotated[int, Field(ge=0)]
    source: str
    verification: Verification


class SpirometryParameters(_Frozen):
    position: Literal["upright", "supine"]
    source: str
    verification: Verification


class InputParameters(_Frozen):
    version: int
    alsfrs_r_slope: SlopeParameters
    evaluation: EvaluationParameters
    spirometry: SpirometryParameters


@cache
def parameters() -> InputParameters:
    path = files("alstrack.domain").joinpath("data", "screening-inputs.yaml")
    return parse_model(
        read_text(path), str(path), InputParameters, holds="alsfrs_r_slope, evaluation, ..."
    )


def age_in_full_years(date_of_birth: date, on: date) -> int:
    """Completed years of age on a day (a birthday counts from that day)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


# The registry spells the laboratory-supported category out; the rule vocabulary abbreviates.
_EL_ESCORIAL = {"probable_laboratory_supported": "probable_lab_supported"}


def el_escorial_code(criteria: str | None, category: str | None) -> str | None:
    """The rule set's El Escorial category, or None where the registry has none to give."""
    if criteria != "revised_el_escorial" or category is None:
        return None
    return _EL_ESCORIAL.get(category, category)


@dataclass(frozen=True)
class Slope:
    """A lead-in decline in points per month (positive = losing points), or why there is none."""

    decline: float | None
    visits: int
    first: date | None
    last: date | None
    reason: str | None


def decline_per_month(
    totals: Sequence[tuple[date, float]], on: date, params: SlopeParameters | None = None
) -> Slope:
    """The least-squares ALSFRS-R decline over the lead-in window that ends on ``on``."""
    p = params or parameters().alsfrs_r_slope
    start = on - timedelta(days=p.lead_in_days)
    fitted = slope(totals, start=start, end=on)
    window = f"the {p.lead_in_days} days to {on.isoformat()}"
    if fitted.n_visits < p.min_visits or fitted.points_per_month is None:
        return Slope(
            None,
            fitted.n_visits,
            fitted.first,
            fitted.last,
            f"{fitted.n_visits} ALSFRS-R visit(s) in {window}; at least {p.min_visits} needed",
        )
    span = (fitted.last - fitted.first).days if fitted.first and fitted.last else 0
    if span < p.min_span_days:
        return Slope(
            None,
            fitted.n_visits,
            fitted.first,
            fitted.last,
            f"the visits in {window} span {span} days; at least {p.min_span_days} needed",
        )
    # -0.0 would read oddly beside a threshold; a flat course is a decline of 0.
    decline = -fitted.points_per_month + 0.0
    return Slope(decline, fitted.n_visits, fitted.first, fitted.last, None)


@dataclass(frozen=True)
class DrugCourse:
    drug: str
    start: date
    stop: date | None


def drug_on(courses: Sequence[DrugCourse], drug: str, on: date) -> DrugCourse | None:
    """The course of ``drug`` that covers day ``on`` (the latest started, if several)."""
    covering = [
        c for c in courses if c.drug == drug and c.start <= on and (c.stop is None or c.stop >= on)
    ]
    return max(covering, key=lambda c: c.start, default=None)


def last_taken(courses: Sequence[DrugCourse], drug: str, on: date) -> date | None:
    """The last day ``drug`` was taken up to ``on`` (``on`` itself while a course runs)."""
    started = [c for c in courses if c.drug == drug and c.start <= on]
    if not started:
        return None
    return max(on if c.stop is None or c.stop >= on else c.stop for c in started)
