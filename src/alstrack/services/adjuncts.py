"""Adjunct therapy sessions: planned from the plan, held with day, provider and notes, or
cancelled with a reason; unplanned sessions recorded as held.

A plan lists its adjunct therapies and, for each, how many sessions how many days apart
(services/plans.py). Planning the sessions of one therapy from the plan's approved current
version dates them from a first day; each is then recorded as held or cancelled. Their state on
a day (planned, due, overdue, done, cancelled) is computed, never stored. Sessions are
procedures of the programme: planning and recording them need the patient's valid consent.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.adjuncts import SessionState, session_dates, session_state
from alstrack.domain.plans import AdjunctCatalogue
from alstrack.errors import Conflict, FieldError, InvalidInput, StepRefused
from alstrack.services.adjunct_catalogue import adjunct_catalogue
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
from alstrack.services.visits import deaths, not_after_death, site_code_of
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    AdjunctSession,
    Patient,
    Site,
    TreatmentPlan,
    TreatmentPlanVersion,
)
from alstrack.store.versioning import update_versioned

__all__ = [
    "AdjunctSessionOut",
    "AdjunctTherapyOut",
    "CatalogueOut",
    "SessionCancelIn",
    "SessionHeldIn",
    "SessionPlanIn",
    "UnplannedSessionIn",
    "add_session",
    "cancel_planned_sessions",
    "cancel_session",
    "catalogue",
    "list_sessions",
    "patient_sessions",
    "plan_sessions",
    "record_session",
]

_Detail = Annotated[str, Field(max_length=500)]
_Provider = Annotated[str, Field(min_length=1, max_length=200)]
_Notes = Annotated[str, Field(max_length=4000)]


class AdjunctTherapyOut(BaseModel):
    id: str
    label: str
    note: str | None
    detail_required: bool = Field(description="A plan or session must say what the therapy is")
    own: bool = Field(description="Added by the programme's own catalogue file")


class CatalogueOut(BaseModel):
    version: str
    source: str
    entries: list[AdjunctTherapyOut]


class AdjunctSessionOut(BaseModel):
    id: int
    patient_id: int
    patient_study_id: str
    site_code: str
    plan_id: int | None = Field(description="Null for an unplanned session")
    plan_version_number: int | None
    therapy: str
    label: str | None = Field(description="Null when the id is no longer in the catalogue")
    detail: str | None
    number: int | None = Field(description="Which of the sessions planned together (1, 2, …)")
    of: int | None = Field(description="How many were planned together")
    planned_on: date | None
    held_on: date | None
    provider: str | None
    notes: str | None
    cancel_reason: str | None
    state: SessionState = Field(description="On the day asked (default today at the clinics)")
    version: int = Field(description="The session's record version: send it back to change it")


class SessionPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    therapy: str = Field(description="A therapy of the plan's approved current version")
    detail: _Detail | None = Field(
        default=None, description="Which one, for a therapy listed with a detail (e.g. `other`)"
    )
    first_on: date = Field(description="The day of the first session (today or later)")


class SessionHeldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    held_on: date
    provider: _Provider = Field(description="Who gave the session (person or service)")
    notes: _Notes | None = None
    version: Version = Field(description="The session's record `version` as read")


class SessionCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str
    version: Version = Field(description="The session's record `version` as read")


class UnplannedSessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    therapy: str = Field(description="A therapy of the catalogue (GET /adjunct-therapies)")
    detail: _Detail | None = None
    held_on: date
    provider: _Provider = Field(description="Who gave the session (person or service)")
    notes: _Notes | None = None


def catalogue(actor: Actor) -> CatalogueOut:
    """The adjunct therapies in force: the shipped ones and the programme's own."""
    actor.require("plans.read")
    therapies = adjunct_catalogue()
    return CatalogueOut(
        version=therapies.version,
        source=therapies.source,
        entries=[
            AdjunctTherapyOut(
                id=e.id, label=e.label, note=e.note, detail_required=e.detail_required, own=e.own
            )
            for e in therapies.entries
        ],
    )


