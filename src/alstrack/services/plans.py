"""Treatment plans: drafted on a screening made for now, revised, approved and closed.

A plan's content lives in numbered versions, never rewritten: each revision is a new version
(the next *plan version number*, `number`) with a reason, dosed from the latest weight, and needs
its own approval. The plan row's `version` is a different counter: its *record version*, sent
back with every change so that a stale write loses (optimistic concurrency). Approval is a
physician's signature meaning "approved"; an approved autologous plan opens a collection order,
and a plan whose follow-up schedule has lead-in visits schedules them from the approval's day.
A patient has one active (draft or approved) plan at a time. Closing a plan cancels its open
collection orders, its lead-in visits not yet made and its planned adjunct sessions; a revision
cancels those orders, the lead-in visits if it changes the schedule, and the planned sessions of
a therapy it drops.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alstrack.domain.follow_up import follow_up_schedules
from alstrack.domain.plans import (
    ADJUNCT_SESSIONS_MAX,
    DoseBasis,
    PlannedAdjunct,
    adjunct_therapies,
    cell_sources,
    check_adjuncts,
    check_schedule,
    dose_per_administration,
    endotoxin_limit,
    routes,
)
from alstrack.errors import Conflict, FieldError, InvalidInput, StepRefused
from alstrack.services.adjunct_catalogue import adjunct_catalogue
from alstrack.services.adjuncts import cancel_planned_sessions
from alstrack.services.collection_orders import cancel_open_orders, order_collection
from alstrack.services.context import (
    Actor,
    audited,
    load_of_patient,
    load_patient,
    now,
    require_reason,
)
from alstrack.services.fields import Number, RecordId, Version, WholeNumber
from alstrack.services.plan_checks import (
    check_approvable,
    check_grounds,
    check_no_active_plan,
    collect,
    latest_weight,
    version_name,
)
from alstrack.services.plan_views import PlanOut, PlanVersionOut, present_plan
from alstrack.services.signatures import SIGNING_HELP, confirm, sign
from alstrack.services.visits import cancel_visits, pending_lead_in, schedule_before_first_dose
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import BodyMeasurement, Patient, TreatmentPlan, TreatmentPlanVersion
from alstrack.store.versioning import update_versioned

__all__ = [
    "AdjunctIn",
    "ApprovalIn",
    "CloseIn",
    "PlanIn",
    "PlanOut",
    "PlanRevisionIn",
    "PlanVersionOut",
    "approve_plan",
    "close_plan",
    "create_plan",
    "get_plan",
    "list_plans",
    "revise_plan",
]

_RECORD_VERSION = (
    "The plan's record `version` as read (optimistic concurrency), not a plan version number"
)
# A version's columns beside its content (the content is what creating and revising audit).
_NOT_CONTENT = frozenset(
    {"id", "plan_id", "number", "reason", "created_by", "created_at", "approval_signature_id"}
)


class AdjunctIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    therapy: str = Field(
        description=f"One of {', '.join(adjunct_therapies().ids())} or the programme's own "
        "(GET /adjunct-therapies lists the catalogue in force)"
    )
    detail: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="What the therapy is; required for `other`"
    )
    sessions: WholeNumber | None = Field(
        default=None,
        description=f"How many sessions (1–{ADJUNCT_SESSIONS_MAX}); "
        "POST /plans/{id}/adjunct-sessions plans them",
    )
    every_days: WholeNumber | None = Field(
        default=None, description="Days between sessions; needed for two or more"
    )


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    screening_id: RecordId = Field(
        description="The patient's latest screening, eligible or with every review accepted, "
        "made for now (see docs/plans.md)",
    )
    cell_source: str = Field(description=f"One of {', '.join(cell_sources().ids())}")
    route: str = Field(description=f"One of {', '.join(routes().ids())}")
    dose_basis: DoseBasis
    cells_per_kg: Number | None = Field(default=None, description="Cells per kg (per_kg only)")
    fixed_cells: Number | None = Field(default=None, description="Cells per dose (fixed only)")
    administrations: WholeNumber
    interval_days: WholeNumber | None = Field(
        default=None, description="Days between administrations"
    )
    adjunct_therapies: list[AdjunctIn] = Field(default_factory=list)
    follow_up_schedule: str | None = Field(
        default=None,
        description="The follow-up schedule its doses (and, for a lead-in schedule, its "
        f"approval) schedule: one of {', '.join(s.id for s in follow_up_schedules().schedules)}; "
        f"default {follow_up_schedules().default}",
    )


class PlanRevisionIn(BaseModel):
    """A new version of a plan: its content, the plan's record version as read, and why."""

    model_config = ConfigDict(extra="forbid")
    plan: PlanIn
    version: Version = Field(description=_RECORD_VERSION)
    reason: str


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Version = Field(
        description="The plan version number approved: the current one (`current_version`)"
    )
    version: Version = Field(description=_RECORD_VERSION)
    password: SecretStr = Field(description=SIGNING_HELP)


