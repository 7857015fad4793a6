"""Follow-up schedules as data: the visits anchored on an administration, with their windows,
and the lead-in and baseline visits before the first dose.

The schedules file (domain/data/follow-up/schedules.yaml) holds programme defaults, not taken
from a protocol; their status says so. A plan names its schedule. ``visits_after`` turns one
administration's clinical day into the visits it schedules; ``visits_before_first_dose`` turns a
plan's approval day into its lead-in and baseline visits (a lead-in gives the slope before
treatment). Nothing here reads a clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alstrack.domain.datafiles import parse_model, read_text
from alstrack.errors import InvalidInput

__all__ = [
    "DueVisit",
    "Schedule",
    "ScheduleVisit",
    "Schedules",
    "VisitState",
    "follow_up_schedules",
    "load_schedules",
    "visit_state",
    "visits_after",
    "visits_before_first_dose",
]

_Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]
_Label = Annotated[str, Field(min_length=1, max_length=80)]
_Days = Annotated[int, Field(ge=0, le=3660)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Visit(_Frozen):
    id: _Id
    label: _Label
    day: int
    window_before: _Days
    window_after: _Days


class ScheduleVisit(_Visit):
    day: Annotated[int, Field(ge=1, le=3660)]  # days after the administration's clinical day


class PreDoseVisit(_Visit):
    day: _Days  # days after the plan's approval (its clinical day); 0 is that day


class Schedule(_Frozen):
    id: _Id
    label: _Label
    source: Annotated[str, Field(min_length=1)]
    status: Literal["verified", "not verified"]
    # Lead-in and baseline visits, anchored on the plan's approval (none: the schedule has none).
    before_first_dose: tuple[PreDoseVisit, ...] = ()
    visits: tuple[ScheduleVisit, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        ids = [visit.id for visit in self.before_first_dose + self.visits]
        if len(set(ids)) != len(ids):
            raise ValueError(f"schedule {self.id} lists a visit id twice")
        series: tuple[tuple[_Visit, ...], ...] = (self.before_first_dose, self.visits)
        for visits in series:
            days = [visit.day for visit in visits]
            if days != sorted(set(days)):
                raise ValueError(f"schedule {self.id}: visit days must rise, each once")
            for before, after in pairwise(visits):
                if before.day + before.window_after >= after.day - after.window_before:
                    raise ValueError(
                        f"schedule {self.id}: the windows of {before.id} and {after.id} overlap"
                    )
        for visit in self.before_first_dose:
            if visit.window_before > visit.day:
                raise ValueError(
                    f"schedule {self.id}: {visit.id}'s window opens before the plan's approval"
                )
        return self


class Schedules(_Frozen):
    version: Annotated[str, Field(min_length=1)]
    default: _Id
    schedules: tuple[Schedule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_known(self) -> Self:
        ids = [schedule.id for schedule in self.schedules]
        if len(set(ids)) != len(ids):
            raise ValueError("a schedule id is listed twice")
        if self.default not in ids:
            raise ValueError(f"default schedule {self.default!r} is not listed")
        return self

    def get(self, schedule_id: str | None = None) -> Schedule:
        """The schedule named, or the default one; InvalidInput lists the known ones."""
        wanted = self.default if schedule_id is None else schedule_id
        for schedule in self.schedules:
            if schedule.id == wanted:
                return schedule
        known = ", ".join(s.id for s in self.schedules)
        raise InvalidInput.for_field("schedule", f"{wanted!r} is not a schedule; choose {known}")


class DueVisit(_Frozen):
    visit: str
    label: str
    due_on: date
    earliest: date
    latest: date


def load_schedules(path: Path | Traversable) -> Schedules:
    """Read and check a schedules file; InvalidInput names the file and what is wrong."""
    return parse_model(read_text(path), str(path), Schedules, holds="version, default, schedules")


@cache
def follow_up_schedules() -> Schedules:
    """The shipped schedules (frozen)."""
    return load_schedules(files("alstrack.domain").joinpath("data", "follow-up", "schedules.yaml"))


def visits_after(schedule: Schedule, administered_on: date) -> tuple[DueVisit, ...]:
    """The visits an administration on ``administered_on`` (its clinical day) schedules.

    >>> schedule = follow_up_schedules().get()
    >>> [(v.visit, str(v.due_on)) for v in visits_after(schedule, date(2026, 11, 2))][:2]
    [('day-1', '2026-11-03'), ('week-1', '2026-11-09')]
    """
    return _dated(schedule.visits, administered_on)


def visits_before_first_dose(schedule: Schedule, approved_on: date) -> tuple[DueVisit, ...]:
    """The lead-in and baseline visits a plan approved on ``approved_on`` (its clinical day)
    schedules before the first dose; none if its schedule has none.

    >>> schedule = follow_up_schedules().get("msc-lead-in")
    >>> [(v.visit, str(v.due_on)) for v in visits_before_first_dose(schedule, date(2026, 9, 1))]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('lead-in-start', '2026-09-01'), ('lead-in-month-1', '2026-10-01'),
     ('lead-in-month-2', '2026-10-31'), ('baseline', '2026-11-30')]
    """
    return _dated(schedule.before_first_dose, approved_on)


def _dated(visits: tuple[_Visit, ...], anchor: date) -> tuple[DueVisit, ...]:
    return tuple(
        DueVisit(
            visit=visit.id,
            label=visit.label,
            due_on=anchor + timedelta(days=visit.day),
            earliest=anchor + timedelta(days=visit.day - visit.window_before),
            latest=anchor + timedelta(days=visit.day + visit.window_after),
        )
        for visit in visits
    )


VisitState = Literal[
    "upcoming",
    "due",
    "overdue",
    "missed",
    "done",
    "done_outside_window",
    "cancelled",
    "patient_died",
]


def visit_state(
    due_on: date,
    earliest: date,
    latest: date,
    visited_on: date | None,
    on: date,
    *,
    cancelled: bool = False,
    died_on: date | None = None,
) -> VisitState:
    """Where a scheduled visit stands on day ``on``.

    Not yet visited: upcoming before its window opens, due from the window's first day to the
    due day, overdue after the due day while the window is open, missed once it has closed.
    Visited by ``on``: done, or done outside its window (a protocol deviation); a visit made
    after ``on`` is not yet made on that day. A cancelled visit (e.g. a lead-in visit the first
    dose overtook) is cancelled; a visit not made whose window was still open when the patient
    died (``died_on`` on or before ``on``) is patient_died, neither due nor missed.

    >>> d = date(2026, 12, 1)
    >>> [visit_state(d, d - timedelta(days=7), d + timedelta(days=7), None, d + timedelta(days=k))
    ...  for k in (-8, -7, 0, 1, 7, 8)]
    ['upcoming', 'due', 'due', 'overdue', 'overdue', 'missed']
    """
    if not earliest <= due_on <= latest:
        raise InvalidInput.for_field("due_on", "must lie within its window")
    if visited_on is not None and visited_on <= on:
        return "done" if earliest <= visited_on <= latest else "done_outside_window"
    if cancelled:
        return "cancelled"
    if died_on is not None and died_on <= on and died_on <= latest:
        return "patient_died"
    if on < earliest:
        return "upcoming"
    if on <= due_on:
        return "due"
    return "overdue" if on <= latest else "missed"
