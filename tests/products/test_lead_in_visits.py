"""A plan names its follow-up schedule: lead-in and baseline visits from its approval, the
first dose cancelling those not made, and no visit due after the patient died."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from product_cast import NOW
from sqlalchemy import select

from alstrack.domain import follow_up
from alstrack.errors import InvalidInput, StepRefused
from alstrack.services import plan_checks, records
from alstrack.services.administrations import AdministrationIn, administer
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.plans import (
    ApprovalIn,
    CloseIn,
    PlanIn,
    PlanOut,
    PlanRevisionIn,
    approve_plan,
    close_plan,
    revise_plan,
)
from alstrack.services.visits import (
    VisitIn,
    list_protocol_deviations,
    list_visits,
    patient_visits,
    record_visit,
)
from alstrack.store.models import AuditEntry
from signing_cast import SECRET

SCHEDULES = (
    Path(__file__).resolve().parents[2] / "src/alstrack/domain/data/follow-up/schedules.yaml"
)
LEAD_IN = ["lead-in-start", "lead-in-month-1", "lead-in-month-2", "baseline"]


@pytest.fixture
def lead_in(approved: Callable[..., PlanOut]) -> PlanOut:
    """Maria's plan on the three-month lead-in schedule, approved on 1 Nov 2026."""
    return approved(follow_up_schedule="msc-lead-in")


def _visits(clinic: Any, maria: Any, on: date) -> dict[str, Any]:
    return {v.visit: v for v in patient_visits(clinic.db, clinic["nina"], maria.patient_id, on=on)}


def test_approval_schedules_the_lead_in_and_baseline_visits_of_the_plans_schedule(
    clinic: Any, maria: Any, lead_in: PlanOut
) -> None:
    assert lead_in.versions[-1].follow_up_schedule == "msc-lead-in"
    visits = _visits(clinic, maria, date(2026, 11, 1))
    assert list(visits) == LEAD_IN
    assert [(v.due_on, v.earliest, v.latest) for v in visits.values()] == [
        (date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 8)),
        (date(2026, 12, 1), date(2026, 11, 24), date(2026, 12, 8)),
        (date(2026, 12, 31), date(2026, 12, 24), date(2027, 1, 7)),
        (date(2027, 1, 30), date(2027, 1, 23), date(2027, 2, 13)),
    ]
    assert all(v.before_first_dose and v.plan_id == lead_in.id for v in visits.values())
    assert visits["lead-in-start"].state == "due"
    assert _visits(clinic, maria, date(2026, 11, 9))["lead-in-start"].state == "missed"
    due = list_visits(clinic.db, clinic["alice"], on=date(2026, 11, 24), state="due")
    assert [v.visit for v in due] == ["lead-in-month-1"]
    with clinic.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "follow_up_visits", AuditEntry.patient_id == maria.patient_id
            )
        ).one()
    assert entry.entity_id == f"plan/{lead_in.id}"
    assert entry.new is not None
    assert entry.new["schedule"] == "msc-lead-in"


def test_a_plan_on_the_default_schedule_has_no_lead_in(
    clinic: Any, maria: Any, approved: Callable[..., PlanOut]
) -> None:
    plan = approved()
    assert plan.versions[-1].follow_up_schedule == "msc-post-dose"
    assert patient_visits(clinic.db, clinic["nina"], maria.patient_id) == []


def test_an_unknown_schedule_is_refused_naming_the_field_and_the_known_ones(
    clinic: Any, api: Any, maria: Any, stored: Callable[[], dict[str, int]]
) -> None:
    screening = maria.screen(clinic)
    before = stored()
    answer = api("alice").post(
        f"/patients/{maria.patient_id}/plans",
        json={
            "screening_id": screening.id, "cell_source": "allogeneic_uc_msc",
            "route": "intravenous", "dose_basis": "per_kg", "cells_per_kg": 1e6,
            "administrations": 1, "follow_up_schedule": "weekly",
        },
    )  # fmt: skip
    assert answer.status_code == 422
    [field] = answer.json()["error"]["fields"]
    assert field["field"] == "follow_up_schedule"
    assert field["message"] == "'weekly' is not a schedule; choose msc-post-dose, msc-lead-in"
    assert stored() == before