class CloseIn(BaseModel):
    """Close a plan: its record version as read, and why (it cancels the plan's open orders)."""

    model_config = ConfigDict(extra="forbid")
    version: Version = Field(description=_RECORD_VERSION)
    reason: str


def create_plan(db: Database, actor: Actor, patient_id: int, data: PlanIn) -> PlanOut:
    """Draft a plan on the patient's latest screening made for now, dosed from the latest weight."""
    actor.require("plans.write")
    adjuncts = _checked(data)
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        at = now()
        check_no_active_plan(session, patient)
        check_grounds(session, patient, data.screening_id, at)
        plan = TreatmentPlan(
            patient_id=patient_id,
            status="draft",
            current_version=1,
            created_by=actor.user_id,
            created_at=at,
            version=1,
        )
        session.add(plan)
        session.flush()
        content = _content(data, adjuncts, latest_weight(session, patient_id))
        _add_version(session, actor, plan.id, 1, content, None, at)
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="create",
                    entity="treatment_plan",
                    entity_id=plan.id,
                    patient_id=patient_id,
                    site_id=patient.site_id,
                    new={"status": "draft", "number": 1, **content},
                )
            ],
        )
        return present_plan(session, plan, actor)


def revise_plan(db: Database, actor: Actor, plan_id: int, data: PlanRevisionIn) -> PlanOut:
    """A new version with a reason, dosed from the latest weight; it needs its own approval.

    The plan's open collection orders are cancelled: they were ordered for an approved version,
    and the new version is not approved.
    """
    actor.require("plans.write")
    reason = require_reason(data.reason)
    adjuncts = _checked(data.plan, where="plan.")
    with db.transaction() as session:
        plan, patient = _load(session, actor, plan_id, lock=True)
        if plan.status == "closed":
            raise StepRefused(f"Treatment plan {plan_id} is closed; it cannot be revised.")
        old_status, number = plan.status, plan.current_version + 1
        old = _content_of(_current(session, plan))
        _update(session, plan_id, data.version, {"status": "draft", "current_version": number})
        at = now()
        check_grounds(session, patient, data.plan.screening_id, at, where="plan.")
        content = _content(data.plan, adjuncts, latest_weight(session, patient.id))
        _add_version(session, actor, plan_id, number, content, reason, at)
        before, after = audit.changed(
            {"status": old_status, "number": number - 1, **old},
            {"status": "draft", "number": number, **content},
        )
        entries = [
            audited(
                actor,
                at=at,
                action="revise",
                entity="treatment_plan",
                entity_id=plan_id,
                patient_id=patient.id,
                site_id=patient.site_id,
                old=before,
                new=after,
                reason=reason,
            )
        ]
        why = f"plan revised to version {number}: {reason}"
        entries += cancel_open_orders(session, actor, plan, patient, why, at)
        if content["follow_up_schedule"] != old["follow_up_schedule"]:
            lead_in = pending_lead_in(session, plan.id)
            entries += cancel_visits(session, actor, patient, lead_in, why, at)
        kept = {(a["therapy"], a.get("detail")) for a in content["adjunct_therapies"]}
        entries += cancel_planned_sessions(session, actor, patient, plan.id, why, keep=kept)
        audit.record(session, entries)
        session.refresh(plan)
        return present_plan(session, plan, actor)


