"""Adjunct therapy sessions: planned from the plan, held, cancelled, unplanned; the catalogue
with the programme's own therapies; consent; the API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from product_cast import NOW
from sqlalchemy import select

from alstrack.config import get_settings
from alstrack.errors import Conflict, InvalidInput, PermissionDenied, StepRefused
from alstrack.services import records
from alstrack.services.adjunct_catalogue import adjunct_catalogue
from alstrack.services.adjuncts import (
    SessionCancelIn,
    SessionHeldIn,
    SessionPlanIn,
    UnplannedSessionIn,
    add_session,
    cancel_session,
    catalogue,
    list_sessions,
    patient_sessions,
    plan_sessions,
    record_session,
)
from alstrack.services.consents import WithdrawalIn, withdraw
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.plans import (
    AdjunctIn,
    CloseIn,
    PlanIn,
    PlanOut,
    PlanRevisionIn,
    close_plan,
    revise_plan,
)
from alstrack.store.models import AuditEntry

Stored = Callable[[], dict[str, int]]
PHYSIO = AdjunctIn(therapy="physiotherapy", sessions=3, every_days=7)
MRI = AdjunctIn(therapy="mri_checkup")


@pytest.fixture
def plan(approved: Callable[..., PlanOut]) -> PlanOut:
    """Maria's approved plan (1 Nov 2026) with three weekly physiotherapy sessions and an MRI."""
    return approved(adjunct_therapies=[PHYSIO, MRI])


def _plan_physio(clinic: Any, plan: PlanOut, first_on: date = date(2026, 11, 3)) -> list[Any]:
    data = SessionPlanIn(therapy="physiotherapy", first_on=first_on)
    return plan_sessions(clinic.db, clinic["alice"], plan.id, data)


def test_the_plan_states_how_many_sessions_and_how_far_apart(plan: PlanOut) -> None:
    [physio, mri] = plan.versions[-1].adjunct_therapies
    assert (physio.therapy, physio.sessions, physio.every_days) == ("physiotherapy", 3, 7)
    assert (mri.therapy, mri.sessions, mri.every_days) == ("mri_checkup", None, None)


def test_sessions_are_planned_from_the_plan_and_fall_due_on_fixed_days(
    clinic: Any, maria: Any, plan: PlanOut
) -> None:
    planned = _plan_physio(clinic, plan)
    assert [(s.number, s.of, s.planned_on, s.state) for s in planned] == [
        (1, 3, date(2026, 11, 3), "planned"),
        (2, 3, date(2026, 11, 10), "planned"),
        (3, 3, date(2026, 11, 17), "planned"),
    ]
    assert {s.plan_id for s in planned} == {plan.id}

    def states(on: date) -> list[str]:
        return [
            s.state for s in patient_sessions(clinic.db, clinic["nina"], maria.patient_id, on=on)
        ]

    assert states(date(2026, 11, 2)) == ["planned", "planned", "planned"]
    assert states(date(2026, 11, 3)) == ["due", "planned", "planned"]
    assert states(date(2026, 11, 4)) == ["overdue", "planned", "planned"]
    due = list_sessions(clinic.db, clinic["alice"], on=date(2026, 11, 10), state="due")
    assert [s.number for s in due] == [2]
    assert list_sessions(clinic.db, clinic["sami"], on=date(2026, 11, 10)) == []  # SOUTH
    assert list_sessions(clinic.db, clinic["alice"], site_code="SOUTH") == []
    [mri] = plan_sessions(
        clinic.db, clinic["alice"], plan.id,
        SessionPlanIn(therapy="mri_checkup", first_on=date(2027, 2, 1)),
    )  # fmt: skip
    assert (mri.number, mri.of, mri.planned_on) == (1, None, date(2027, 2, 1))