def test_the_first_dose_cancels_the_lead_in_visits_not_made_and_schedules_the_plans_visits(
    clinic: Any, maria: Any, lead_in: PlanOut, thawed: Any, confirm: Any, clock: Any
) -> None:
    start = _visits(clinic, maria, date(2026, 11, 1))["lead-in-start"]
    record_visit(
        clinic.db, clinic["nina"], start.id, VisitIn(visited_on=date(2026, 11, 1), version=1)
    )
    clock.move_to(NOW + timedelta(days=20), tick=False)  # 21 Nov: before the month-1 lead-in
    product = thawed()
    confirm(product.din, "nina")
    checked = confirm(product.din, "chen")
    given = administer(
        clinic.db, clinic["nina"], product.din,
        AdministrationIn(version=checked.product_version, route="intrathecal",
                         cells_administered=6.1e7, volume_ml=10.0, password=SECRET),
    )  # fmt: skip
    assert {v.schedule_id for v in given.follow_up} == {"msc-lead-in"}
    visits = _visits(clinic, maria, date(2026, 11, 21))
    assert [visits[v].state for v in LEAD_IN] == ["done", "cancelled", "cancelled", "cancelled"]
    assert visits["baseline"].note == "not made before the first dose on 2026-11-21"
    assert visits["day-1"].due_on == date(2026, 11, 22)
    with pytest.raises(StepRefused, match="was cancelled"):
        record_visit(
            clinic.db, clinic["nina"], visits["baseline"].id,
            VisitIn(visited_on=date(2026, 11, 21), version=2),
        )  # fmt: skip
    with clinic.db.read() as session:
        cancels = session.scalars(
            select(AuditEntry.entity_id).where(
                AuditEntry.action == "cancel", AuditEntry.entity == "follow_up_visit"
            )
        ).all()
    assert sorted(cancels) == sorted(str(visits[v].id) for v in LEAD_IN[1:])


def test_no_visit_is_due_or_missed_after_the_patient_died(
    clinic: Any, maria: Any, lead_in: PlanOut, clock: Any
) -> None:
    clock.move_to(NOW + timedelta(days=40), tick=False)  # 11 Dec
    death = MilestoneIn(kind="death", occurred_on=date(2026, 12, 5))
    records.add(clinic.db, clinic["alice"], MILESTONE, maria.patient_id, death)
    visits = _visits(clinic, maria, date(2027, 3, 1))
    # Missed before she died stays missed; the month-1 window was open on 5 Dec.
    assert [visits[v].state for v in LEAD_IN] == [
        "missed", "patient_died", "patient_died", "patient_died",
    ]  # fmt: skip
    assert list_visits(clinic.db, clinic["alice"], on=date(2027, 3, 1), state="missed")[
        0
    ].visit == ("lead-in-start")
    # Asked for a day before the death, the visits stand as they did then.
    assert _visits(clinic, maria, date(2026, 12, 1))["lead-in-month-1"].state == "due"


def test_a_first_dose_after_a_lead_in_window_closed_leaves_it_missed_and_records_a_deviation(
    clinic: Any, maria: Any, approved: Any, thawed: Any, confirm: Any, clock: Any
) -> None:
    # Intravenous: no lumbar-puncture checks to grow old over the six weeks.
    approved(route="intravenous", follow_up_schedule="msc-lead-in")
    clock.move_to(NOW + timedelta(days=44), tick=False)  # 15 Dec: month-1's window closed 8 Dec
    product = thawed()
    confirm(product.din, "nina")
    checked = confirm(product.din, "chen")
    administer(
        clinic.db, clinic["nina"], product.din,
        AdministrationIn(version=checked.product_version, route="intravenous",
                         cells_administered=6.1e7, volume_ml=10.0, password=SECRET),
    )  # fmt: skip
    after = _visits(clinic, maria, date(2026, 12, 20))
    assert [after[v].state for v in LEAD_IN] == ["missed", "missed", "cancelled", "cancelled"]
    # Asked for a day before the dose, the cancelled visits stand as they did then.
    before = _visits(clinic, maria, date(2026, 12, 1))
    assert [before[v].state for v in LEAD_IN] == ["missed", "due", "upcoming", "upcoming"]
    [deviation] = list_protocol_deviations(clinic.db, clinic["alice"])
    assert deviation.kind == "lead_in_incomplete"
    assert deviation.description == (
        "First dose on 2026-12-15 with lead-in visits not made: Lead-in start (missed), "
        "Lead-in month 1 (missed), Lead-in month 2 (cancelled), Baseline (cancelled)"
    )


