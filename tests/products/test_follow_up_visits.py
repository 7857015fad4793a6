"""Visits due, overdue and missed on fixed days; made in or out of their window; unscheduled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from product_cast import NOW
from sqlalchemy import select

from alstrack.errors import Conflict, InvalidInput, PermissionDenied, StepRefused
from alstrack.services.administrations import AdministrationIn, administer
from alstrack.services.visits import (
    UnscheduledVisitIn,
    VisitIn,
    add_unscheduled_visit,
    list_protocol_deviations,
    list_visits,
    patient_visits,
    record_visit,
)
from alstrack.store.models import AuditEntry, ProtocolDeviation
from signing_cast import SECRET

Stored = Callable[[], dict[str, int]]


@pytest.fixture
def given(clinic: Any, approved: Any, thawed: Any, confirm: Any) -> Any:
    """Maria's first dose, given on 1 Nov 2026: day 1 is due 2 Nov (window 2-3 Nov)."""
    approved()
    product = thawed()
    confirm(product.din, "nina")
    checked = confirm(product.din, "chen")
    data = AdministrationIn(
        version=checked.product_version, route="intrathecal", cells_administered=6.1e7,
        volume_ml=10.0, password=SECRET,
    )  # fmt: skip
    return administer(clinic.db, clinic["nina"], product.din, data)


def _states(clinic: Any, on: date, by: str = "alice") -> dict[str, str]:
    return {v.visit: v.state for v in list_visits(clinic.db, clinic[by], on=on)}


def test_a_visit_is_upcoming_due_overdue_then_missed_on_fixed_days(clinic: Any, given: Any) -> None:
    assert _states(clinic, date(2026, 11, 1))["day-1"] == "upcoming"
    assert _states(clinic, date(2026, 11, 2))["day-1"] == "due"
    assert _states(clinic, date(2026, 11, 3))["day-1"] == "overdue"
    assert _states(clinic, date(2026, 11, 4))["day-1"] == "missed"
    assert _states(clinic, date(2026, 11, 4))["week-1"] == "upcoming"  # window opens 6 Nov
    due = list_visits(clinic.db, clinic["alice"], on=date(2026, 11, 6), state="due")
    assert [v.visit for v in due] == ["week-1"]
    assert list_visits(clinic.db, clinic["sami"], on=date(2026, 11, 6)) == []  # SOUTH
    assert list_visits(clinic.db, clinic["alice"], on=date(2026, 11, 6), site_code="SOUTH") == []


def test_a_visit_in_its_window_is_done_and_one_outside_is_a_protocol_deviation(
    clinic: Any, maria: Any, given: Any, clock: Any, stored: Stored
) -> None:
    clock.move_to(NOW + timedelta(days=30), tick=False)
    day_1, week_1 = given.follow_up[0], given.follow_up[1]
    done = record_visit(
        clinic.db, clinic["nina"], day_1.id, VisitIn(visited_on=date(2026, 11, 3), version=1)
    )
    assert (done.state, done.protocol_deviation_id) == ("done", None)
    late = record_visit(
        clinic.db, clinic["nina"], week_1.id, VisitIn(visited_on=date(2026, 11, 12), version=1)
    )
    assert late.state == "done_outside_window"
    with clinic.db.read() as session:
        deviation = session.get_one(ProtocolDeviation, late.protocol_deviation_id)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.patient_id == maria.patient_id)
            .order_by(AuditEntry.id.desc()).limit(2)
        ).all()  # fmt: skip
    assert deviation.description == (
        "Week 1 visit on 2026-11-12, outside its window 2026-11-06 to 2026-11-10 (due 2026-11-08)"
    )
    assert actions == ["visit", "create"]
    [listed] = list_protocol_deviations(clinic.db, clinic["alice"])
    assert (listed.id, listed.site_code, listed.kind) == (deviation.id, "NORTH", "visit_window")
    assert list_protocol_deviations(clinic.db, clinic["sami"]) == []
    assert list_protocol_deviations(clinic.db, clinic["alice"], site_code="SOUTH") == []
    before = stored()
    with pytest.raises(StepRefused, match="was recorded on 2026-11-03 already"):
        record_visit(
            clinic.db, clinic["nina"], day_1.id, VisitIn(visited_on=date(2026, 11, 3), version=2)
        )
    month_1 = given.follow_up[2]
    for visited_on, message in (
        (date(2026, 12, 2), r"must not be after today \(2026-12-01\)"),
        (date(2026, 10, 31), r"must not be before the dose it follows \(2026-11-01\)"),
    ):
        with pytest.raises(InvalidInput, match=message):
            record_visit(
                clinic.db, clinic["nina"], month_1.id, VisitIn(visited_on=visited_on, version=1)
            )
    with pytest.raises(Conflict, match="reload it and try again"):
        record_visit(
            clinic.db, clinic["nina"], month_1.id, VisitIn(visited_on=date(2026, 11, 30), version=7)
        )
    with pytest.raises(PermissionDenied, match=r"assessments\.write"):
        record_visit(
            clinic.db, clinic["ben"], month_1.id, VisitIn(visited_on=date(2026, 11, 30), version=1)
        )
    assert stored() == before


