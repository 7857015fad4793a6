"""Follow-up visits: which are due, overdue or missed, recording them, and unscheduled ones.

A plan names its schedule (domain/data/follow-up/schedules.yaml). Its approval schedules the
schedule's lead-in and baseline visits, if it has any; each administration schedules the visits
after a dose; the first dose cancels the lead-in visits not yet made (they can no longer come
before treatment). A visit's state on a day is computed (domain/follow_up.visit_state), never
stored, so a list asked for any day is right for that day; a visit not made before the patient
died is shown as such, neither due nor missed. A visit made outside its window is recorded, and
a protocol deviation is recorded with it in the same transaction. Unscheduled visits are
allowed. The assessments of a visit are the registry's ordinary records
(/patients/{id}/assessments and the others).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alstrack.domain.follow_up import (
    DueVisit,
    VisitState,
    follow_up_schedules,
    visit_state,
    visits_after,
    visits_before_first_dose,
)
from alstrack.errors import Conflict, InvalidInput, StepRefused
from alstrack.services.consents import require_consent
from alstrack.services.context import (
    Actor,
    audited,
    clinic_day,
    load_of_patient,
    load_patient,
    not_in_future,
    now,
    require_reason,
    today,
)
from alstrack.services.fields import Version
from alstrack.services.sites import check_site_code
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    Administration,
    FollowUpVisit,
    Milestone,
    Patient,
    ProtocolDeviation,
    Site,
)
from alstrack.store.versioning import update_versioned

__all__ = [
    "UNSCHEDULED",
    "ProtocolDeviationOut",
    "UnscheduledVisitIn",
    "VisitIn",
    "VisitOut",
    "add_unscheduled_visit",
    "cancel_visits",
    "end_lead_in",
    "list_protocol_deviations",
    "list_visits",
    "not_after_death",
    "patient_visits",
    "pending_lead_in",
    "present_visit",
    "record_visit",
    "schedule_after_dose",
    "schedule_before_first_dose",
    "site_code_of",
]

UNSCHEDULED = "unscheduled"
_Note = Annotated[str, Field(max_length=2000)]


class VisitOut(BaseModel):
    id: int
    patient_id: int
    patient_study_id: str
    site_code: str
    administration_id: int | None
    plan_id: int | None = Field(description="The plan whose approval scheduled a lead-in visit")
    schedule_id: str
    schedule_version: str
    before_first_dose: bool = Field(description="A lead-in or baseline visit")
    visit: str
    label: str
    due_on: date
    earliest: date
    latest: date
    visited_on: date | None
    state: VisitState = Field(description="On the day asked (default today at the clinics)")
    note: str | None
    protocol_deviation_id: int | None
    version: int


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visited_on: date
    version: Version = Field(description="The visit's record `version` as read")
    note: _Note | None = None


class UnscheduledVisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visited_on: date
    reason: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description="Why the patient came outside the schedule"
    )


def record_visit(db: Database, actor: Actor, visit_id: int, data: VisitIn) -> VisitOut:
    """Record a scheduled visit as made; outside its window, with a protocol deviation."""
    actor.require("assessments.write")
    with db.transaction() as session:
        row, patient = load_of_patient(session, actor, FollowUpVisit, visit_id, "visit", lock=True)
        if row.visited_on is not None:
            raise StepRefused(f"Visit {row.id} was recorded on {row.visited_on} already.")
        if row.status == "cancelled":
            raise StepRefused(
                f"Visit {row.id} was cancelled ({row.note}); record an unscheduled visit instead."
            )
        not_in_future("visited_on", data.visited_on, today())
        not_after_death(session, row.patient_id, "visited_on", data.visited_on)
        given = session.get(Administration, row.administration_id or 0)
        if given is not None and data.visited_on < clinic_day(given.at):
            raise InvalidInput.for_field(
                "visited_on", f"must not be before the dose it follows ({clinic_day(given.at)})"
            )
        at = now()
        values: dict[str, Any] = {
            "visited_on": data.visited_on,
            "visited_by": actor.user_id,
            "note": data.note,
            "status": "done",
            "recorded_at": at,
        }
        entries: list[dict[str, Any]] = []
        state = visit_state(row.due_on, *_window(row), data.visited_on, data.visited_on)
        if state == "done_outside_window":
            earliest, latest = _window(row)
            deviation = ProtocolDeviation(
                patient_id=row.patient_id,
                follow_up_visit_id=row.id,
                kind="visit_window",
                description=(
                    f"{row.label} visit on {data.visited_on}, outside its window "
                    f"{earliest} to {latest} (due {row.due_on})"
                ),
                recorded_by=actor.user_id,
                recorded_at=at,
            )
            session.add(deviation)
            session.flush()
            values["protocol_deviation_id"] = deviation.id
            entries.append(
                audited(
                    actor, at=at, action="create", entity="protocol_deviation",
                    entity_id=deviation.id, patient_id=row.patient_id,
                    new={"kind": "visit_window", "description": deviation.description},
                )
            )  # fmt: skip
        old = {key: getattr(row, key) for key in values}
        try:
            update_versioned(
                session, FollowUpVisit, FollowUpVisit.id == row.id, data.version, values,
                f"Visit {row.id}",
            )  # fmt: skip
        except Conflict:
            raise Conflict(
                f"Visit {row.id} changed since record version {data.version} was read; "
                "reload it and try again."
            ) from None
        entries.append(
            audited(
                actor, at=at, action="visit", entity="follow_up_visit", entity_id=row.id,
                patient_id=row.patient_id, old=old, new=values,
            )
        )  # fmt: skip
        audit.record(session, entries)
        session.refresh(row)
        return present_visit(row, patient, site_code_of(session, patient), today())


def add_unscheduled_visit(
    db: Database, actor: Actor, patient_id: int, data: UnscheduledVisitIn
) -> VisitOut:
    """An unscheduled visit: recorded as made, with why the patient came."""
    actor.require("assessments.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        not_in_future("visited_on", data.visited_on, today())
        not_after_death(session, patient.id, "visited_on", data.visited_on)
        require_consent(session, patient, data.visited_on, "a follow-up visit")
        at = now()
        row = FollowUpVisit(
            patient_id=patient.id,
            administration_id=None,
            schedule_id=UNSCHEDULED,
            schedule_version="-",
            visit=UNSCHEDULED,
            label="Unscheduled",
            due_on=data.visited_on,
            window_before_days=0,
            window_after_days=0,
            status="done",
            visited_on=data.visited_on,
            visited_by=actor.user_id,
            note=reason,
            recorded_at=at,
            created_by=actor.user_id,
            created_at=at,
            version=1,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor, at=at, action="create", entity="follow_up_visit", entity_id=row.id,
                    patient_id=patient.id, new={"visited_on": data.visited_on, "reason": reason},
                )
            ],
        )  # fmt: skip
        return present_visit(row, patient, site_code_of(session, patient), today())


def patient_visits(
    db: Database, actor: Actor, patient_id: int, *, on: date | None = None
) -> list[VisitOut]:
    """The patient's visits by due day, each with its state on ``on``."""
    actor.require("plans.read")
    day = on or today()
    with db.read() as session:
        patient = load_patient(session, actor, patient_id)
        code = site_code_of(session, patient)
        rows = session.scalars(
            select(FollowUpVisit)
            .where(FollowUpVisit.patient_id == patient_id)
            .order_by(FollowUpVisit.due_on, FollowUpVisit.id)
        )
        died_on = deaths(session, [patient_id]).get(patient_id)
        return [present_visit(row, patient, code, day, died_on) for row in rows]


