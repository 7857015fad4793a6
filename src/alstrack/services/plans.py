"""Treatment plans: drafted on the patient's latest plannable screening, revised, approved.

A plan's content lives in numbered versions, never rewritten: each revision is a new version
with a reason, dosed from the latest weight, and needs its own approval. Approval is a
physician's signature meaning "approved"; an approved autologous plan opens a collection order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from alstrack.domain.eligibility.review import PLANNABLE
from alstrack.domain.plans import (
    DoseBasis,
    DoseResult,
    PlannedAdjunct,
    adjunct_therapies,
    cell_sources,
    check_adjuncts,
    check_schedule,
    dose_per_administration,
    endotoxin_limit,
    routes,
    total_cells,
)
from alstrack.errors import Conflict, FieldError, InvalidInput, NotFound, StepRefused
from alstrack.services.context import Actor, audited, load_patient, now, require_reason, today
from alstrack.services.records import patient_context
from alstrack.services.screenings import standing_of
from alstrack.services.signatures import SignatureOut, present, sign
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    BodyMeasurement,
    CollectionOrder,
    ElectronicSignature,
    Patient,
    Screening,
    TreatmentPlan,
    TreatmentPlanVersion,
)
from alstrack.store.versioning import update_versioned

__all__ = [
    "AdjunctIn",
    "ApprovalIn",
    "PlanIn",
    "PlanOut",
    "PlanRevisionIn",
    "PlanVersionOut",
    "approve_plan",
    "create_plan",
    "get_plan",
    "list_plans",
    "revise_plan",
]

T = TypeVar("T")
# A version's columns beside its content (the content is what creating and revising audit).
_NOT_CONTENT = frozenset(
    {"id", "plan_id", "number", "reason", "created_by", "created_at", "approval_signature_id"}
)


class AdjunctIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    therapy: str = Field(description=f"One of {', '.join(adjunct_therapies().ids())}")
    detail: Annotated[str, Field(max_length=500)] | None = Field(
        default=None, description="What the therapy is; required for `other`"
    )


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Identifiers are 64-bit in the database: a larger one is invalid input, not a server error.
    screening_id: int = Field(
        ge=1,
        le=2**63 - 1,
        description="The patient's latest screening, eligible or with every review accepted",
    )
    cell_source: str = Field(description=f"One of {', '.join(cell_sources().ids())}")
    route: str = Field(description=f"One of {', '.join(routes().ids())}")
    dose_basis: DoseBasis
    cells_per_kg: float | None = Field(default=None, description="Cells per kg (per_kg only)")
    fixed_cells: float | None = Field(default=None, description="Cells per dose (fixed only)")
    administrations: int
    interval_days: int | None = Field(default=None, description="Days between administrations")
    adjunct_therapies: list[AdjunctIn] = Field(default_factory=list)


class PlanRevisionIn(BaseModel):
    """A new version of a plan: its content, the plan version read, and why it changes."""

    model_config = ConfigDict(extra="forbid")
    plan: PlanIn
    version: int = Field(description="The plan's `version` as read (optimistic concurrency)")
    reason: str


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(description="The version number approved: the current one")
    version: int = Field(description="The plan's `version` as read (optimistic concurrency)")


class CellSourceOut(BaseModel):
    id: str
    label: str
    origin: str
    tissue: str


class AdjunctOut(BaseModel):
    therapy: str
    label: str
    detail: str | None


class PlanVersionOut(BaseModel):
    number: int
    screening_id: int
    cell_source: CellSourceOut
    route: str
    dose_basis: str
    cells_per_kg: float | None
    fixed_cells: int | None
    administrations: int
    interval_days: int | None
    adjunct_therapies: list[AdjunctOut]
    weight_kg: float | None = Field(description="The latest weight when this version was written")
    weight_measured_on: date | None
    weight_measurement_id: int | None
    dose_cells: int | None = Field(description="Cells per administration")
    total_cells: int | None = Field(description="Cells over all administrations")
    dose_formula: str
    endotoxin_k_eu_per_kg: float
    endotoxin_limit_eu: float | None = Field(description="Most endotoxin one administration holds")
    endotoxin_formula: str
    endotoxin_source: str
    missing: dict[str, str] = Field(description="Why a value above is null, by its name")
    reason: str | None = Field(description="Why this version revises the one before")
    created_by: int
    created_at: datetime
    approval: SignatureOut | None


class CollectionOrderOut(BaseModel):
    id: int
    plan_version_id: int
    tissue: str
    status: str
    ordered_by: int
    ordered_at: datetime
    version: int


class PlanOut(BaseModel):
    id: int
    patient_id: int
    status: str = Field(description="draft, approved or closed")
    current_version: int = Field(description="The number of the version in force")
    version: int = Field(description="Send it back to revise or approve")
    created_by: int
    created_at: datetime
    versions: list[PlanVersionOut] = Field(description="Every version, oldest first")
    collection_orders: list[CollectionOrderOut]


def create_plan(db: Database, actor: Actor, patient_id: int, data: PlanIn) -> PlanOut:
    """Draft a plan on the patient's latest plannable screening, dosed from the latest weight."""
    actor.require("plans.write")
    adjuncts = _checked(data)
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        _check_grounds(session, patient, data.screening_id)
        at = now()
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
        content = _content(data, adjuncts, _latest_weight(session, patient_id))
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
        return _present(session, plan)