def plan_sessions(
    db: Database, actor: Actor, plan_id: int, data: SessionPlanIn
) -> list[AdjunctSessionOut]:
    """Date the sessions of one of the plan's therapies from ``first_on``, as many and as far
    apart as the plan's approved current version says (one if it does not say)."""
    actor.require("plans.write")
    with db.transaction() as session:
        plan, patient = load_of_patient(
            session, actor, TreatmentPlan, plan_id, "treatment plan", lock=True
        )
        version = _approved_current(session, plan)
        day = today()
        if data.first_on < day:
            raise InvalidInput.for_field("first_on", f"must be today ({day}) or later")
        require_consent(session, patient, day, "planning adjunct therapy sessions")
        died_on = deaths(session, [patient.id]).get(patient.id)
        if died_on is not None:
            raise StepRefused(f"Patient {patient.study_id} died on {died_on}.")
        entry = _entry_of(version, data.therapy, data.detail, adjunct_catalogue())
        detail = entry.get("detail")
        earlier = session.execute(
            select(AdjunctSession.id, AdjunctSession.status).where(
                AdjunctSession.plan_id == plan.id,
                AdjunctSession.therapy == entry["therapy"],
                AdjunctSession.detail.is_(None)
                if detail is None
                else AdjunctSession.detail == detail,
                AdjunctSession.status != "cancelled",
            )
        ).all()
        pending = [session_id for session_id, status in earlier if status == "planned"]
        if pending:
            raise StepRefused(
                f"{entry['therapy']} sessions of treatment plan {plan.id} are planned already "
                f"(session {pending[0]}); record or cancel them before planning more."
            )
        # The plan's number of sessions bounds those held and planned; cancelled ones free
        # their places. A plan that gives no number has one session planned at a time.
        total = entry.get("sessions")
        count = 1 if total is None else total - len(earlier)
        if count < 1:
            raise StepRefused(
                f"The plan's {total} {entry['therapy']} sessions are all held; revise the plan "
                "to give more."
            )
        at = now()
        rows = [
            AdjunctSession(
                patient_id=patient.id,
                plan_id=plan.id,
                plan_version_number=version.number,
                therapy=entry["therapy"],
                detail=detail,
                catalogue_version=adjunct_catalogue().version,
                number=len(earlier) + number,
                of_sessions=total,
                planned_on=planned_on,
                status="planned",
                created_by=actor.user_id,
                created_at=at,
                version=1,
            )
            for number, planned_on in enumerate(
                session_dates(data.first_on, count, entry.get("every_days")), start=1
            )
        ]
        session.add_all(rows)
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor, at=at, action="plan", entity="adjunct_session", entity_id=row.id,
                    patient_id=patient.id,
                    new={
                        "plan_id": plan.id, "plan_version_number": version.number,
                        "therapy": row.therapy, "detail": row.detail, "number": row.number,
                        "of": total, "planned_on": row.planned_on,
                    },
                )
                for row in rows
            ],
        )  # fmt: skip
        code = site_code_of(session, patient)
        return [_present(row, patient, code, day) for row in rows]


def record_session(
    db: Database, actor: Actor, session_id: int, data: SessionHeldIn
) -> AdjunctSessionOut:
    """Record a planned session as held, with the day, who gave it and notes."""
    actor.require("assessments.write")
    with db.transaction() as session:
        row, patient = _load_planned(session, actor, session_id)
        day = today()
        not_in_future("held_on", data.held_on, day)
        planned_day = clinic_day(row.created_at)
        if data.held_on < planned_day:
            raise InvalidInput.for_field(
                "held_on",
                f"must not be before the session was planned ({planned_day}); record an "
                "earlier session as unplanned",
            )
        not_after_death(session, patient.id, "held_on", data.held_on)
        require_consent(session, patient, data.held_on, "an adjunct therapy session")
        values: dict[str, Any] = {
            "status": "done",
            "held_on": data.held_on,
            "provider": data.provider.strip(),
            "notes": (data.notes or "").strip() or None,
            "recorded_by": actor.user_id,
            "recorded_at": now(),
        }
        return _change(session, actor, row, patient, data.version, values, "hold", None)


