"""Treatment plans as read: every version as it was written, whatever the catalogues say today.

A version is shown from what was stored: its ids, its weight, its dose, its K and its limit. A
catalogue id that is no longer known shows with a null label instead of failing the read.

An allogeneic plan also lists today's suitable lots (``suitable_lots``), for its current version:
released or in-inventory lots of its cell source, allocated to no one, unexpired, of an eligible
donor, holding the dose per administration. An autologous plan has none (the field is absent).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.isbt128 import check_character, format_din, parse_din
from alstrack.domain.plan_readiness import lumbar_puncture_checks
from alstrack.domain.plans import (
    cell_sources,
    dose_formula,
    endotoxin_formula,
    missing_values,
    routes,
)
from alstrack.domain.products import State
from alstrack.services.adjunct_catalogue import adjunct_catalogue
from alstrack.services.context import Actor, now
from alstrack.services.plan_checks import by_lumbar_puncture
from alstrack.services.signatures import SignatureOut, present
from alstrack.store.models import (
    CollectionOrder,
    Donor,
    ElectronicSignature,
    Product,
    Screening,
    TreatmentPlan,
    TreatmentPlanVersion,
)

__all__ = [
    "AdjunctOut",
    "CellSourceOut",
    "CollectionOrderOut",
    "PlanOut",
    "PlanVersionOut",
    "ProcedureCheckOut",
    "SuitableLotOut",
    "present_order",
    "present_plan",
]

# Released lots count before they are placed in inventory: both passed QC and QA's release.
_AVAILABLE = (State.RELEASED.value, State.IN_INVENTORY.value)


class CellSourceOut(BaseModel):
    id: str
    label: str | None = Field(description="Null when the id is no longer in the catalogue")
    origin: str | None
    tissue: str | None


class AdjunctOut(BaseModel):
    therapy: str
    label: str | None = Field(description="Null when the id is no longer in the catalogue")
    detail: str | None
    sessions: int | None = Field(default=None, description="How many sessions the plan asks for")
    every_days: int | None = Field(default=None, description="Days between the sessions")


class ProcedureCheckOut(BaseModel):
    id: str = Field(description="A lumbar-puncture criterion of the screening, e.g. LP-INR-001")
    result: str = Field(description="MISSING or REVIEW")
    reason: str | None


class PlanVersionOut(BaseModel):
    number: int = Field(description="The plan version number: which version of the content")
    screening_id: int
    cell_source: CellSourceOut
    route: str
    dose_basis: str
    cells_per_kg: float | None
    fixed_cells: int | None
    administrations: int
    interval_days: int | None
    adjunct_therapies: list[AdjunctOut]
    follow_up_schedule: str = Field(description="The follow-up schedule its doses schedule")
    weight_kg: float | None = Field(description="The latest weight when this version was written")
    weight_measured_on: date | None
    weight_measurement_id: int | None
    dose_cells: int | None = Field(description="Cells per administration")
    total_cells: int | None = Field(description="Cells over all administrations")
    dose_formula: str
    endotoxin_k_eu_per_kg: float = Field(description="K as stored when the version was written")
    endotoxin_limit_eu: float | None = Field(description="Most endotoxin one administration holds")
    endotoxin_formula: str
    endotoxin_source: str | None = Field(
        description="The catalogue's source for K; null if the route or its K changed since"
    )
    missing: dict[str, str] = Field(description="Why a value above is null, by its name")
    procedure_checks_open: list[ProcedureCheckOut] = Field(
        description="Intrathecal only: the screening's lumbar-puncture checks still MISSING or "
        "under REVIEW, for the physician; all are judged again at the bedside"
    )
    reason: str | None = Field(description="Why this version revises the one before")
    created_by: int
    created_at: datetime
    approval: SignatureOut | None


class CollectionOrderOut(BaseModel):
    id: int
    plan_id: int
    plan_version_id: int
    tissue: str
    status: str = Field(description="open, collected or cancelled")
    ordered_by: int
    ordered_at: datetime
    version: int = Field(description="The order's record version: send it back to cancel")


class SuitableLotOut(BaseModel):
    """An allogeneic lot that could be given under the plan's current version today."""

    din: str
    eye_readable: str
    check_character: str
    state: str = Field(description="released, or in_inventory once placed there")
    vials: int
    viable_cells_per_vial: float
    viable_cells: float = Field(description="vials × viable_cells_per_vial")
    expires_at: datetime
    storage_location: str | None


class PlanOut(BaseModel):
    id: int
    patient_id: int
    status: str = Field(description="draft, approved or closed")
    current_version: int = Field(description="The plan version number in force")
    version: int = Field(
        description="The plan's record version (optimistic concurrency), not a plan version "
        "number: send it back to revise, approve or close"
    )
    created_by: int
    created_at: datetime
    versions: list[PlanVersionOut] = Field(description="Every version, oldest first")
    collection_orders: list[CollectionOrderOut]
    suitable_lots: list[SuitableLotOut] | None = Field(
        default=None,
        description="Allogeneic current version: the lots that fit it today, soonest expiry "
        "first; empty when none fit or cannot be listed (the current version's `missing` says "
        "why). Null for an autologous plan",
    )