def test_closing_a_plan_cancels_its_lead_in_visits_not_made(
    clinic: Any, maria: Any, lead_in: PlanOut
) -> None:
    close_plan(
        clinic.db,
        clinic["alice"],
        lead_in.id,
        CloseIn(version=lead_in.version, reason="Patient moved"),
    )
    visits = _visits(clinic, maria, date(2026, 11, 2))
    assert {v.state for v in visits.values()} == {"cancelled"}
    assert visits["baseline"].note == "plan closed: Patient moved"


def test_a_revision_to_another_schedule_cancels_the_lead_in_and_approval_schedules_anew(
    clinic: Any, maria: Any, lead_in: PlanOut, clock: Any
) -> None:
    current = lead_in.versions[-1]
    revised = revise_plan(
        clinic.db, clinic["alice"], lead_in.id,
        PlanRevisionIn(
            plan=PlanIn(screening_id=current.screening_id, cell_source="allogeneic_uc_msc",
                        route="intrathecal", dose_basis="per_kg", cells_per_kg=1e6,
                        administrations=3, interval_days=28, follow_up_schedule="msc-post-dose"),
            version=lead_in.version, reason="No lead-in: the lot is ready",
        ),
    )  # fmt: skip
    assert {v.state for v in _visits(clinic, maria, date(2026, 11, 2)).values()} == {"cancelled"}
    approve_plan(
        clinic.db,
        clinic["chen"],
        lead_in.id,
        ApprovalIn(number=2, version=revised.version, password=SECRET),
    )
    assert {v.state for v in _visits(clinic, maria, date(2026, 11, 2)).values()} == {"cancelled"}


def test_no_visit_is_recorded_after_the_recorded_death(
    clinic: Any, maria: Any, lead_in: PlanOut, clock: Any
) -> None:
    clock.move_to(NOW + timedelta(days=40), tick=False)
    death = MilestoneIn(kind="death", occurred_on=date(2026, 12, 5))
    records.add(clinic.db, clinic["alice"], MILESTONE, maria.patient_id, death)
    month_1 = _visits(clinic, maria, date(2026, 12, 10))["lead-in-month-1"]
    with pytest.raises(InvalidInput, match=r"after the patient's recorded death \(2026-12-05\)"):
        record_visit(
            clinic.db, clinic["nina"], month_1.id, VisitIn(visited_on=date(2026, 12, 6), version=1)
        )


def test_a_death_is_not_recorded_before_a_visit_already_made(
    clinic: Any, maria: Any, lead_in: PlanOut, clock: Any
) -> None:
    clock.move_to(NOW + timedelta(days=40), tick=False)
    month_1 = _visits(clinic, maria, date(2026, 12, 1))["lead-in-month-1"]
    record_visit(
        clinic.db, clinic["nina"], month_1.id, VisitIn(visited_on=date(2026, 12, 1), version=1)
    )
    with pytest.raises(InvalidInput, match="2026-12-01"):
        records.add(
            clinic.db, clinic["alice"], MILESTONE, maria.patient_id,
            MilestoneIn(kind="death", occurred_on=date(2026, 11, 28)),
        )  # fmt: skip


def test_a_plan_whose_schedule_left_the_schedules_file_is_not_approved(
    clinic: Any, maria: Any, approved: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    document = yaml.safe_load(SCHEDULES.read_text(encoding="utf-8"))
    document["schedules"] = [s for s in document["schedules"] if s["id"] != "msc-lead-in"]
    path = tmp_path / "schedules.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    monkeypatch.setattr(plan_checks, "follow_up_schedules", lambda: follow_up.load_schedules(path))
    with pytest.raises(StepRefused, match="follow-up schedule 'msc-lead-in' is no longer in the"):
        approved(follow_up_schedule="msc-lead-in")
