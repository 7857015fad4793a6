"""With a facility number, the demo makes its lot through the services, bedside and all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from alstrack.config import get_settings
from alstrack.services import demo, users
from alstrack.store.models import (
    AdjunctSession,
    Administration,
    BedsideCheck,
    ChainOfIdentity,
    FollowUpVisit,
    Product,
)


@pytest.fixture
def facility(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_demo_gives_a_released_lot_after_two_bedside_checks_and_schedules_its_follow_up(
    db: Any, facility: None
) -> None:
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        demo.load_demo(db, users.system_actor(db), patients=60, seed=1, today=date(2026, 11, 26))
    with db.read() as session:
        states = {p.kind: p.state for p in session.scalars(select(Product))}
        [given] = session.scalars(select(Administration)).all()
        checks = session.scalars(select(BedsideCheck)).all()
        visits = session.scalars(select(FollowUpVisit)).all()
        chains = session.scalars(select(ChainOfIdentity)).all()
        sessions = session.scalars(select(AdjunctSession).order_by(AdjunctSession.id)).all()
    assert states == {"allogeneic": "administered"}
    assert len({check.by_user for check in checks}) == 2
    assert (given.dose_number, given.route) == (1, "intrathecal")
    assert min(visit.due_on for visit in visits) == date(2026, 11, 27)
    assert [chain.plan_id for chain in chains] == [given.plan_id]
    # Weekly physiotherapy from the plan, planned from today; the first is held today.
    assert [(s.planned_on, s.status) for s in sessions[:2]] == [
        (date(2026, 11, 26), "done"),
        (date(2026, 12, 3), "planned"),
    ]
    assert {(s.plan_id, s.therapy, s.of_sessions) for s in sessions} == {
        (given.plan_id, "physiotherapy", 12)
    }