def present_plan(session: Session, plan: TreatmentPlan, actor: Actor) -> PlanOut:
    rows = session.execute(
        select(TreatmentPlanVersion, ElectronicSignature)
        .outerjoin(
            ElectronicSignature,
            ElectronicSignature.id == TreatmentPlanVersion.approval_signature_id,
        )
        .where(TreatmentPlanVersion.plan_id == plan.id)
        .order_by(TreatmentPlanVersion.number)
    ).all()
    criteria = _criteria(session, {row.screening_id for row, _ in rows})
    orders = session.scalars(
        select(CollectionOrder)
        .where(CollectionOrder.plan_id == plan.id)
        .order_by(CollectionOrder.id)
    )
    versions = [
        _present_version(
            row,
            present(session, signature) if signature is not None else None,
            criteria.get(row.screening_id, []),
        )
        for row, signature in rows
    ]
    current = next(row for row, _ in rows if row.number == plan.current_version)
    lots, why = _suitable_lots(session, actor, current)
    if why is not None:
        next(v for v in versions if v.number == current.number).missing["suitable_lots"] = why
    return PlanOut(
        id=plan.id,
        patient_id=plan.patient_id,
        status=plan.status,
        current_version=plan.current_version,
        version=plan.version,
        created_by=plan.created_by,
        created_at=plan.created_at,
        versions=versions,
        collection_orders=[present_order(order) for order in orders],
        suitable_lots=lots,
    )


def present_order(order: CollectionOrder) -> CollectionOrderOut:
    return CollectionOrderOut(
        id=order.id,
        plan_id=order.plan_id,
        plan_version_id=order.plan_version_id,
        tissue=order.tissue,
        status=order.status,
        ordered_by=order.ordered_by,
        ordered_at=order.ordered_at,
        version=order.version,
    )


def _suitable_lots(
    session: Session, actor: Actor, row: TreatmentPlanVersion
) -> tuple[list[SuitableLotOut] | None, str | None]:
    """The lots that fit the version today, and why none are listed when that is not known."""
    source = cell_sources().find(row.cell_source)
    if source is None or source.origin != "allogeneic":
        return None, None
    if not actor.can("products.read"):
        return [], f"not shown: the {actor.role} role may not read products (products.read)"
    if row.dose_cells is None:
        return [], "needs the dose per administration"
    at = now()
    candidates = session.scalars(
        select(Product)
        .join(Donor, Donor.id == Product.donor_id)
        .where(
            Product.kind == "allogeneic",
            Product.cell_source == row.cell_source,
            Product.state.in_(_AVAILABLE),
            Product.patient_id.is_(None),  # allocated to no one: no site, every reader sees it
            Donor.eligibility == "eligible",
        )
    )
    lots = []
    for lot in candidates:
        if lot.expires_at is None or lot.expires_at <= at:
            continue
        if lot.vials is None or lot.viable_cells_per_vial is None:
            continue
        cells = lot.vials * lot.viable_cells_per_vial
        if cells < row.dose_cells:
            continue
        din = parse_din(lot.din)
        lots.append(
            SuitableLotOut(
                din=lot.din,
                eye_readable=format_din(din),
                check_character=check_character(din),
                state=lot.state,
                vials=lot.vials,
                viable_cells_per_vial=lot.viable_cells_per_vial,
                viable_cells=cells,
                expires_at=lot.expires_at,
                storage_location=lot.storage_location,
            )
        )
    return sorted(lots, key=lambda lot: (lot.expires_at, lot.din)), None


def _criteria(session: Session, screening_ids: Iterable[int]) -> dict[int, list[dict[str, object]]]:
    rows = session.execute(
        select(Screening.id, Screening.criteria).where(Screening.id.in_(list(screening_ids)))
    )
    return {screening_id: criteria for screening_id, criteria in rows}


def _present_version(
    row: TreatmentPlanVersion,
    approval: SignatureOut | None,
    criteria: list[dict[str, object]],
) -> PlanVersionOut:
    # Only stored values and today's labels: nothing here is checked against today's catalogues.
    source = cell_sources().find(row.cell_source)
    therapies = adjunct_catalogue()
    route = routes().find(row.route)
    same_k = route is not None and route.endotoxin_k_eu_per_kg == row.endotoxin_k_eu_per_kg
    dose_cells = int(row.dose_cells) if row.dose_cells is not None else None
    checks = lumbar_puncture_checks(criteria) if by_lumbar_puncture(row.route) else ()
    return PlanVersionOut(
        number=row.number,
        screening_id=row.screening_id,
        cell_source=CellSourceOut(
            id=row.cell_source,
            label=source.label if source else None,
            origin=source.origin if source else None,
            tissue=source.tissue if source else None,
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
                label=found.label if (found := therapies.find(item["therapy"])) else None,
                detail=item.get("detail"),
                sessions=item.get("sessions"),
                every_days=item.get("every_days"),
            )
            for item in row.adjunct_therapies
        ],
        follow_up_schedule=row.follow_up_schedule,
        weight_kg=row.weight_kg,
        weight_measured_on=row.weight_measured_on,
        weight_measurement_id=row.weight_measurement_id,
        dose_cells=dose_cells,
        total_cells=dose_cells * row.administrations if dose_cells is not None else None,
        dose_formula=dose_formula(
            row.dose_basis, row.cells_per_kg, row.fixed_cells, row.weight_kg, row.dose_cells
        ),
        endotoxin_k_eu_per_kg=row.endotoxin_k_eu_per_kg,
        endotoxin_limit_eu=row.endotoxin_limit_eu,
        endotoxin_formula=endotoxin_formula(
            row.route, row.endotoxin_k_eu_per_kg, row.weight_kg, row.endotoxin_limit_eu
        ),
        endotoxin_source=route.source if route is not None and same_k else None,
        missing=missing_values(
            row.dose_basis, row.weight_kg, row.dose_cells, row.endotoxin_limit_eu
        ),
        procedure_checks_open=[
            ProcedureCheckOut(id=c.id, result=c.result, reason=c.reason)
            for c in checks
            if c.result != "FAIL"
        ],
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        approval=approval,
    )