def test_a_session_is_held_with_day_provider_and_notes_or_cancelled_with_a_reason(
    clinic: Any, maria: Any, plan: PlanOut, clock: Any, stored: Stored
) -> None:
    first, second, third = _plan_physio(clinic, plan)
    clock.move_to(NOW + timedelta(days=3), tick=False)
    held = record_session(
        clinic.db, clinic["nina"], first.id,
        SessionHeldIn(held_on=date(2026, 11, 3), provider=" Northgate physiotherapy ",
                      notes="Gait training; tolerated well", version=1),
    )  # fmt: skip
    assert (held.state, held.held_on, held.provider, held.version) == (
        "done", date(2026, 11, 3), "Northgate physiotherapy", 2,
    )  # fmt: skip
    cancelled = cancel_session(
        clinic.db, clinic["alice"], third.id,
        SessionCancelIn(reason="Patient in hospital for pneumonia", version=1),
    )  # fmt: skip
    assert (cancelled.state, cancelled.cancel_reason) == (
        "cancelled", "Patient in hospital for pneumonia",
    )  # fmt: skip
    with clinic.db.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "adjunct_session")
            .order_by(AuditEntry.id)
        ).all()  # fmt: skip
    assert [(e.action, e.entity_id) for e in entries] == [
        ("plan", str(first.id)), ("plan", str(second.id)), ("plan", str(third.id)),
        ("hold", str(first.id)), ("cancel", str(third.id)),
    ]  # fmt: skip
    assert entries[3].new is not None
    assert entries[3].old is not None
    assert entries[3].new["provider"] == "Northgate physiotherapy"
    assert entries[3].old["status"] == "planned"
    assert entries[4].reason == "Patient in hospital for pneumonia"
    assert {e.patient_id for e in entries} == {maria.patient_id}

    before = stored()
    refusals: list[tuple[Callable[[], Any], type[Exception], str]] = [
        (
            lambda: record_session(
                clinic.db, clinic["nina"], first.id,
                SessionHeldIn(held_on=date(2026, 11, 3), provider="x", version=2),
            ),
            StepRefused, "is done already",
        ),
        (
            lambda: record_session(
                clinic.db, clinic["nina"], third.id,
                SessionHeldIn(held_on=date(2026, 11, 3), provider="x", version=2),
            ),
            StepRefused, "is cancelled already",
        ),
        (
            lambda: record_session(
                clinic.db, clinic["nina"], second.id,
                SessionHeldIn(held_on=date(2026, 11, 5), provider="x", version=1),
            ),
            InvalidInput, r"must not be after today \(2026-11-04\)",
        ),
        (
            lambda: record_session(
                clinic.db, clinic["nina"], second.id,
                SessionHeldIn(held_on=date(2026, 11, 4), provider="x", version=9),
            ),
            Conflict, "reload it and try again",
        ),
        (
            lambda: record_session(
                clinic.db, clinic["ben"], second.id,
                SessionHeldIn(held_on=date(2026, 11, 4), provider="x", version=1),
            ),
            PermissionDenied, r"assessments\.write",
        ),
        (
            lambda: cancel_session(
                clinic.db, clinic["alice"], second.id, SessionCancelIn(reason=" ", version=1)
            ),
            InvalidInput, "reason",
        ),
        (
            lambda: cancel_session(
                clinic.db, clinic["nina"], second.id, SessionCancelIn(reason="No", version=1)
            ),
            PermissionDenied, r"plans\.write",
        ),
        (
            lambda: record_session(
                clinic.db, clinic["sami"], second.id,
                SessionHeldIn(held_on=date(2026, 11, 4), provider="x", version=1),
            ),
            Exception, "No adjunct session",
        ),
    ]  # fmt: skip
    for call, error, message in refusals:
        with pytest.raises(error, match=message):
            call()
    assert stored() == before


def test_planning_is_refused_with_the_reason_and_nothing_is_stored(
    clinic: Any, maria: Any, approved: Callable[..., PlanOut], stored: Stored
) -> None:
    plan = approved(adjunct_therapies=[PHYSIO])
    _plan_physio(clinic, plan)
    before = stored()
    with pytest.raises(StepRefused, match="are planned already"):
        _plan_physio(clinic, plan, date(2026, 12, 1))
    with pytest.raises(InvalidInput) as caught:
        plan_sessions(
            clinic.db, clinic["alice"], plan.id,
            SessionPlanIn(therapy="speech_therapy", first_on=date(2026, 12, 1)),
        )  # fmt: skip
    assert caught.value.fields[0].field == "therapy"
    assert "lists physiotherapy; revise the plan to add one" in caught.value.fields[0].message
    with pytest.raises(InvalidInput) as caught:
        _plan_physio(clinic, plan, date(2026, 10, 31))
    assert caught.value.fields[0].field == "first_on"
    assert caught.value.fields[0].message == "must be today (2026-11-01) or later"
    with pytest.raises(PermissionDenied, match=r"plans\.write"):
        plan_sessions(
            clinic.db, clinic["nina"], plan.id,
            SessionPlanIn(therapy="physiotherapy", first_on=date(2026, 12, 1)),
        )  # fmt: skip
    assert stored() == before


