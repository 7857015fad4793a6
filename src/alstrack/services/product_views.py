"""Cell products as responses, and the one loader that decides who may see a product.

A product with a patient (autologous, or an allogeneic lot allocated to someone) is seen only
by users who see that patient's site; another site's product answers "not found". An
allogeneic lot without a patient belongs to no site: every role with products.read sees it.
Responses carry the patient's pseudonymous study id only (21 CFR 1271.290).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.isbt128 import check_character, format_din, parse_din
from alstrack.errors import InvalidInput, NotFound
from alstrack.services.chain_of_identity import chain_data
from alstrack.services.context import Actor, load_patient
from alstrack.store.models import ChainOfIdentity, Deviation, Donor, Patient, Product, ProductEvent

__all__ = [
    "DeviationOut",
    "EventOut",
    "ProductOut",
    "StepOut",
    "TraceOut",
    "load_product",
    "present_deviation",
    "present_event",
    "present_product",
]


class EventOut(BaseModel):
    """One step of custody: what was done, by whom, when, from where to where, in what state."""

    id: int
    step: str
    from_state: str | None
    to_state: str
    at: datetime
    by_user: int
    from_location: str | None
    to_location: str | None
    condition: str | None
    temperature_c: float | None
    note: str | None
    signature_id: int | None
    recorded_at: datetime


class StepOut(EventOut):
    """The event of a step just taken, and the product's record version after it."""

    product_version: int


class DeviationOut(BaseModel):
    id: int
    product_id: int
    kind: str
    description: str
    status: str
    opened_by: int
    opened_at: datetime
    disposition: str | None
    disposition_reason: str | None
    disposed_by: int | None
    disposed_at: datetime | None
    signature_id: int | None
    version: int


class ProductOut(BaseModel):
    id: int
    din: str
    eye_readable: str
    check_character: str
    kind: str
    cell_source: str
    specification_version: str
    state: str
    patient_id: int | None
    patient_study_id: str | None
    donor_id: int | None
    donor_code: str | None
    collection_order_id: int | None
    chain_of_identity: str | None = Field(
        description="The patient therapy's ISBT 128 chain-of-identity identifier (ST-028), "
        "with its data identifier &/CH"
    )
    vials: int | None
    viable_cells_per_vial: float | None
    storage_location: str | None
    expires_at: datetime | None
    created_by: int
    created_at: datetime
    version: int


class TraceOut(BaseModel):
    """From the donor or the patient to every step of the product: both ways of 1271.290."""

    product: ProductOut
    donor_eligibility: str | None
    events: list[EventOut]
    deviations: list[DeviationOut]


def load_product(session: Session, actor: Actor, din: str, *, lock: bool = False) -> Product:
    """The product labelled ``din`` if the actor may see it; otherwise 'not found'."""
    try:
        code = str(parse_din(din))
    except InvalidInput:
        raise NotFound(f"No product {din}.") from None
    postgres = session.get_bind().dialect.name == "postgresql"
    stmt = select(Product).where(Product.din == code)
    if lock and postgres:
        stmt = stmt.with_for_update()
    product = session.scalars(stmt).one_or_none()
    if product is None:
        raise NotFound(f"No product {din}.")
    if product.patient_id is not None:
        try:
            load_patient(session, actor, product.patient_id, lock=lock)
        except NotFound:
            raise NotFound(f"No product {din}.") from None
    if lock:
        session.refresh(product)  # as it stands once this writer holds it
    return product


def present_product(session: Session, product: Product) -> ProductOut:
    patient = session.get(Patient, product.patient_id) if product.patient_id else None
    donor = session.get(Donor, product.donor_id) if product.donor_id else None
    chain = (
        session.get(ChainOfIdentity, product.chain_of_identity_id)
        if product.chain_of_identity_id
        else None
    )
    din = parse_din(product.din)
    return ProductOut(
        id=product.id,
        din=product.din,
        eye_readable=format_din(din),
        check_character=check_character(din),
        kind=product.kind,
        cell_source=product.cell_source,
        specification_version=product.specification_version,
        state=product.state,
        patient_id=product.patient_id,
        patient_study_id=patient.study_id if patient is not None else None,
        donor_id=product.donor_id,
        donor_code=donor.code if donor is not None else None,
        collection_order_id=product.collection_order_id,
        chain_of_identity=chain_data(chain.code) if chain is not None else None,
        vials=product.vials,
        viable_cells_per_vial=product.viable_cells_per_vial,
        storage_location=product.storage_location,
        expires_at=product.expires_at,
        created_by=product.created_by,
        created_at=product.created_at,
        version=product.version,
    )


def present_event(event: ProductEvent) -> EventOut:
    return EventOut.model_validate(event, from_attributes=True)


def present_deviation(deviation: Deviation) -> DeviationOut:
    return DeviationOut.model_validate(deviation, from_attributes=True)


def present_trace(session: Session, product: Product) -> TraceOut:
    events = session.scalars(
        select(ProductEvent).where(ProductEvent.product_id == product.id).order_by(ProductEvent.id)
    )
    deviations = session.scalars(
        select(Deviation).where(Deviation.product_id == product.id).order_by(Deviation.id)
    )
    donor = session.get(Donor, product.donor_id) if product.donor_id else None
    return TraceOut(
        product=present_product(session, product),
        donor_eligibility=donor.eligibility if donor is not None else None,
        events=[present_event(e) for e in events],
        deviations=[present_deviation(d) for d in deviations],
    )
