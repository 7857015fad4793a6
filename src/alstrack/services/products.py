"""Cell products: allogeneic lots and autologous products registered under a DIN, and traced.

A lot is registered for an eligible-or-pending donor in the lifecycle's first allogeneic state
(donor screened); an autologous product is registered from the patient's open collection order,
in the first autologous state (ordered), with the cell source of the order's plan version. The
DIN is given (and checked, check character included) or assigned in the same transaction.
Steps, results and deviations have their own modules (product_steps, product_results,
deviations).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.isbt128 import parse_din
from alstrack.domain.plans import cell_sources
from alstrack.domain.products import INITIAL_STATES, Specification, builtin_specifications
from alstrack.errors import InvalidInput, NotFound, StepRefused
from alstrack.services.chain_of_identity import chain_for_plan
from alstrack.services.context import Actor, audited, load_patient, now
from alstrack.services.dins import next_din
from alstrack.services.donors import load_donor
from alstrack.services.fields import Number, RecordId, WholeNumber
from alstrack.services.product_views import (
    ProductOut,
    TraceOut,
    load_product,
    present_product,
    present_trace,
)
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    CollectionOrder,
    Donor,
    Product,
    ProductEvent,
    TreatmentPlan,
    TreatmentPlanVersion,
)

__all__ = [
    "AutologousIn",
    "LotIn",
    "ProductOut",
    "TraceOut",
    "donor_products",
    "get_product",
    "patient_products",
    "register_autologous",
    "register_lot",
    "specification_of",
]

_Location = Annotated[str, Field(min_length=1, max_length=200)]
_DIN = Field(
    default=None,
    description="The DIN on the label (13 characters, 14 with the check character); "
    "leave out to assign the next one of ALSTRACK_FACILITY_ID",
)
_PRODUCT_FIELDS = (
    "din",
    "kind",
    "cell_source",
    "specification_version",
    "state",
    "patient_id",
    "donor_id",
    "collection_order_id",
    "chain_of_identity_id",
    "vials",
    "viable_cells_per_vial",
    "storage_location",
    "expires_at",
)


class LotIn(BaseModel):
    """An allogeneic lot made from one donor's cells, ahead of time."""

    model_config = ConfigDict(extra="forbid")
    din: str | None = _DIN
    donor_id: RecordId
    cell_source: str = Field(description="An allogeneic cell source of the plan catalogue")
    vials: WholeNumber = Field(ge=1, le=100_000)
    viable_cells_per_vial: Number = Field(gt=0, le=1e12, allow_inf_nan=False)
    expires_at: AwareDatetime
    storage_location: _Location


class AutologousIn(BaseModel):
    """The patient's own cells, made to the order the approved plan opened."""

    model_config = ConfigDict(extra="forbid")
    din: str | None = _DIN
    collection_order_id: RecordId


def register_lot(db: Database, actor: Actor, data: LotIn) -> ProductOut:
    actor.require("products.write")
    source = cell_sources().get(data.cell_source, field="cell_source")
    if source.origin != "allogeneic":
        raise InvalidInput.for_field(
            "cell_source", f"{data.cell_source} is autologous: register it from its order"
        )
    spec = builtin_specifications().get(data.cell_source, field="cell_source")
    with db.transaction() as session:
        at = now()
        if data.expires_at <= at:
            raise InvalidInput.for_field("expires_at", "must be after now: the lot has expired")
        try:
            donor = load_donor(session, data.donor_id)
        except NotFound:
            raise InvalidInput.for_field("donor_id", f"no donor {data.donor_id}") from None
        if donor.eligibility == "ineligible":
            raise StepRefused(f"Donor {donor.code} is not eligible: no lot is made from them.")
        product = Product(
            din=_din(session, actor, data.din),
            kind="allogeneic",
            cell_source=spec.id,
            specification_version=spec.version,
            state=INITIAL_STATES["allogeneic"].value,
            donor_id=donor.id,
            vials=data.vials,
            viable_cells_per_vial=data.viable_cells_per_vial,
            storage_location=data.storage_location,
            expires_at=data.expires_at,
            created_by=actor.user_id,
            created_at=at,
            version=1,
        )
        return _registered(session, actor, product, None, at)