def cancel_session(
    db: Database, actor: Actor, session_id: int, data: SessionCancelIn
) -> AdjunctSessionOut:
    """Cancel a planned session with a reason; it stays on the record."""
    actor.require("plans.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        row, patient = _load_planned(session, actor, session_id)
        values: dict[str, Any] = {
            "status": "cancelled",
            "cancel_reason": reason,
            "recorded_by": actor.user_id,
            "recorded_at": now(),
        }
        return _change(session, actor, row, patient, data.version, values, "cancel", reason)


def add_session(
    db: Database, actor: Actor, patient_id: int, data: UnplannedSessionIn
) -> AdjunctSessionOut:
    """Record a session that was not planned from a plan, as held."""
    actor.require("assessments.write")
    therapies = adjunct_catalogue()
    therapy = therapies.get(data.therapy, field="therapy")
    detail = (data.detail or "").strip() or None
    if therapy.detail_required and detail is None:
        raise InvalidInput.for_field("detail", f"say what the {therapy.id} therapy is")
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        day = today()
        not_in_future("held_on", data.held_on, day)
        not_after_death(session, patient.id, "held_on", data.held_on)
        require_consent(session, patient, data.held_on, "an adjunct therapy session")
        at = now()
        row = AdjunctSession(
            patient_id=patient.id,
            therapy=therapy.id,
            detail=detail,
            catalogue_version=therapies.version,
            status="done",
            held_on=data.held_on,
            provider=data.provider.strip(),
            notes=(data.notes or "").strip() or None,
            recorded_by=actor.user_id,
            recorded_at=at,
            created_by=actor.user_id,
            created_at=at,
            version=1,
        )
        session.add(row)
        session.flush()
        new = {
            "therapy": row.therapy,
            "detail": row.detail,
            "held_on": row.held_on,
            "provider": row.provider,
            "notes": row.notes,
        }
        audit.record(
            session,
            [
                audited(
                    actor, at=at, action="create", entity="adjunct_session", entity_id=row.id,
                    patient_id=patient.id, new=new,
                )
            ],
        )  # fmt: skip
        return _present(row, patient, site_code_of(session, patient), day)


def patient_sessions(
    db: Database, actor: Actor, patient_id: int, *, on: date | None = None
) -> list[AdjunctSessionOut]:
    """The patient's sessions by day (planned or held), each with its state on ``on``."""
    actor.require("plans.read")
    day = on or today()
    with db.read() as session:
        patient = load_patient(session, actor, patient_id)
        code = site_code_of(session, patient)
        rows = list(
            session.scalars(select(AdjunctSession).where(AdjunctSession.patient_id == patient_id))
        )
        died_on = deaths(session, [patient_id]).get(patient_id)
        return [_present(row, patient, code, day, died_on) for row in sorted(rows, key=_day_key)]


def list_sessions(
    db: Database,
    actor: Actor,
    *,
    on: date | None = None,
    site_code: str | None = None,
    state: SessionState | None = None,
) -> list[AdjunctSessionOut]:
    """Sessions of every patient the actor sees (or one site's) by day, with their state on
    ``on``; ``state`` keeps one state (due, overdue…)."""
    actor.require("plans.read")
    day = on or today()
    with db.read() as session:
        check_site_code(session, site_code)
        stmt = (
            select(AdjunctSession, Patient, Site.code)
            .join(Patient, Patient.id == AdjunctSession.patient_id)
            .join(Site, Site.id == Patient.site_id)
        )
        if site_code is not None:
            stmt = stmt.where(Site.code == site_code)
        found = [
            (row, patient, code)
            for row, patient, code in session.execute(stmt).all()
            if actor.sees_site(patient.site_id)
        ]
        died = deaths(session, {patient.id for _, patient, _ in found})
        out = [
            _present(row, patient, code, day, died.get(patient.id))
            for row, patient, code in sorted(found, key=lambda item: _day_key(item[0]))
        ]
        return [s for s in out if state is None or s.state == state]


def cancel_planned_sessions(
    session: Session,
    actor: Actor,
    patient: Patient,
    plan_id: int,
    why: str,
    *,
    keep: set[tuple[str, str | None]] | None = None,
) -> list[dict[str, Any]]:
    """Cancel the plan's planned sessions (all, or those of a therapy not in ``keep``), with
    why; one audit entry each. For a plan closed or revised."""
    rows = session.scalars(
        select(AdjunctSession).where(
            AdjunctSession.plan_id == plan_id, AdjunctSession.status == "planned"
        )
    ).all()
    at = now()
    entries = []
    for row in rows:
        if keep is not None and (row.therapy, row.detail) in keep:
            continue
        values: dict[str, Any] = {
            "status": "cancelled",
            "cancel_reason": why,
            "recorded_by": actor.user_id,
            "recorded_at": at,
        }
        update_versioned(
            session, AdjunctSession, AdjunctSession.id == row.id, row.version, values,
            f"Adjunct session {row.id}",
        )  # fmt: skip
        entries.append(
            audited(
                actor, at=at, action="cancel", entity="adjunct_session", entity_id=row.id,
                patient_id=patient.id, site_id=patient.site_id,
                old={"status": "planned"}, new=values, reason=why,
            )
        )  # fmt: skip
    return entries


def _approved_current(session: Session, plan: TreatmentPlan) -> TreatmentPlanVersion:
    if plan.status != "approved":
        raise StepRefused(
            f"Treatment plan {plan.id} is {plan.status}: sessions are planned from an approved "
            "plan."
        )
    version = session.scalars(
        select(TreatmentPlanVersion).where(
            TreatmentPlanVersion.plan_id == plan.id,
            TreatmentPlanVersion.number == plan.current_version,
        )
    ).one()
    if version.approval_signature_id is None:
        raise StepRefused(
            f"Version {version.number} of treatment plan {plan.id} is not approved yet."
        )
    return version


def _entry_of(
    version: TreatmentPlanVersion,
    therapy: str,
    detail: str | None,
    therapies: AdjunctCatalogue,
) -> dict[str, Any]:
    """The plan's entry for the therapy (and, for one listed with details, that detail)."""
    wanted = (detail or "").strip() or None
    entries = [e for e in version.adjunct_therapies if e["therapy"] == therapy]
    known = therapies.find(therapy)
    if known is not None and known.detail_required:
        entries = [e for e in entries if e.get("detail") == wanted]
    if len(entries) == 1:
        return dict(entries[0])
    listed = ", ".join(
        e["therapy"] + (f" ({e['detail']})" if e.get("detail") else "")
        for e in version.adjunct_therapies
    )
    field = "detail" if known is not None and known.detail_required and wanted else "therapy"
    raise InvalidInput(
        "Not a therapy of the plan",
        [
            FieldError(
                field,
                f"version {version.number} of the plan lists "
                f"{listed or 'no adjunct therapies'}; revise the plan to add one",
            )
        ],
    )


def _load_planned(
    session: Session, actor: Actor, session_id: int
) -> tuple[AdjunctSession, Patient]:
    row, patient = load_of_patient(
        session, actor, AdjunctSession, session_id, "adjunct session", lock=True
    )
    if row.status != "planned":
        raise StepRefused(f"Adjunct session {row.id} is {row.status} already.")
    return row, patient


def _change(
    session: Session,
    actor: Actor,
    row: AdjunctSession,
    patient: Patient,
    version: int,
    values: dict[str, Any],
    action: str,
    reason: str | None,
) -> AdjunctSessionOut:
    old = {key: getattr(row, key) for key in values}
    try:
        update_versioned(
            session, AdjunctSession, AdjunctSession.id == row.id, version, values,
            f"Adjunct session {row.id}",
        )  # fmt: skip
    except Conflict:
        raise Conflict(
            f"Adjunct session {row.id} changed since record version {version} was read; "
            "reload it and try again."
        ) from None
    audit.record(
        session,
        [
            audited(
                actor, at=values["recorded_at"], action=action, entity="adjunct_session",
                entity_id=row.id, patient_id=row.patient_id, old=old, new=values, reason=reason,
            )
        ],
    )  # fmt: skip
    session.refresh(row)
    return _present(row, patient, site_code_of(session, patient), today())


def _day_key(row: AdjunctSession) -> tuple[date, int]:
    day = row.held_on or row.planned_on
    assert day is not None  # a planned session has its day, an unplanned one is held
    return (day, row.id)


def _present(
    row: AdjunctSession,
    patient: Patient,
    site_code: str,
    on: date,
    died_on: date | None = None,
) -> AdjunctSessionOut:
    therapy = adjunct_catalogue().find(row.therapy)
    return AdjunctSessionOut(
        id=row.id,
        patient_id=row.patient_id,
        patient_study_id=patient.study_id,
        site_code=site_code,
        plan_id=row.plan_id,
        plan_version_number=row.plan_version_number,
        therapy=row.therapy,
        label=therapy.label if therapy else None,
        detail=row.detail,
        number=row.number,
        of=row.of_sessions,
        planned_on=row.planned_on,
        held_on=row.held_on,
        provider=row.provider,
        notes=row.notes,
        cancel_reason=row.cancel_reason,
        state=session_state(
            row.planned_on,
            row.held_on,
            row.status == "cancelled"
            and (row.recorded_at is None or clinic_day(row.recorded_at) <= on),
            on,
            died_on,
        ),
        version=row.version,
    )