def revise_plan(db: Database, actor: Actor, plan_id: int, data: PlanRevisionIn) -> PlanOut:
    """A new version with a reason, dosed from the latest weight; it needs its own approval."""
    actor.require("plans.write")
    reason = require_reason(data.reason)
    adjuncts = _checked(data.plan, where="plan.")
    with db.transaction() as session:
        plan, patient = _load(session, actor, plan_id, lock=True)
        if plan.status == "closed":
            raise StepRefused(f"Treatment plan {plan_id} is closed; it cannot be revised.")
        old_status, number = plan.status, plan.current_version + 1
        old = _content_of(_current(session, plan))
        update_versioned(
            session,
            TreatmentPlan,
            TreatmentPlan.id == plan_id,
            data.version,
            {"status": "draft", "current_version": number},
            f"Treatment plan {plan_id}",
        )
        _check_grounds(session, patient, data.plan.screening_id, where="plan.")
        at = now()
        content = _content(data.plan, adjuncts, _latest_weight(session, patient.id))
        _add_version(session, actor, plan_id, number, content, reason, at)
        before, after = audit.changed(
            {"status": old_status, "number": number - 1, **old},
            {"status": "draft", "number": number, **content},
        )
        audit.record(
            session,
            [
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
            ],
        )
        session.refresh(plan)
        return _present(session, plan)