def approve_plan(db: Database, actor: Actor, plan_id: int, data: ApprovalIn) -> PlanOut:
    """A physician signs the current version 'approved'; an autologous plan orders a collection."""
    actor.require("plans.approve")
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        plan, patient = _load(session, actor, plan_id, lock=True)
        if plan.status == "closed":
            raise StepRefused(f"Treatment plan {plan_id} is closed; it cannot be approved.")
        if data.number != plan.current_version:
            raise Conflict(
                f"Plan version number {data.number} is not the current one of treatment plan "
                f"{plan_id}; plan version number {plan.current_version} is. Reload the plan and "
                "approve that one."
            )
        current = _current(session, plan)
        if current.approval_signature_id is not None:
            raise StepRefused(f"{version_name(plan, current)} is approved already.")
        old_status = plan.status
        _update(session, plan_id, data.version, {"status": "approved"})
        at = now()
        screening = check_grounds(session, patient, current.screening_id, at)
        source = check_approvable(session, plan, current, screening)
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="approved",
            entity="treatment_plan",
            entity_id=f"{plan_id}/{current.number}",
            at=at,
        )
        session.execute(
            update(TreatmentPlanVersion)
            .where(TreatmentPlanVersion.id == current.id)
            .values(approval_signature_id=signature.id)
            .execution_options(synchronize_session=False)
        )
        entries = [
            audited(
                actor,
                at=at,
                action="approve",
                entity="treatment_plan",
                entity_id=plan_id,
                patient_id=patient.id,
                site_id=patient.site_id,
                old={"status": old_status},
                new={
                    "status": "approved",
                    "number": current.number,
                    "signature_id": signature.id,
                    "meaning": "approved",
                },
            )
        ]
        entries += order_collection(session, actor, plan, current, source, patient, at)
        entries += schedule_before_first_dose(
            session, actor, patient, plan.id, current.follow_up_schedule, at
        )
        audit.record(session, entries)
        session.refresh(plan)
        return present_plan(session, plan, actor)


