"""Adverse events: seriousness, SUSARs and their expedited reporting clocks.

Severity (CTCAE v5.0 grade 1–5) and seriousness (ICH E2A criteria) are separate axes; a
SUSAR is serious, suspected related and unexpected (safety.md). Which relatedness counts as
"suspected", to what, and the reporting periods are data (domain/data/safety/reporting.yaml).
``clock_starts`` reads an event's record history for the day it was first known to be a SUSAR
and the day it was first known to be fatal or life-threatening (an event may become either
through a correction: its clocks start then). ``reports_due`` says, on a given day, which
reports an event needs, when each is due, and whether it is due, overdue, or was submitted on
time or late. Nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    "REPORTS",
    "RESOLVED",
    "SERIOUSNESS",
    "AdverseEventFacts",
    "ClockStarts",
    "ReportDue",
    "ReportingRules",
    "clock_starts",
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
# initial: the first expedited report; full: the complete report of a fatal or life-threatening
# SUSAR; follow_up: a SUSAR reported before it became fatal or life-threatening is reported
# again on that clock.
Report = Literal["initial", "follow_up", "full"]  # in the order they are sent
REPORTS: tuple[str, ...] = get_args(Report)


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
class ClockStarts:
    """When the program first knew the event was a SUSAR, and a fatal or life-threatening one;
    ``upgraded``: it became fatal or life-threatening in a later version than it became a SUSAR
    (possibly on the same day)."""

    susar_from: date | None
    fatal_from: date | None
    upgraded: bool = False


def clock_starts(
    history: Sequence[tuple[AdverseEventFacts, date]], rules: ReportingRules
) -> ClockStarts:
    """The days the clocks start, from the event's versions oldest first, each with the day
    its facts were known (the awareness date for the first, the day a correction was made for
    the others). The first version that meets the criteria starts each clock; a later
    downgrade does not stop it.

    >>> aware, corrected = date(2026, 11, 2), date(2026, 11, 9)
    >>> mild = AdverseEventFacts(("hospitalisation",), "unlikely", "not_related", "unexpected",
    ...                          aware)
    >>> worse = AdverseEventFacts(("hospitalisation",), "possible", "not_related", "unexpected",
    ...                           aware)
    >>> clock_starts([(mild, aware), (worse, corrected)], reporting_rules())
    ClockStarts(susar_from=datetime.date(2026, 11, 9), fatal_from=None, upgraded=False)
    """
    susar_from: date | None = None
    fatal_from: date | None = None
    susar_at = fatal_at = -1
    for index, (facts, known_on) in enumerate(history):
        if not facts.susar(rules):
            continue
        if susar_from is None:
            susar_from, susar_at = known_on, index
        if facts.fatal_or_life_threatening and fatal_from is None:
            fatal_from, fatal_at = known_on, index
    return ClockStarts(susar_from, fatal_from, upgraded=fatal_at > susar_at >= 0)


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
    starts: ClockStarts | None = None,
) -> tuple[ReportDue, ...]:
    """The expedited reports a SUSAR needs, each with its due day and state on ``on``.

    Day 0 is the day the clock starts: the awareness date, or for an event that became a SUSAR
    (or fatal or life-threatening) through a correction, the day given by ``starts`` (by
    default, the event as it stands now). A clock once started stands: an event corrected so
    that it no longer meets the criteria keeps the reports its history started (the service
    flags them as downgraded). A report is on time on its due day and overdue the day after.
    The first report of a kind submitted counts. A SUSAR that became fatal or life-threatening
    on or after the day its initial report was sent needs a follow-up report on the 7-day clock
    from then, and the full report after it; one that became so before its initial report needs
    that report by the earlier of its two clocks. An event never a SUSAR needs none.

    >>> fatal = AdverseEventFacts(("death",), "probable", "not_related", "unexpected",
    ...                           date(2026, 11, 2))
    >>> [(r.report, str(r.due_on), r.state) for r in reports_due(fatal, [], date(2026, 11, 9),
    ...                                                          reporting_rules())]
    [('initial', '2026-11-09', 'due'), ('full', '2026-11-17', 'due')]
    >>> upgraded = ClockStarts(date(2026, 11, 2), date(2026, 11, 12), upgraded=True)
    >>> sent = [("initial", date(2026, 11, 10))]
    >>> [(r.report, str(r.due_on), r.state)
    ...  for r in reports_due(fatal, sent, date(2026, 11, 20), reporting_rules(), upgraded)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('initial', '2026-11-17', 'on_time'), ('follow_up', '2026-11-19', 'overdue'),
     ('full', '2026-11-27', 'due')]
    """
    if starts is None:
        starts = clock_starts([(facts, facts.aware_on)], rules)
    if starts.susar_from is None:
        return ()
    first: dict[str, date] = {}
    for report, day in sorted(submitted, key=lambda item: item[1]):
        first.setdefault(report, day)
    susar_from = starts.susar_from
    other_initial = susar_from + timedelta(days=rules.clocks.other.initial_days)
    if starts.fatal_from is None:
        deadlines: list[tuple[Report, date]] = [("initial", other_initial)]
    else:
        clock = rules.clocks.fatal_or_life_threatening
        fatal_from = max(starts.fatal_from, susar_from)
        fatal_initial = fatal_from + timedelta(days=clock.initial_days)
        full = fatal_initial + timedelta(days=clock.full_report_days_after_initial)
        if not starts.upgraded:
            deadlines = [("initial", fatal_initial), ("full", full)]
        else:
            deadlines = [("initial", min(other_initial, fatal_initial))]
            sent = first.get("initial")
            if sent is not None and sent <= fatal_from:
                deadlines.append(("follow_up", fatal_initial))
            deadlines.append(("full", full))
    return tuple(_judged(report, due, first.get(report), on) for report, due in deadlines)


def _judged(report: Report, due: date, submitted: date | None, on: date) -> ReportDue:
    if submitted is not None:
        return ReportDue(report, due, submitted, "on_time" if submitted <= due else "late")
    return ReportDue(report, due, None, "due" if on <= due else "overdue")