def approve_plan(db: Database, actor: Actor, plan_id: int, data: ApprovalIn) -> PlanOut:
    """A physician signs the current version 'approved'; an autologous plan orders a collection."""
    actor.require("plans.approve")
    with db.transaction() as session:
        plan, patient = _load(session, actor, plan_id, lock=True)
        if plan.status == "closed":
            raise StepRefused(f"Treatment plan {plan_id} is closed; it cannot be approved.")
        if data.number != plan.current_version:
            raise Conflict(
                f"Version {data.number} is not the current version of treatment plan {plan_id}; "
                f"version {plan.current_version} is. Reload the plan and approve that one."
            )
        current = _current(session, plan)
        if current.approval_signature_id is not None:
            raise StepRefused(f"Version {current.number} of treatment plan {plan_id} is approved.")
        old_status = plan.status
        update_versioned(
            session,
            TreatmentPlan,
            TreatmentPlan.id == plan_id,
            data.version,
            {"status": "approved"},
            f"Treatment plan {plan_id}",
        )
        _check_grounds(session, patient, current.screening_id)
        _check_approvable(session, plan, current)
        at = now()
        signature = sign(
            session,
            actor,
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
        where = {"patient_id": patient.id, "site_id": patient.site_id}
        entries = [
            audited(
                actor,
                at=at,
                action="approve",
                entity="treatment_plan",
                entity_id=plan_id,
                old={"status": old_status},
                new={
                    "status": "approved",
                    "number": current.number,
                    "signature_id": signature.id,
                    "meaning": "approved",
                },
                **where,
            )
        ]
        order = _order_collection(session, actor, plan, current, at)
        if order is not None:
            new = {k: getattr(order, k) for k in ("plan_id", "plan_version_id", "tissue", "status")}
            entries.append(
                audited(
                    actor,
                    at=at,
                    action="create",
                    entity="collection_order",
                    entity_id=order.id,
                    new=new,
                    **where,
                )
            )
        audit.record(session, entries)
        session.refresh(plan)
        return _present(session, plan)


def get_plan(db: Database, actor: Actor, plan_id: int) -> PlanOut:
    actor.require("plans.read")
    with db.read() as session:
        return _present(session, _load(session, actor, plan_id)[0])


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
        return [_present(session, row) for row in rows]


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
    _collect(
        errors,
        lambda: dose_per_administration(
            data.dose_basis,
            cells_per_kg=data.cells_per_kg,
            fixed_cells=data.fixed_cells,
            weight_kg=None,
        ),
    )
    _collect(errors, lambda: check_schedule(data.administrations, data.interval_days))
    planned = [PlannedAdjunct(item.therapy, item.detail) for item in data.adjunct_therapies]
    adjuncts = _collect(errors, lambda: check_adjuncts(planned))
    if errors or adjuncts is None:
        fields = [FieldError(f"{where}{error.field}", error.message) for error in errors]
        raise InvalidInput("Invalid treatment plan", fields)
    return adjuncts


def _collect(errors: list[FieldError], check: Callable[[], T]) -> T | None:
    try:
        return check()
    except InvalidInput as exc:
        errors.extend(exc.fields)
        return None


def _check_grounds(session: Session, patient: Patient, screening_id: int, where: str = "") -> None:
    """Refuse a plan after a death, or one not on the patient's latest plannable screening."""
    death = patient_context(session, patient).death_date
    if death is not None:
        raise StepRefused(f"Patient {patient.id} has a recorded death ({death}).")
    screening = session.get(Screening, screening_id)
    if screening is None or screening.patient_id != patient.id:
        raise InvalidInput.for_field(
            f"{where}screening_id", f"no screening {screening_id} of this patient"
        )
    latest = session.scalars(
        select(Screening.id)
        .where(Screening.patient_id == patient.id)
        .order_by(Screening.id.desc())
        .limit(1)
    ).one()
    if latest != screening_id:
        raise StepRefused(
            f"Screening {screening_id} is superseded by the patient's newer screening {latest}; "
            "a plan rests on the latest screening."
        )
    status = standing_of(session, screening)
    if status not in PLANNABLE:
        raise StepRefused(
            f"Screening {screening_id} is {status.replace('_', ' ')}; a plan rests on an eligible "
            "screening or one whose reviews were all accepted."
        )


def _check_approvable(session: Session, plan: TreatmentPlan, row: TreatmentPlanVersion) -> None:
    """Refuse a version whose dose or endotoxin limit is missing or rests on an older weight."""
    what = f"Version {row.number} of treatment plan {plan.id}"
    latest = _latest_weight(session, plan.patient_id)
    if (latest.id if latest is not None else None) != row.weight_measurement_id:
        used = (
            f"{row.weight_kg:g} kg of {row.weight_measured_on}"
            if row.weight_kg is not None
            else "no weight"
        )
        now_ = (
            f"the latest weight is {latest.weight_kg:g} kg of {latest.assessed_on}"
            if latest is not None
            else "no weight is current now"
        )
        raise StepRefused(
            f"{what} was computed from {used}; {now_}. "
            "Revise the plan to compute the dose and endotoxin limit again."
        )
    missing = _missing(row)
    if missing:
        raise StepRefused(f"{what} cannot be approved: {'; '.join(missing.values())}.")


def _latest_weight(session: Session, patient_id: int) -> BodyMeasurement | None:
    """The patient's latest current weight on or before today."""
    return session.scalars(
        select(BodyMeasurement)
        .where(
            BodyMeasurement.patient_id == patient_id,
            BodyMeasurement.status == "current",
            BodyMeasurement.weight_kg.is_not(None),
            BodyMeasurement.assessed_on <= today(),
        )
        .order_by(BodyMeasurement.assessed_on.desc(), BodyMeasurement.id.desc())
        .limit(1)
    ).first()


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
        "adjunct_therapies": [{"therapy": a.therapy, "detail": a.detail} for a in adjuncts],
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


def _order_collection(
    session: Session, actor: Actor, plan: TreatmentPlan, row: TreatmentPlanVersion, at: datetime
) -> CollectionOrder | None:
    """Order the patient's tissue for autologous cells unless that order is open already.

    An open order for other tissue (or for an allogeneic plan, none) is refused rather than
    left beside the plan: collecting tissue is invasive, so no order may ask for the wrong one.
    """
    source = cell_sources().get(row.cell_source, field="cell_source")
    needed = source.tissue if source.requires_collection else None
    open_orders = session.scalars(
        select(CollectionOrder).where(
            CollectionOrder.plan_id == plan.id, CollectionOrder.status == "open"
        )
    ).all()
    for order in open_orders:
        if order.tissue != needed:
            raise StepRefused(
                f"Collection order {order.id} for {order.tissue.replace('_', ' ')} is open, and "
                f"version {row.number} uses {source.label}; cancel the order before approving."
            )
    if needed is None or open_orders:
        return None
    order = CollectionOrder(
        patient_id=plan.patient_id,
        plan_id=plan.id,
        plan_version_id=row.id,
        tissue=needed,
        status="open",
        ordered_by=actor.user_id,
        ordered_at=at,
        version=1,
    )
    session.add(order)
    session.flush()
    return order


def _load(
    session: Session, actor: Actor, plan_id: int, *, lock: bool = False
) -> tuple[TreatmentPlan, Patient]:
    row = session.get(TreatmentPlan, plan_id)
    if row is None:
        raise NotFound(f"No treatment plan {plan_id}.")
    try:
        patient = load_patient(session, actor, row.patient_id, lock=lock)
    except NotFound:
        raise NotFound(f"No treatment plan {plan_id}.") from None
    if lock:
        session.refresh(row)  # as it stands once this writer holds the patient
    return row, patient


def _current(session: Session, plan: TreatmentPlan) -> TreatmentPlanVersion:
    return session.scalars(
        select(TreatmentPlanVersion).where(
            TreatmentPlanVersion.plan_id == plan.id,
            TreatmentPlanVersion.number == plan.current_version,
        )
    ).one()


def _missing(row: TreatmentPlanVersion) -> dict[str, str]:
    """Why the dose, the total or the endotoxin limit of a version is null."""
    missing: dict[str, str] = {}
    if row.dose_cells is None:
        missing["dose_cells"] = _dose(row).missing or "the dose could not be computed"
        missing["total_cells"] = "needs the dose per administration"
    if row.endotoxin_limit_eu is None:
        limit = endotoxin_limit(row.route, row.weight_kg)
        missing["endotoxin_limit_eu"] = limit.missing or "the limit could not be computed"
    return missing


def _dose(row: TreatmentPlanVersion) -> DoseResult:
    basis: DoseBasis = "fixed" if row.dose_basis == "fixed" else "per_kg"
    return dose_per_administration(
        basis, cells_per_kg=row.cells_per_kg, fixed_cells=row.fixed_cells, weight_kg=row.weight_kg
    )


def _present_version(
    row: TreatmentPlanVersion, signature: ElectronicSignature | None
) -> PlanVersionOut:
    source = cell_sources().get(row.cell_source, field="cell_source")
    therapies = adjunct_therapies()
    dose_cells = int(row.dose_cells) if row.dose_cells is not None else None
    limit = endotoxin_limit(row.route, row.weight_kg)
    return PlanVersionOut(
        number=row.number,
        screening_id=row.screening_id,
        cell_source=CellSourceOut(
            id=source.id, label=source.label, origin=source.origin, tissue=source.tissue
        ),
        route=row.route,
        dose_basis=row.dose_basis,
        cells_per_kg=row.cells_per_kg,
        fixed_cells=int(row.fixed_cells) if row.fixed_cells is not None else None,
        administrations=row.administrations,
        interval_days=row.interval_days,
        adjunct_therapies=[
            AdjunctOut(
                therapy=item["therapy"],
                label=therapies.get(item["therapy"], field="adjunct_therapies").label,
                detail=item.get("detail"),
            )
            for item in row.adjunct_therapies
        ],
        weight_kg=row.weight_kg,
        weight_measured_on=row.weight_measured_on,
        weight_measurement_id=row.weight_measurement_id,
        dose_cells=dose_cells,
        total_cells=total_cells(dose_cells, row.administrations)
        if dose_cells is not None
        else None,
        dose_formula=_dose(row).formula,
        endotoxin_k_eu_per_kg=row.endotoxin_k_eu_per_kg,
        endotoxin_limit_eu=row.endotoxin_limit_eu,
        endotoxin_formula=limit.formula,
        endotoxin_source=limit.source,
        missing=_missing(row),
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        approval=present(signature) if signature is not None else None,
    )


def _present(session: Session, plan: TreatmentPlan) -> PlanOut:
    versions = session.execute(
        select(TreatmentPlanVersion, ElectronicSignature)
        .outerjoin(
            ElectronicSignature,
            ElectronicSignature.id == TreatmentPlanVersion.approval_signature_id,
        )
        .where(TreatmentPlanVersion.plan_id == plan.id)
        .order_by(TreatmentPlanVersion.number)
    )
    orders = session.scalars(
        select(CollectionOrder)
        .where(CollectionOrder.plan_id == plan.id)
        .order_by(CollectionOrder.id)
    )
    return PlanOut(
        id=plan.id,
        patient_id=plan.patient_id,
        status=plan.status,
        current_version=plan.current_version,
        version=plan.version,
        created_by=plan.created_by,
        created_at=plan.created_at,
        versions=[_present_version(row, signature) for row, signature in versions],
        collection_orders=[
            CollectionOrderOut(
                id=o.id,
                plan_version_id=o.plan_version_id,
                tissue=o.tissue,
                status=o.status,
                ordered_by=o.ordered_by,
                ordered_at=o.ordered_at,
                version=o.version,
            )
            for o in orders
        ],
    )
