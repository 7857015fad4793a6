"""Adjunct therapies: the programme's catalogue, the sessions a plan asks for, and their state.

The shipped catalogue (domain/data/plans/adjuncts.yaml) lists the usual multidisciplinary ALS
care and the therapies the source article names; a programme adds its own therapies in a file
of the same shape (``ALSTRACK_ADJUNCT_THERAPIES``). Its entries are added, never replacing a
shipped one, so that every therapy a stored plan names can still be read. Nothing here reads a
clock or a setting.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from alstrack.domain.plans import AdjunctCatalogue, load_catalogue
from alstrack.errors import InvalidInput

__all__ = ["SessionState", "load_own_catalogue", "session_dates", "session_state", "with_own"]

SessionState = Literal["planned", "due", "overdue", "done", "cancelled", "patient_died"]


def load_own_catalogue(path: Path) -> AdjunctCatalogue:
    """A programme's own catalogue file; InvalidInput names the file and what is wrong."""
    if not path.is_file():
        raise InvalidInput.for_field(
            "ALSTRACK_ADJUNCT_THERAPIES", f"{path} is not a file of adjunct therapies"
        )
    return load_catalogue(path, AdjunctCatalogue)


def with_own(shipped: AdjunctCatalogue, own: AdjunctCatalogue) -> AdjunctCatalogue:
    """The shipped catalogue with the programme's own entries added after it, marked ``own``.

    An own entry may not reuse a shipped id: what a stored plan means must not change.
    Its version names both versions, e.g. ``1.0+clinic-2``.
    """
    clashes = sorted(set(shipped.ids()) & set(own.ids()))
    if clashes:
        raise InvalidInput.for_field(
            "ALSTRACK_ADJUNCT_THERAPIES",
            f"{', '.join(clashes)} {'is' if len(clashes) == 1 else 'are'} shipped already; "
            "give the programme's own therapies ids of their own",
        )
    return AdjunctCatalogue(
        catalogue="adjunct_therapies",
        version=f"{shipped.version}+{own.version}",
        source=f"{shipped.source.strip()} Programme's own entries: {own.source.strip()}",
        notes=own.notes,
        entries=shipped.entries + tuple(e.model_copy(update={"own": True}) for e in own.entries),
    )


def session_dates(first_on: date, sessions: int, every_days: int | None) -> tuple[date, ...]:
    """The days of ``sessions`` sessions from ``first_on``, ``every_days`` apart.

    >>> [str(d) for d in session_dates(date(2026, 12, 1), 3, 7)]
    ['2026-12-01', '2026-12-08', '2026-12-15']
    """
    if sessions < 1:
        raise InvalidInput.for_field("sessions", "must be 1 or more")
    if sessions > 1 and (every_days is None or every_days < 1):
        raise InvalidInput.for_field("every_days", "two or more sessions need the days between")
    step = timedelta(days=every_days or 0)
    return tuple(first_on + step * k for k in range(sessions))


def session_state(
    planned_on: date | None,
    held_on: date | None,
    cancelled: bool,
    on: date,
    died_on: date | None = None,
) -> SessionState:
    """Where a session stands on day ``on``: cancelled; done once held (a session held after
    ``on`` is not yet held on that day); patient_died if planned after a death recorded by
    ``on``; else planned before its day, due on it, overdue after.

    >>> d = date(2026, 12, 1)
    >>> [session_state(d, None, False, d + timedelta(days=k)) for k in (-1, 0, 1)]
    ['planned', 'due', 'overdue']
    >>> session_state(d, d, False, d), session_state(d, None, True, d)
    ('done', 'cancelled')
    """
    if cancelled:
        return "cancelled"
    if held_on is not None and held_on <= on:
        return "done"
    if planned_on is None:
        # An unplanned session is recorded as held; asked for a day before it, it is not yet.
        return "planned"
    if died_on is not None and died_on <= on and planned_on > died_on:
        return "patient_died"
    if on < planned_on:
        return "planned"
    return "due" if on == planned_on else "overdue"