def list_visits(
    db: Database,
    actor: Actor,
    *,
    on: date | None = None,
    site_code: str | None = None,
    state: VisitState | None = None,
) -> list[VisitOut]:
    """Visits of every patient the actor sees (or one site's), by due day, with their state on
    ``on``; ``state`` keeps one state (due, overdue, missed...)."""
    actor.require("plans.read")
    day = on or today()
    with db.read() as session:
        check_site_code(session, site_code)
        stmt = (
            select(FollowUpVisit, Patient, Site.code)
            .join(Patient, Patient.id == FollowUpVisit.patient_id)
            .join(Site, Site.id == Patient.site_id)
            .order_by(FollowUpVisit.due_on, FollowUpVisit.id)
        )
        if site_code is not None:
            stmt = stmt.where(Site.code == site_code)
        found = [
            (row, patient, code)
            for row, patient, code in session.execute(stmt)
            if actor.sees_site(patient.site_id)
        ]
        died = deaths(session, {patient.id for _, patient, _ in found})
        out = [
            present_visit(row, patient, code, day, died.get(patient.id))
            for row, patient, code in found
        ]
        return [visit for visit in out if state is None or visit.state == state]


def present_visit(
    row: FollowUpVisit, patient: Patient, site_code: str, on: date, died_on: date | None = None
) -> VisitOut:
    earliest, latest = _window(row)
    return VisitOut(
        id=row.id,
        patient_id=row.patient_id,
        patient_study_id=patient.study_id,
        site_code=site_code,
        administration_id=row.administration_id,
        plan_id=row.plan_id,
        schedule_id=row.schedule_id,
        schedule_version=row.schedule_version,
        before_first_dose=row.administration_id is None and row.plan_id is not None,
        visit=row.visit,
        label=row.label,
        due_on=row.due_on,
        earliest=earliest,
        latest=latest,
        visited_on=row.visited_on,
        state=visit_state(
            row.due_on,
            earliest,
            latest,
            row.visited_on,
            on,
            cancelled=row.status == "cancelled"
            and (row.recorded_at is None or clinic_day(row.recorded_at) <= on),
            died_on=died_on,
        ),
        note=row.note,
        protocol_deviation_id=row.protocol_deviation_id,
        version=row.version,
    )


