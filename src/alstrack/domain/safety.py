"""Adverse events: seriousness, SUSARs and their expedited reporting clocks.

Severity (CTCAE v5.0 grade 1–5) and seriousness (ICH E2A criteria) are separate axes; a
SUSAR is serious, suspected related and unexpected (safety.md). Which relatedness counts as
"suspected", to what, and the reporting periods are data (domain/data/safety/reporting.yaml).
``reports_due`` says, on a given day, which reports an event needs, when each is due, and
whether it is due, overdue, or was submitted on time or late. Nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from alstrack.domain.datafiles import parse_model, read_text

__all__ = [
    "ACTIONS",
    "OUTCOMES",
    "RELATEDNESS",
    "RESOLVED",
    "SERIOUSNESS",
    "AdverseEventFacts",
    "ReportDue",
    "ReportingRules",
    "load_reporting_rules",
    "reporting_rules",
    "reports_due",
]

# ICH E2A seriousness criteria.
Seriousness = Literal[
    "death",
    "life_threatening",
    "hospitalisation",
    "disability",
    "congenital_anomaly",
    "important_medical_event",
]
SERIOUSNESS: tuple[str, ...] = get_args(Seriousness)
Relatedness = Literal["not_related", "unlikely", "possible", "probable", "definite"]
RELATEDNESS: tuple[str, ...] = get_args(Relatedness)
Outcome = Literal[
    "recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown"
]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
RESOLVED: frozenset[str] = frozenset({"recovered", "recovered_with_sequelae", "fatal"})
Action = Literal[
    "none",
    "procedure_interrupted",
    "dose_delayed",
    "treatment_discontinued",
    "medication_given",
    "hospitalised",
    "other",
]
ACTIONS: tuple[str, ...] = get_args(Action)
Report = Literal["initial", "full"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_Days = Annotated[int, Field(ge=1, le=90)]


class FatalClock(_Frozen):
    initial_days: _Days
    full_report_days_after_initial: _Days


class OtherClock(_Frozen):
    initial_days: _Days


class Clocks(_Frozen):
    fatal_or_life_threatening: FatalClock
    other: OtherClock


class ReportingRules(_Frozen):
    version: Annotated[str, Field(min_length=1)]
    source: Annotated[str, Field(min_length=1)]
    status: Literal["read", "secondary", "not verified"]
    note: str | None = None
    suspected_relatedness: tuple[Relatedness, ...] = Field(min_length=1)
    related_to: tuple[Literal["product", "procedure"], ...] = Field(min_length=1)
    clocks: Clocks


def load_reporting_rules(path: Path | Traversable) -> ReportingRules:
    """Read and check a reporting file; InvalidInput names the file and what is wrong."""
    return parse_model(read_text(path), str(path), ReportingRules, holds="version, clocks")


@cache
def reporting_rules() -> ReportingRules:
    """The shipped rules (frozen)."""
    path = files("alstrack.domain").joinpath("data", "safety", "reporting.yaml")
    return load_reporting_rules(path)


@dataclass(frozen=True)
class AdverseEventFacts:
    """What the reporting rules read of an adverse event."""

    serious_criteria: tuple[str, ...]
    related_to_product: str
    related_to_procedure: str
    expectedness: str  # expected | unexpected
    aware_on: date

    @property
    def serious(self) -> bool:
        return bool(self.serious_criteria)

    @property
    def fatal_or_life_threatening(self) -> bool:
        return bool({"death", "life_threatening"} & set(self.serious_criteria))

    def suspected_related(self, rules: ReportingRules) -> bool:
        levels = set(rules.suspected_relatedness)
        related = {"product": self.related_to_product, "procedure": self.related_to_procedure}
        return any(related[what] in levels for what in rules.related_to)

    def susar(self, rules: ReportingRules) -> bool:
        """Serious + suspected related + unexpected.

        >>> facts = AdverseEventFacts(("hospitalisation",), "possible", "not_related",
        ...                           "unexpected", date(2026, 11, 2))
        >>> facts.susar(reporting_rules())
        True
        """
        return self.serious and self.suspected_related(rules) and self.expectedness == "unexpected"


@dataclass(frozen=True)
class ReportDue:
    report: Report
    due_on: date
    submitted_on: date | None
    state: Literal["due", "overdue", "on_time", "late"]


def reports_due(
    facts: AdverseEventFacts,
    submitted: Iterable[tuple[str, date]],
    on: date,
    rules: ReportingRules,
) -> tuple[ReportDue, ...]:
    """The expedited reports a SUSAR needs, each with its due day and state on ``on``.

    Day 0 is the day of awareness; a report is on time on its due day and overdue the day after.
    The first report of a kind submitted counts. An event that is not a SUSAR needs none.

    >>> fatal = AdverseEventFacts(("death",), "probable", "not_related", "unexpected",
    ...                           date(2026, 11, 2))
    >>> [(r.report, str(r.due_on), r.state) for r in reports_due(fatal, [], date(2026, 11, 9),
    ...                                                          reporting_rules())]
    [('initial', '2026-11-09', 'due'), ('full', '2026-11-17', 'due')]
    """
    if not facts.susar(rules):
        return ()
    first: dict[str, date] = {}
    for report, day in sorted(submitted, key=lambda item: item[1]):
        first.setdefault(report, day)
    if facts.fatal_or_life_threatening:
        clock = rules.clocks.fatal_or_life_threatening
        initial = facts.aware_on + timedelta(days=clock.initial_days)
        deadlines: tuple[tuple[Report, date], ...] = (
            ("initial", initial),
            ("full", initial + timedelta(days=clock.full_report_days_after_initial)),
        )
    else:
        deadlines = (("initial", facts.aware_on + timedelta(days=rules.clocks.other.initial_days)),)
    return tuple(_judged(report, due, first.get(report), on) for report, due in deadlines)


def _judged(report: Report, due: date, submitted: date | None, on: date) -> ReportDue:
    if submitted is not None:
        return ReportDue(report, due, submitted, "on_time" if submitted <= due else "late")
    return ReportDue(report, due, None, "due" if on <= due else "overdue")
