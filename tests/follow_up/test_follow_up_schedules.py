"""Follow-up schedules are data: visits anchored on an administration, checked when loaded."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from alstrack.domain.follow_up import (
    follow_up_schedules,
    load_schedules,
    visit_state,
    visits_after,
)
from alstrack.errors import InvalidInput

SHIPPED = Path(__file__).resolve().parents[2] / "src/alstrack/domain/data/follow-up/schedules.yaml"


def _write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "schedules.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def _shipped() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return loaded


def test_the_shipped_default_schedule_says_it_is_not_verified() -> None:
    schedule = follow_up_schedules().get()
    assert schedule.id == "msc-post-dose"
    assert schedule.status == "not verified"
    assert [v.id for v in schedule.visits] == [
        "day-1", "week-1", "month-1", "month-3", "month-6", "month-12",
    ]  # fmt: skip


def test_visits_fall_due_from_the_clinical_day_of_the_administration_with_their_windows() -> None:
    visits = visits_after(follow_up_schedules().get(), date(2026, 12, 30))
    month_1 = visits[2]
    assert (month_1.due_on, month_1.earliest, month_1.latest) == (
        date(2027, 1, 29),
        date(2027, 1, 22),
        date(2027, 2, 5),
    )
    assert visits[0].earliest == visits[0].due_on == date(2026, 12, 31)


def test_an_unknown_schedule_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="'weekly' is not a schedule; choose msc-post-dose"):
        follow_up_schedules().get("weekly")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(default="other"), "default schedule 'other' is not listed"),
        (
            lambda d: d["schedules"][0]["visits"][1].update(day=1),
            "visit days must rise, each once",
        ),
        (
            lambda d: d["schedules"][0]["visits"][1].update(window_before=6),
            "the windows of day-1 and week-1 overlap",
        ),
        (lambda d: d["schedules"][0]["visits"][0].update(day=0), "day"),
        (lambda d: d["schedules"][0].update(status="approved"), "status"),
    ],
)
def test_a_broken_schedules_file_is_refused_with_the_reason(
    tmp_path: Path, change: Any, message: str
) -> None:
    document = _shipped()
    change(document)
    with pytest.raises(InvalidInput, match=message):
        load_schedules(_write(tmp_path, document))


def test_the_shipped_file_loads_from_a_path(tmp_path: Path) -> None:
    assert load_schedules(_write(tmp_path, _shipped())) == follow_up_schedules()


DUE = date(2026, 12, 1)
EARLIEST, LATEST = date(2026, 11, 24), date(2026, 12, 8)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2026, 11, 23), "upcoming"),
        (EARLIEST, "due"),
        (DUE, "due"),
        (date(2026, 12, 2), "overdue"),
        (LATEST, "overdue"),
        (date(2026, 12, 9), "missed"),
    ],
)
def test_a_visit_not_yet_made_is_upcoming_due_overdue_or_missed_at_the_edges_of_its_window(
    on: date, state: str
) -> None:
    assert visit_state(DUE, EARLIEST, LATEST, None, on) == state


@pytest.mark.parametrize(
    ("visited_on", "state"),
    [
        (EARLIEST, "done"),
        (LATEST, "done"),
        (date(2026, 11, 23), "done_outside_window"),
        (date(2026, 12, 9), "done_outside_window"),
    ],
)
def test_a_visit_made_outside_its_window_is_told_apart(visited_on: date, state: str) -> None:
    assert visit_state(DUE, EARLIEST, LATEST, visited_on, date(2027, 1, 1)) == state


def test_a_due_day_outside_its_window_is_refused() -> None:
    with pytest.raises(InvalidInput, match="must lie within its window"):
        visit_state(DUE, DUE + timedelta(days=1), LATEST, None, DUE)


def test_a_visit_made_later_is_not_yet_made_on_an_earlier_day() -> None:
    assert visit_state(DUE, EARLIEST, LATEST, LATEST, DUE) == "due"
    assert visit_state(DUE, EARLIEST, LATEST, LATEST, LATEST) == "done"