def register_autologous(db: Database, actor: Actor, data: AutologousIn) -> ProductOut:
    actor.require("products.write")
    with db.transaction() as session:
        order = session.get(CollectionOrder, data.collection_order_id)
        missing = InvalidInput.for_field(
            "collection_order_id", f"no collection order {data.collection_order_id}"
        )
        if order is None:
            raise missing
        try:
            patient = load_patient(session, actor, order.patient_id, lock=True)
        except NotFound:
            raise missing from None
        session.refresh(order)
        if order.status != "open":
            raise StepRefused(
                f"Collection order {order.id} is {order.status}; a product is made to an open one."
            )
        taken = session.scalars(
            select(Product.din).where(Product.collection_order_id == order.id)
        ).first()
        if taken is not None:
            raise StepRefused(f"Collection order {order.id} is labelled {taken} already.")
        version = session.get_one(TreatmentPlanVersion, order.plan_version_id)
        spec = builtin_specifications().get(version.cell_source, field="cell_source")
        entries: list[dict[str, Any]] = []
        plan = session.get_one(TreatmentPlan, order.plan_id)
        chain = chain_for_plan(session, actor, plan, entries)
        at = now()
        product = Product(
            din=_din(session, actor, data.din),
            kind="autologous",
            cell_source=spec.id,
            specification_version=spec.version,
            state=INITIAL_STATES["autologous"].value,
            patient_id=patient.id,
            collection_order_id=order.id,
            chain_of_identity_id=chain.id,
            created_by=actor.user_id,
            created_at=at,
            version=1,
        )
        return _registered(session, actor, product, patient.site_id, at, entries)


def get_product(db: Database, actor: Actor, din: str) -> TraceOut:
    """The product, its donor or patient (study id only), every event and deviation."""
    actor.require("products.read")
    with db.read() as session:
        return present_trace(session, load_product(session, actor, din))


def patient_products(db: Database, actor: Actor, patient_id: int) -> list[ProductOut]:
    """Every product made for or allocated to the patient, oldest first."""
    actor.require("products.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        rows = session.scalars(
            select(Product).where(Product.patient_id == patient_id).order_by(Product.id)
        )
        return [present_product(session, row) for row in rows]


def donor_products(db: Database, actor: Actor, donor_id: int) -> list[ProductOut]:
    """Every lot of the donor the actor may see (an allocated lot shows at its patient's site)."""
    actor.require("products.read")
    with db.read() as session:
        load_donor(session, donor_id)
        rows = session.scalars(
            select(Product).where(Product.donor_id == donor_id).order_by(Product.id)
        ).all()
        visible = []
        for row in rows:
            try:
                visible.append(load_product(session, actor, row.din))
            except NotFound:
                continue
        return [present_product(session, row) for row in visible]


def specification_of(product: Product) -> Specification:
    """The specification the product was registered against.

    Only the shipped specifications are known; a product of another version is refused rather
    than judged against limits it was not registered with.
    """
    spec = builtin_specifications().get(product.cell_source, field="cell_source")
    if spec.version != product.specification_version:
        raise StepRefused(
            f"Product {product.din} was registered against {spec.id} specification version "
            f"{product.specification_version}; only version {spec.version} is installed."
        )
    return spec


def _din(session: Session, actor: Actor, given: str | None) -> str:
    if given is None:
        return next_din(session, actor).din
    din = str(parse_din(given))
    if session.scalars(select(Product.id).where(Product.din == din)).first() is not None:
        raise InvalidInput.for_field("din", f"{din} labels another product already")
    return din


def _registered(
    session: Session,
    actor: Actor,
    product: Product,
    site_id: int | None,
    at: datetime,
    entries: list[dict[str, Any]] | None = None,
) -> ProductOut:
    session.add(product)
    session.flush()
    session.add(
        ProductEvent(
            product_id=product.id,
            step="register",
            from_state=None,
            to_state=product.state,
            at=at,
            by_user=actor.user_id,
            to_location=product.storage_location,
            recorded_at=at,
        )
    )
    new: dict[str, Any] = {name: getattr(product, name) for name in _PRODUCT_FIELDS}
    created = audited(
        actor,
        at=at,
        action="create",
        entity="product",
        entity_id=product.din,
        patient_id=product.patient_id,
        site_id=site_id,
        new=new,
    )
    audit.record(session, [*(entries or []), created])
    session.flush()
    return present_product(session, product)


def donor_of(session: Session, product: Product) -> Donor | None:
    return session.get(Donor, product.donor_id) if product.donor_id is not None else None