def deaths(session: Session, patient_ids: Iterable[int] | None = None) -> dict[int, date]:
    """The day of death of each patient (of those given) whose current record has one."""
    stmt = select(Milestone.patient_id, Milestone.occurred_on).where(
        Milestone.kind == "death", Milestone.status == "current"
    )
    if patient_ids is not None:
        stmt = stmt.where(Milestone.patient_id.in_(sorted(set(patient_ids))))
    return {patient_id: day for patient_id, day in session.execute(stmt)}


def not_after_death(session: Session, patient_id: int, field: str, day: date) -> None:
    """InvalidInput on ``field`` if the patient's recorded death came before ``day``."""
    died_on = deaths(session, [patient_id]).get(patient_id)
    if died_on is not None and day > died_on:
        raise InvalidInput.for_field(
            field, f"must not be after the patient's recorded death ({died_on})"
        )


def schedule_after_dose(
    session: Session, actor: Actor, patient: Patient, given: Administration, schedule_id: str
) -> tuple[list[FollowUpVisit], list[dict[str, Any]]]:
    """The visits after one dose, by the plan's schedule, and their audit entry; the first
    dose also closes the plan's lead-in (``end_lead_in``).

    A dose given is recorded whatever happened to the schedules file: a schedule since removed
    from it is replaced by the default one, and the audit entry says so.
    """
    schedules = follow_up_schedules()
    note = None
    try:
        schedule = schedules.get(schedule_id)
    except InvalidInput:
        schedule = schedules.get()
        note = f"the plan's schedule {schedule_id!r} is no longer in the schedules file"
    at = given.recorded_at
    visits = _add_visits(
        session, actor, patient, visits_after(schedule, clinic_day(given.at)), schedule.id, at,
        administration_id=given.id,
    )  # fmt: skip
    new: dict[str, Any] = {"visits": [{"visit": v.visit, "due_on": v.due_on} for v in visits]}
    if note:
        new |= {"schedule": schedule.id, "note": f"{note}; the default schedule was used"}
    entries = [
        audited(
            actor, at=at, action="schedule", entity="follow_up_visits", entity_id=given.id,
            patient_id=patient.id, site_id=patient.site_id, new=new,
        )
    ]  # fmt: skip
    if given.dose_number == 1:
        entries += end_lead_in(session, actor, patient, given)
    return visits, entries


def schedule_before_first_dose(
    session: Session,
    actor: Actor,
    patient: Patient,
    plan_id: int,
    schedule_id: str,
    approved_at: datetime,
) -> list[dict[str, Any]]:
    """On a plan's approval: its schedule's lead-in and baseline visits from the approval's
    clinical day, unless the plan has given a dose or has its lead-in visits already."""
    schedule = follow_up_schedules().get(schedule_id)
    if not schedule.before_first_dose:
        return []
    dosed = session.scalar(select(Administration.id).where(Administration.plan_id == plan_id))
    scheduled = session.scalar(
        select(FollowUpVisit.id).where(
            FollowUpVisit.plan_id == plan_id, FollowUpVisit.status != "cancelled"
        )
    )
    if dosed is not None or scheduled is not None:
        return []
    due = visits_before_first_dose(schedule, clinic_day(approved_at))
    visits = _add_visits(
        session, actor, patient, due, schedule.id, approved_at, plan_id=plan_id
    )  # fmt: skip
    return [
        audited(
            actor, at=approved_at, action="schedule", entity="follow_up_visits",
            entity_id=f"plan/{plan_id}", patient_id=patient.id, site_id=patient.site_id,
            new={
                "schedule": schedule.id,
                "visits": [{"visit": v.visit, "due_on": v.due_on} for v in visits],
            },
        )
    ]  # fmt: skip