def test_an_unscheduled_visit_is_recorded_with_its_reason(
    clinic: Any, maria: Any, given: Any, clock: Any
) -> None:
    clock.move_to(NOW + timedelta(days=5), tick=False)
    extra = add_unscheduled_visit(
        clinic.db,
        clinic["nina"],
        maria.patient_id,
        UnscheduledVisitIn(visited_on=date(2026, 11, 5), reason="Back pain since the puncture"),
    )
    assert (extra.schedule_id, extra.state, extra.note) == (
        "unscheduled",
        "done",
        "Back pain since the puncture",
    )
    assert extra.id in [v.id for v in patient_visits(clinic.db, clinic["chen"], maria.patient_id)]
    with pytest.raises(InvalidInput) as caught:
        add_unscheduled_visit(
            clinic.db, clinic["nina"], maria.patient_id,
            UnscheduledVisitIn(visited_on=date(2026, 11, 5), reason="  "),
        )  # fmt: skip
    assert caught.value.fields[0].field == "reason"


def test_visits_go_through_the_api(clinic: Any, api: Any, maria: Any, given: Any) -> None:
    nina = api("nina")
    due = nina.get("/follow-up-visits", params={"on": "2026-11-02", "state": "due"})
    assert [v["visit"] for v in due.json()] == ["day-1"]
    made = nina.post(
        f"/follow-up-visits/{due.json()[0]['id']}/visit",
        json={"visited_on": "2026-11-01", "version": 1},
    )
    assert made.status_code == 200, made.text
    assert made.json()["state"] == "done_outside_window"  # the day of the dose: too early
    deviations = nina.get("/protocol-deviations", params={"site": "NORTH"})
    assert [d["kind"] for d in deviations.json()] == ["visit_window"]
    bad = nina.get("/follow-up-visits", params={"state": "late"})
    assert bad.status_code == 422
    mine = nina.get(f"/patients/{maria.patient_id}/follow-up-visits", params={"on": "2026-11-04"})
    assert [v["state"] for v in mine.json()][:2] == ["done_outside_window", "upcoming"]


def test_an_unscheduled_visit_needs_the_consent_that_holds_on_its_day(
    clinic: Any, maria: Any, given: Any, stored: Stored
) -> None:
    before = stored()
    with pytest.raises(StepRefused, match="no valid consent for a follow-up visit on 2020-01-01"):
        add_unscheduled_visit(
            clinic.db, clinic["nina"], maria.patient_id,
            UnscheduledVisitIn(visited_on=date(2020, 1, 1), reason="Typed the wrong year"),
        )  # fmt: skip
    assert stored() == before