def test_a_closed_plan_plans_no_sessions(
    clinic: Any, maria: Any, approved: Callable[..., PlanOut]
) -> None:
    plan = approved(adjunct_therapies=[PHYSIO])
    closed = close_plan(
        clinic.db, clinic["alice"], plan.id, CloseIn(version=plan.version, reason="Stop")
    )
    with pytest.raises(StepRefused, match="is closed: sessions are planned from an approved plan"):
        _plan_physio(clinic, closed)


def test_no_session_is_planned_or_held_without_a_valid_consent(
    clinic: Any, maria: Any, plan: PlanOut, stored: Stored
) -> None:
    [first, *_] = _plan_physio(clinic, plan)
    withdraw(
        clinic.db, clinic["alice"], maria.consent_id,
        WithdrawalIn(withdrawn_on=date(2026, 11, 1), version=1, reason="Chose to stop"),
    )  # fmt: skip
    before = stored()
    with pytest.raises(StepRefused, match="no valid consent for planning adjunct therapy"):
        plan_sessions(
            clinic.db, clinic["alice"], plan.id,
            SessionPlanIn(therapy="mri_checkup", first_on=date(2026, 12, 1)),
        )  # fmt: skip
    with pytest.raises(StepRefused, match="no valid consent for an adjunct therapy session"):
        record_session(
            clinic.db, clinic["nina"], first.id,
            SessionHeldIn(held_on=date(2026, 11, 1), provider="Physio", version=1),
        )  # fmt: skip
    assert stored() == before
    kept = patient_sessions(clinic.db, clinic["nina"], maria.patient_id)
    assert len(kept) == 3  # withdrawal keeps the record


def test_an_unplanned_session_is_recorded_as_held_from_the_catalogue(
    clinic: Any, maria: Any, stored: Stored
) -> None:
    extra = add_session(
        clinic.db, clinic["nina"], maria.patient_id,
        UnplannedSessionIn(therapy="other", detail="Hydrotherapy", held_on=date(2026, 10, 30),
                           provider="City pool", notes="30 min"),
    )  # fmt: skip
    assert (extra.plan_id, extra.number, extra.of, extra.state, extra.label) == (
        None, None, None, "done", "Other (describe)",
    )  # fmt: skip
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        add_session(
            clinic.db, clinic["nina"], maria.patient_id,
            UnplannedSessionIn(therapy="other", held_on=date(2026, 10, 30), provider="x"),
        )  # fmt: skip
    assert (caught.value.fields[0].field, caught.value.fields[0].message) == (
        "detail", "say what the other therapy is",
    )  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        add_session(
            clinic.db, clinic["nina"], maria.patient_id,
            UnplannedSessionIn(therapy="imr", held_on=date(2026, 10, 30), provider="x"),
        )  # fmt: skip
    assert caught.value.fields[0].field == "therapy"
    assert "'imr' is not known; choose mri_checkup, physiotherapy" in caught.value.fields[0].message
    assert stored() == before