def close_plan(db: Database, actor: Actor, plan_id: int, data: CloseIn) -> PlanOut:
    """Close a draft or approved plan with a reason; its open collection orders are cancelled."""
    actor.require("plans.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        plan, patient = _load(session, actor, plan_id, lock=True)
        if plan.status == "closed":
            raise StepRefused(f"Treatment plan {plan_id} is closed already.")
        old_status = plan.status
        _update(session, plan_id, data.version, {"status": "closed"})
        at = now()
        entries = [
            audited(
                actor,
                at=at,
                action="close",
                entity="treatment_plan",
                entity_id=plan_id,
                patient_id=patient.id,
                site_id=patient.site_id,
                old={"status": old_status},
                new={"status": "closed"},
                reason=reason,
            )
        ]
        entries += cancel_open_orders(session, actor, plan, patient, reason, at)
        why = f"plan closed: {reason}"
        entries += cancel_visits(
            session, actor, patient, pending_lead_in(session, plan.id), why, at
        )
        entries += cancel_planned_sessions(session, actor, patient, plan.id, why)
        audit.record(session, entries)
        session.refresh(plan)
        return present_plan(session, plan, actor)


def get_plan(db: Database, actor: Actor, plan_id: int) -> PlanOut:
    actor.require("plans.read")
    with db.read() as session:
        return present_plan(session, _load(session, actor, plan_id)[0], actor)


def list_plans(db: Database, actor: Actor, patient_id: int) -> list[PlanOut]:
    """A patient's plans, newest first."""
    actor.require("plans.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        rows = session.scalars(
            select(TreatmentPlan)
            .where(TreatmentPlan.patient_id == patient_id)
            .order_by(TreatmentPlan.id.desc())
        )
        return [present_plan(session, row, actor) for row in rows]


def _checked(data: PlanIn, where: str = "") -> tuple[PlannedAdjunct, ...]:
    """Every field at fault in one error, each naming what is allowed; the adjuncts as checked.

    ``where`` prefixes the field names: a revision holds the plan under ``plan``.
    """
    errors: list[FieldError] = []
    if cell_sources().find(data.cell_source) is None:
        errors.append(cell_sources().unknown(data.cell_source, "cell_source"))
    if routes().find(data.route) is None:
        errors.append(routes().unknown(data.route, "route"))
    # The weight comes later, from the record; without it the dose inputs are checked alone.
    collect(
        errors,
        lambda: dose_per_administration(
            data.dose_basis,
            cells_per_kg=data.cells_per_kg,
            fixed_cells=data.fixed_cells,
            weight_kg=None,
        ),
    )
    collect(errors, lambda: check_schedule(data.administrations, data.interval_days))
    try:
        follow_up_schedules().get(data.follow_up_schedule)
    except InvalidInput as error:
        errors += [FieldError("follow_up_schedule", f.message) for f in error.fields]
    planned = [
        PlannedAdjunct(item.therapy, item.detail, item.sessions, item.every_days)
        for item in data.adjunct_therapies
    ]
    adjuncts = collect(errors, lambda: check_adjuncts(planned, adjunct_catalogue()))
    if errors or adjuncts is None:
        fields = [FieldError(f"{where}{error.field}", error.message) for error in errors]
        raise InvalidInput("Invalid treatment plan", fields)
    return adjuncts


def _content(
    data: PlanIn, adjuncts: tuple[PlannedAdjunct, ...], weight: BodyMeasurement | None
) -> dict[str, Any]:
    """A version's content: the plan as checked, the weight, and the dose and limit from it."""
    kg = weight.weight_kg if weight is not None else None
    dose = dose_per_administration(
        data.dose_basis, cells_per_kg=data.cells_per_kg, fixed_cells=data.fixed_cells, weight_kg=kg
    )
    limit = endotoxin_limit(data.route, kg)
    return {
        "screening_id": data.screening_id,
        "cell_source": data.cell_source,
        "route": data.route,
        "dose_basis": data.dose_basis,
        "cells_per_kg": data.cells_per_kg,
        "fixed_cells": data.fixed_cells,
        "administrations": data.administrations,
        "interval_days": data.interval_days,
        "adjunct_therapies": [
            {"therapy": a.therapy, "detail": a.detail}
            | ({"sessions": a.sessions, "every_days": a.every_days} if a.sessions else {})
            for a in adjuncts
        ],
        "follow_up_schedule": follow_up_schedules().get(data.follow_up_schedule).id,
        "weight_kg": kg,
        "weight_measured_on": weight.assessed_on if weight is not None else None,
        "weight_measurement_id": weight.id if weight is not None else None,
        "dose_cells": dose.dose_cells,
        "endotoxin_k_eu_per_kg": limit.k_eu_per_kg,
        "endotoxin_limit_eu": limit.limit_eu_per_dose,
    }


def _content_of(row: TreatmentPlanVersion) -> dict[str, Any]:
    columns = TreatmentPlanVersion.__table__.columns
    content = {c.key: getattr(row, c.key) for c in columns if c.key not in _NOT_CONTENT}
    if row.dose_cells is not None:
        content["dose_cells"] = int(row.dose_cells)
    return content


def _add_version(
    session: Session,
    actor: Actor,
    plan_id: int,
    number: int,
    content: dict[str, Any],
    reason: str | None,
    at: datetime,
) -> None:
    session.add(
        TreatmentPlanVersion(
            plan_id=plan_id,
            number=number,
            **content,
            reason=reason,
            created_by=actor.user_id,
            created_at=at,
        )
    )
    session.flush()


def _load(
    session: Session, actor: Actor, plan_id: int, *, lock: bool = False
) -> tuple[TreatmentPlan, Patient]:
    return load_of_patient(session, actor, TreatmentPlan, plan_id, "treatment plan", lock=lock)


def _current(session: Session, plan: TreatmentPlan) -> TreatmentPlanVersion:
    return session.scalars(
        select(TreatmentPlanVersion).where(
            TreatmentPlanVersion.plan_id == plan.id,
            TreatmentPlanVersion.number == plan.current_version,
        )
    ).one()


def _update(session: Session, plan_id: int, version: int, values: dict[str, Any]) -> None:
    """Change the plan row if it is still at the record version read; else 409."""
    try:
        update_versioned(
            session, TreatmentPlan, TreatmentPlan.id == plan_id, version, values, "Treatment plan"
        )
    except Conflict:
        raise Conflict(
            f"Treatment plan {plan_id} changed since record version {version} was read (the "
            "plan's `version`, not a plan version number); reload it and try again."
        ) from None