def end_lead_in(
    session: Session, actor: Actor, patient: Patient, given: Administration
) -> list[dict[str, Any]]:
    """At the first dose: the plan's lead-in visits whose window is still open or not yet open
    are cancelled as of the dose (they can no longer come before treatment); those whose window
    closed stay missed. Any lead-in visit not made is a protocol deviation (lead_in_incomplete)."""
    rows = session.scalars(
        select(FollowUpVisit)
        .where(
            FollowUpVisit.plan_id == given.plan_id,
            FollowUpVisit.administration_id.is_(None),
            FollowUpVisit.status == "scheduled",
        )
        .order_by(FollowUpVisit.due_on)
    ).all()
    if not rows:
        return []
    day = clinic_day(given.at)
    at = given.recorded_at
    open_rows = [row for row in rows if _window(row)[1] >= day]
    entries = cancel_visits(
        session, actor, patient, open_rows, f"not made before the first dose on {day}", given.at
    )
    missed = ", ".join(
        f"{row.label} ({'cancelled' if row in open_rows else 'missed'})" for row in rows
    )
    deviation = ProtocolDeviation(
        patient_id=patient.id,
        kind="lead_in_incomplete",
        description=f"First dose on {day} with lead-in visits not made: {missed}",
        recorded_by=actor.user_id,
        recorded_at=at,
    )
    session.add(deviation)
    session.flush()
    entries.append(
        audited(
            actor, at=at, action="create", entity="protocol_deviation", entity_id=deviation.id,
            patient_id=patient.id, site_id=patient.site_id,
            new={"kind": deviation.kind, "description": deviation.description},
        )
    )  # fmt: skip
    return entries


def cancel_visits(
    session: Session,
    actor: Actor,
    patient: Patient,
    rows: Sequence[FollowUpVisit],
    why: str,
    as_of: datetime,
) -> list[dict[str, Any]]:
    """Cancel visits not made, as of ``as_of`` (their state stays as it was before that day),
    with why; one audit entry each."""
    entries = []
    for row in rows:
        session.execute(
            update(FollowUpVisit)
            .where(FollowUpVisit.id == row.id)
            .values(status="cancelled", note=why, recorded_at=as_of, version=row.version + 1)
            .execution_options(synchronize_session=False)
        )
        entries.append(
            audited(
                actor, at=now(), action="cancel", entity="follow_up_visit", entity_id=row.id,
                patient_id=patient.id, site_id=patient.site_id,
                old={"status": row.status}, new={"status": "cancelled", "note": why},
            )
        )  # fmt: skip
    return entries


def pending_lead_in(session: Session, plan_id: int) -> list[FollowUpVisit]:
    """The plan's lead-in visits not yet made nor cancelled."""
    return list(
        session.scalars(
            select(FollowUpVisit).where(
                FollowUpVisit.plan_id == plan_id,
                FollowUpVisit.administration_id.is_(None),
                FollowUpVisit.status == "scheduled",
            )
        )
    )


def _add_visits(
    session: Session,
    actor: Actor,
    patient: Patient,
    due: tuple[DueVisit, ...],
    schedule_id: str,
    at: datetime,
    *,
    administration_id: int | None = None,
    plan_id: int | None = None,
) -> list[FollowUpVisit]:
    visits = [
        FollowUpVisit(
            patient_id=patient.id,
            administration_id=administration_id,
            plan_id=plan_id,
            schedule_id=schedule_id,
            schedule_version=follow_up_schedules().version,
            visit=item.visit,
            label=item.label,
            due_on=item.due_on,
            window_before_days=(item.due_on - item.earliest).days,
            window_after_days=(item.latest - item.due_on).days,
            status="scheduled",
            created_by=actor.user_id,
            created_at=at,
            version=1,
        )
        for item in due
    ]
    session.add_all(visits)
    session.flush()
    return visits


def _window(row: FollowUpVisit) -> tuple[date, date]:
    return (
        row.due_on - timedelta(days=row.window_before_days),
        row.due_on + timedelta(days=row.window_after_days),
    )


def site_code_of(session: Session, patient: Patient) -> str:
    return session.get_one(Site, patient.site_id).code


class ProtocolDeviationOut(BaseModel):
    id: int
    patient_id: int
    patient_study_id: str
    site_code: str
    follow_up_visit_id: int | None
    kind: str
    description: str
    recorded_by: int
    recorded_at: datetime


def list_protocol_deviations(
    db: Database, actor: Actor, *, site_code: str | None = None
) -> list[ProtocolDeviationOut]:
    """Protocol deviations of the patients the actor sees (or one site's), oldest first."""
    actor.require("plans.read")
    with db.read() as session:
        check_site_code(session, site_code)
        stmt = (
            select(ProtocolDeviation, Patient, Site.code)
            .join(Patient, Patient.id == ProtocolDeviation.patient_id)
            .join(Site, Site.id == Patient.site_id)
            .order_by(ProtocolDeviation.recorded_at, ProtocolDeviation.id)
        )
        if site_code is not None:
            stmt = stmt.where(Site.code == site_code)
        return [
            ProtocolDeviationOut(
                id=row.id,
                patient_id=row.patient_id,
                patient_study_id=patient.study_id,
                site_code=code,
                follow_up_visit_id=row.follow_up_visit_id,
                kind=row.kind,
                description=row.description,
                recorded_by=row.recorded_by,
                recorded_at=row.recorded_at,
            )
            for row, patient, code in session.execute(stmt)
            if actor.sees_site(patient.site_id)
        ]