@pytest.fixture
def own_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The programme adds hydrotherapy in its own catalogue file."""
    path = tmp_path / "own.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "catalogue": "adjunct_therapies",
                "version": "northgate-1",
                "source": "Northgate programme, therapy committee 2026-10",
                "entries": [{"id": "hydrotherapy", "label": "Hydrotherapy"}],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("ALSTRACK_ADJUNCT_THERAPIES", str(path))
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_the_programme_adds_its_own_therapies_to_the_catalogue(
    clinic: Any, maria: Any, approved: Callable[..., PlanOut], own_catalogue: Path
) -> None:
    shown = catalogue(clinic["alice"])
    assert shown.version == "1.0+northgate-1"
    assert [(e.id, e.own) for e in shown.entries][-2:] == [("other", False), ("hydrotherapy", True)]
    plan = approved(
        adjunct_therapies=[AdjunctIn(therapy="hydrotherapy", sessions=2, every_days=14)]
    )
    sessions = plan_sessions(
        clinic.db, clinic["alice"], plan.id,
        SessionPlanIn(therapy="hydrotherapy", first_on=date(2026, 11, 2)),
    )  # fmt: skip
    assert [(s.label, s.planned_on) for s in sessions] == [
        ("Hydrotherapy", date(2026, 11, 2)), ("Hydrotherapy", date(2026, 11, 16)),
    ]  # fmt: skip


def test_an_own_therapy_may_not_take_a_shipped_id(
    own_catalogue: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clash = yaml.safe_load(own_catalogue.read_text(encoding="utf-8"))
    clash["entries"].append({"id": "physiotherapy", "label": "Physio"})
    own_catalogue.write_text(yaml.safe_dump(clash), encoding="utf-8")
    clashing = own_catalogue.with_name("clash.yaml")
    own_catalogue.rename(clashing)
    monkeypatch.setenv("ALSTRACK_ADJUNCT_THERAPIES", str(clashing))
    get_settings.cache_clear()
    with pytest.raises(InvalidInput) as caught:
        adjunct_catalogue()
    assert caught.value.fields[0].field == "ALSTRACK_ADJUNCT_THERAPIES"
    assert "physiotherapy is shipped already" in caught.value.fields[0].message


@pytest.mark.parametrize(
    ("adjunct", "field", "message"),
    [
        ({"therapy": "physiotherapy", "sessions": 12}, "every_days", "12 sessions need the days"),
        ({"therapy": "physiotherapy", "every_days": 7}, "every_days", "only for two or more"),
        ({"therapy": "physiotherapy", "sessions": 0}, "sessions", "must be 1 to 260 sessions"),
        (
            {"therapy": "physiotherapy", "sessions": 2, "every_days": 400},
            "every_days",
            "must be 1 to 366 days",
        ),
    ],
)
def test_a_plan_with_impossible_sessions_is_refused_naming_the_field(
    clinic: Any, api: Any, maria: Any, adjunct: dict[str, Any], field: str, message: str
) -> None:
    screening = maria.screen(clinic)
    answer = api("alice").post(
        f"/patients/{maria.patient_id}/plans",
        json={
            "screening_id": screening.id, "cell_source": "allogeneic_uc_msc",
            "route": "intravenous", "dose_basis": "per_kg", "cells_per_kg": 1e6,
            "administrations": 1, "adjunct_therapies": [adjunct],
        },
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    fields = {f["field"]: f["message"] for f in answer.json()["error"]["fields"]}
    assert message in fields[f"adjunct_therapies.0.{field}"]


def test_sessions_go_through_the_api(
    clinic: Any, api: Any, maria: Any, plan: PlanOut, clock: Any
) -> None:
    alice, nina = api("alice"), api("nina")
    shown = alice.get("/adjunct-therapies").json()
    assert "mri_checkup" in [e["id"] for e in shown["entries"]]
    planned = alice.post(
        f"/plans/{plan.id}/adjunct-sessions",
        json={"therapy": "physiotherapy", "first_on": "2026-11-01"},
    )
    assert planned.status_code == 201, planned.text
    first = planned.json()[0]
    assert first["state"] == "due"
    held = nina.post(
        f"/adjunct-sessions/{first['id']}/held",
        json={"held_on": "2026-11-01", "provider": "Northgate physiotherapy", "version": 1},
    )
    assert (held.status_code, held.json()["state"]) == (200, "done")
    second = planned.json()[1]
    cancelled = alice.post(
        f"/adjunct-sessions/{second['id']}/cancel", json={"reason": "Unwell", "version": 1}
    )
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")
    blank = nina.post(
        f"/adjunct-sessions/{planned.json()[2]['id']}/held",
        json={"held_on": "2026-11-01", "provider": "", "version": 1},
    )
    assert blank.status_code == 422
    assert blank.json()["error"]["fields"][0]["field"] == "provider"
    extra = nina.post(
        f"/patients/{maria.patient_id}/adjunct-sessions",
        json={"therapy": "speech_therapy", "held_on": "2026-11-01", "provider": "SLT clinic"},
    )
    assert extra.status_code == 201, extra.text
    listed = nina.get(f"/patients/{maria.patient_id}/adjunct-sessions", params={"on": "2026-11-01"})
    assert [s["state"] for s in listed.json()] == ["done", "done", "cancelled", "planned"]
    upcoming = alice.get("/adjunct-sessions", params={"state": "planned", "site": "NORTH"})
    assert [s["planned_on"] for s in upcoming.json()] == ["2026-11-15"]
    assert alice.get("/adjunct-sessions", params={"state": "late"}).status_code == 422


def test_the_plans_number_of_sessions_bounds_those_planned_and_held(
    clinic: Any, maria: Any, approved: Callable[..., PlanOut], clock: Any
) -> None:
    plan = approved(
        adjunct_therapies=[AdjunctIn(therapy="physiotherapy", sessions=2, every_days=7)]
    )
    first, second = _plan_physio(clinic, plan, date(2026, 11, 1))
    record_session(
        clinic.db, clinic["nina"], first.id,
        SessionHeldIn(held_on=date(2026, 11, 1), provider="Physio", version=1),
    )  # fmt: skip
    cancel_session(clinic.db, clinic["alice"], second.id, SessionCancelIn(reason="Ill", version=1))
    [again] = _plan_physio(clinic, plan, date(2026, 11, 10))  # the cancelled one's place
    assert (again.number, again.of, again.planned_on) == (2, 2, date(2026, 11, 10))
    record_session(
        clinic.db, clinic["nina"], again.id,
        SessionHeldIn(held_on=date(2026, 11, 1), provider="Physio", version=1),
    )  # fmt: skip
    with pytest.raises(StepRefused, match="The plan's 2 physiotherapy sessions are all held"):
        _plan_physio(clinic, plan, date(2026, 11, 20))


def test_closing_or_revising_the_plan_cancels_the_sessions_it_no_longer_asks_for(
    clinic: Any, maria: Any, plan: PlanOut
) -> None:
    physio = _plan_physio(clinic, plan)
    [mri] = plan_sessions(
        clinic.db, clinic["alice"], plan.id,
        SessionPlanIn(therapy="mri_checkup", first_on=date(2027, 2, 1)),
    )  # fmt: skip
    current = plan.versions[-1]
    revised = revise_plan(
        clinic.db, clinic["alice"], plan.id,
        PlanRevisionIn(
            plan=PlanIn(screening_id=current.screening_id, cell_source="allogeneic_uc_msc",
                        route="intrathecal", dose_basis="per_kg", cells_per_kg=1e6,
                        administrations=3, interval_days=28, adjunct_therapies=[PHYSIO]),
            version=plan.version, reason="MRI not needed",
        ),
    )  # fmt: skip
    states = {s.id: s for s in patient_sessions(clinic.db, clinic["nina"], maria.patient_id)}
    assert states[mri.id].state == "cancelled"
    assert states[mri.id].cancel_reason == "plan revised to version 2: MRI not needed"
    assert {states[s.id].state for s in physio} == {"planned"}
    close_plan(clinic.db, clinic["alice"], plan.id, CloseIn(version=revised.version, reason="Stop"))
    states = {s.id: s for s in patient_sessions(clinic.db, clinic["nina"], maria.patient_id)}
    assert {states[s.id].state for s in physio} == {"cancelled"}
    assert states[physio[0].id].cancel_reason == "plan closed: Stop"


def test_sessions_after_a_death_are_neither_due_nor_held(
    clinic: Any, maria: Any, plan: PlanOut, clock: Any
) -> None:
    _, second, _ = _plan_physio(clinic, plan)  # 3, 10 and 17 Nov
    clock.move_to(NOW + timedelta(days=20), tick=False)
    records.add(
        clinic.db, clinic["alice"], MILESTONE, maria.patient_id,
        MilestoneIn(kind="death", occurred_on=date(2026, 11, 8)),
    )  # fmt: skip
    states = [s.state for s in patient_sessions(clinic.db, clinic["nina"], maria.patient_id)]
    assert states == ["overdue", "patient_died", "patient_died"]
    with pytest.raises(InvalidInput, match=r"after the patient's recorded death \(2026-11-08\)"):
        record_session(
            clinic.db, clinic["nina"], second.id,
            SessionHeldIn(held_on=date(2026, 11, 10), provider="Physio", version=1),
        )  # fmt: skip
    with pytest.raises(StepRefused, match="died on 2026-11-08"):
        plan_sessions(
            clinic.db, clinic["alice"], plan.id,
            SessionPlanIn(therapy="mri_checkup", first_on=date(2026, 11, 21)),
        )  # fmt: skip


def test_a_planned_session_is_not_held_before_it_was_planned(
    clinic: Any, maria: Any, plan: PlanOut, stored: Stored
) -> None:
    [first, *_] = _plan_physio(clinic, plan)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        record_session(
            clinic.db, clinic["nina"], first.id,
            SessionHeldIn(held_on=date(2026, 10, 30), provider="Physio", version=1),
        )  # fmt: skip
    assert caught.value.fields[0].field == "held_on"
    assert caught.value.fields[0].message.startswith(
        "must not be before the session was planned (2026-11-01)"
    )
    assert stored() == before
