"""One step in a product's life and custody: checked by the lifecycle, recorded as an event.

The service gathers the facts the lifecycle's guards read (open deviations, the QC judgements,
who entered results, the donor's eligibility, the expiry, the patient at the bedside) from the
database, asks ``next_state`` and, if it allows the step, writes a ProductEvent (who, when, from
where to where, condition, temperature) and an audit entry. Release and rejection are QA's
(products.release) and signed "released" or "rejected"; the signature is linked on the event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.products import (
    State,
    Step,
    StepContext,
    TestJudgement,
    expiry_after_thaw,
    next_state,
    temperature_excursion,
)
from alstrack.errors import Conflict, InvalidInput, NotFound, StepRefused
from alstrack.services.chain_of_identity import chain_for_plan
from alstrack.services.consents import require_consent
from alstrack.services.context import Actor, audited, clinic_day, load_patient, now
from alstrack.services.deviations import add_deviation
from alstrack.services.fields import Number, RecordId, Version, WholeNumber
from alstrack.services.plan_checks import approved_plan
from alstrack.services.product_results import judge_product, results_entered_by
from alstrack.services.product_views import StepOut, load_product, present_event
from alstrack.services.products import donor_of, specification_of
from alstrack.services.signatures import SIGNING_HELP, confirm, sign
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    CollectionOrder,
    Deviation,
    Donor,
    Patient,
    Product,
    ProductEvent,
    TreatmentPlan,
    TreatmentPlanVersion,
)
from alstrack.store.versioning import update_versioned

__all__ = ["StepIn", "open_deviations", "take_step", "update_product"]

_Text = Annotated[str, Field(min_length=1, max_length=200)]
_SIGNED = {Step.RELEASE: "released", Step.REJECT: "rejected"}
# Steps before QC testing at which the lot's or the product's expiry and vials are recorded.
_SETS_EXPIRY = frozenset({Step.COLLECT, Step.START_PROCESSING, Step.MANUFACTURE, Step.START_QC})
# The clinic's steps, taken by its nurses and physicians; the lab's need products.write.
_AT_THE_CLINIC = frozenset({Step.RECEIVE_AT_CLINIC, Step.STORE, Step.THAW})
# Steps with their own service: two bedside checks verify, the administration record administers.
_OWN_SERVICE = {
    Step.VERIFY: "two qualified people each record a bedside check (POST /bedside-checks)",
    Step.ADMINISTER: "record the administration (POST /products/{din}/administration)",
}


def _permission(step: Step) -> str:
    if step in _SIGNED:
        return "products.release"
    clinic = step in _AT_THE_CLINIC or step in _OWN_SERVICE
    return "products.administer" if clinic else "products.write"


class StepIn(BaseModel):
    """A step as the user records it; ``at`` defaults to now and is never in the future."""

    model_config = ConfigDict(extra="forbid")
    step: Step
    version: Version = Field(description="The product's record `version` as read")
    at: AwareDatetime | None = None
    from_location: _Text | None = None
    to_location: _Text | None = None
    condition: _Text | None = Field(default=None, description="e.g. dry shipper, intact seal")
    temperature_c: Number | None = Field(default=None, ge=-273.15, le=100, allow_inf_nan=False)
    note: Annotated[str, Field(max_length=2000)] | None = None
    reason: Annotated[str, Field(max_length=2000)] | None = Field(
        default=None, description="Required to reject or discard"
    )
    patient_id: RecordId | None = Field(
        default=None, description="allocate: the patient it is allocated to"
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="The product's expiry, recorded before QC testing"
    )
    vials: WholeNumber | None = Field(
        default=None, ge=1, le=100_000, description="The vials made, recorded before QC testing"
    )
    viable_cells_per_vial: Number | None = Field(
        default=None, gt=0, le=1e12, allow_inf_nan=False, description="Recorded with the vials"
    )
    password: SecretStr | None = Field(
        default=None, description=f"release and reject are signed: {SIGNING_HELP}"
    )


def take_step(db: Database, actor: Actor, din: str, data: StepIn) -> StepOut:
    """Take one step if the lifecycle allows it; StepRefused says every reason if not."""
    actor.require(_permission(data.step))
    _check_fields(data)
    confirmed = confirm(db, actor, data.password) if data.step in _SIGNED else None
    with db.transaction() as session:
        product = load_product(session, actor, din, lock=True)
        at = data.at or now()
        recorded = now()
        if at > recorded:
            raise InvalidInput.for_field("at", "must not be in the future")
        if data.step == Step.COLLECT and product.patient_id is not None:
            # Collecting a patient's own cells is a procedure: it needs their consent that day.
            # Locked, so a withdrawal being recorded waits for it or is seen (PostgreSQL).
            whose = load_patient(session, actor, product.patient_id, lock=True)
            require_consent(session, whose, clinic_day(at), "collecting their cells")
        patient = _patient(session, actor, data) if data.step == Step.ALLOCATE else None
        planned = approved_plan(session, patient.id) if patient is not None else None
        context = _context(session, actor, product, data, at, patient, planned)
        before = State(product.state)
        after = next_state(product.kind, before, data.step, context=context)  # type: ignore[arg-type]
        values = _changes(product, data, after, at, patient)
        entries: list[dict[str, Any]] = []
        if planned is not None:  # allocated under the plan: the lot joins its chain of identity
            values["chain_of_identity_id"] = chain_for_plan(session, actor, planned[0], entries).id
        update_product(session, product, data.version, values)
        signature_id = None
        if confirmed is not None:
            signature_id = sign(
                session,
                actor,
                confirmed,
                meaning=_SIGNED[data.step],  # type: ignore[arg-type]
                entity="product",
                entity_id=product.din,
                at=recorded,
            ).id
        event = ProductEvent(
            product_id=product.id,
            step=data.step.value,
            from_state=before.value,
            to_state=after.value,
            at=at,
            by_user=actor.user_id,
            from_location=data.from_location,
            to_location=data.to_location,
            condition=data.condition,
            temperature_c=data.temperature_c,
            note=_note(data),
            signature_id=signature_id,
            recorded_at=recorded,
        )
        session.add(event)
        session.flush()
        entries.append(_entry(actor, product, data, event, values, recorded))
        excursion = temperature_excursion(specification_of(product), data.step, data.temperature_c)
        if excursion is not None:  # 21 CFR 1271.260: recorded, and blocks until QA decides
            _, opened = add_deviation(
                session, actor, product, "temperature_excursion", excursion, recorded
            )
            entries.append(opened)
        entries += _order_collected(session, actor, product, data.step, recorded)
        audit.record(session, entries)
        version = session.scalar(select(Product.version).where(Product.id == product.id))
        return StepOut(**present_event(event).model_dump(), product_version=version or 0)


def open_deviations(session: Session, product_id: int) -> tuple[str, ...]:
    rows = session.scalars(
        select(Deviation)
        .where(Deviation.product_id == product_id, Deviation.status == "open")
        .order_by(Deviation.id)
    )
    return tuple(f"deviation {d.id}: {d.kind.replace('_', ' ')}" for d in rows)


def _check_fields(data: StepIn) -> None:
    steps = ", ".join(sorted(s.value for s in _SETS_EXPIRY))
    for name in ("expires_at", "vials", "viable_cells_per_vial"):
        if getattr(data, name) is not None and data.step not in _SETS_EXPIRY:
            raise InvalidInput.for_field(name, f"is recorded only at {steps}")
    if data.step in _OWN_SERVICE:
        raise InvalidInput.for_field("step", f"{data.step.value}: {_OWN_SERVICE[data.step]}")
    if data.patient_id is None and data.step == Step.ALLOCATE:
        raise InvalidInput.for_field("patient_id", "allocate names the patient")
    if data.patient_id is not None and data.step != Step.ALLOCATE:
        raise InvalidInput.for_field("patient_id", "is given only to allocate")


def _patient(session: Session, actor: Actor, data: StepIn) -> Patient:
    try:
        # Locked: two allocations under one plan wait for each other to assign its chain.
        return load_patient(session, actor, data.patient_id or 0, lock=True)
    except NotFound:
        raise InvalidInput.for_field("patient_id", f"no patient {data.patient_id}") from None


def _context(
    session: Session,
    actor: Actor,
    product: Product,
    data: StepIn,
    at: datetime,
    patient: Patient | None,
    planned: tuple[TreatmentPlan, TreatmentPlanVersion] | None,
) -> StepContext:
    donor = donor_of(session, product)
    judgements: tuple[TestJudgement, ...] = ()
    if data.step in (Step.RELEASE, Step.REJECT):
        judgements = tuple(judge_product(session, product))
    return StepContext(
        now=at,
        actor_id=actor.user_id,
        actor_role=actor.role,
        results_entered_by=results_entered_by(session, product.id),
        judgements=judgements,
        signature_meaning=_SIGNED.get(data.step),
        open_deviations=open_deviations(session, product.id),
        donor_eligible=_eligible(donor),
        expires_at=product.expires_at,
        product_patient_id=product.patient_id,
        patient_id=patient.id if patient is not None else None,
        cell_source=product.cell_source,
        planned_cell_source=planned[1].cell_source if planned is not None else None,
        reason=data.reason,
    )


def _eligible(donor: Donor | None) -> bool | None:
    if donor is None or donor.eligibility == "pending":
        return None  # autologous, or not determined yet: the guard says which
    return donor.eligibility == "eligible"


def _changes(
    product: Product, data: StepIn, after: State, at: datetime, patient: Patient | None
) -> dict[str, Any]:
    values: dict[str, Any] = {"state": after.value}
    if data.to_location is not None:
        values["storage_location"] = data.to_location
    for name in ("expires_at", "vials", "viable_cells_per_vial"):
        if getattr(data, name) is not None:
            values[name] = getattr(data, name)
    if data.step == Step.ALLOCATE and patient is not None:
        values["patient_id"] = patient.id
    if data.step == Step.THAW:
        thawed = expiry_after_thaw(specification_of(product), at)
        current = product.expires_at
        values["expires_at"] = thawed if current is None else min(current, thawed)
    return values


def update_product(
    session: Session, product: Product, version: int, values: dict[str, Any]
) -> None:
    """Change the product as read at record ``version``; Conflict if someone changed it since."""
    try:
        update_versioned(
            session, Product, Product.id == product.id, version, values, f"Product {product.din}"
        )
    except Conflict:
        raise Conflict(
            f"Product {product.din} changed since record version {version} was read; "
            "reload it and try again."
        ) from None


def _note(data: StepIn) -> str | None:
    parts = [data.note, f"reason: {data.reason}" if data.reason else None]
    return " | ".join(p for p in parts if p) or None


def _entry(
    actor: Actor,
    product: Product,
    data: StepIn,
    event: ProductEvent,
    values: dict[str, Any],
    at: datetime,
) -> dict[str, Any]:
    old = {key: getattr(product, key) for key in values}
    new = dict(values) | {
        "step": data.step.value,
        "event_id": event.id,
        "at": event.at,
        "temperature_c": data.temperature_c,
    }
    if event.signature_id is not None:
        new |= {"signature_id": event.signature_id, "meaning": _SIGNED[data.step]}
    return audited(
        actor,
        at=at,
        action=data.step.value,
        entity="product",
        entity_id=product.din,
        patient_id=values.get("patient_id", product.patient_id),
        old=old,
        new=new,
        reason=data.reason,
    )


def _order_collected(
    session: Session, actor: Actor, product: Product, step: Step, at: datetime
) -> list[dict[str, Any]]:
    """Collecting the patient's tissue fulfils the collection order."""
    if step != Step.COLLECT or product.collection_order_id is None:
        return []
    order = session.get_one(CollectionOrder, product.collection_order_id)
    if order.status != "open":
        raise StepRefused(f"Collection order {order.id} is {order.status}: collect to an open one.")
    update_versioned(
        session,
        CollectionOrder,
        CollectionOrder.id == order.id,
        order.version,
        {"status": "collected"},
        f"Collection order {order.id}",
    )
    return [
        audited(
            actor,
            at=at,
            action="collect",
            entity="collection_order",
            entity_id=order.id,
            patient_id=order.patient_id,
            old={"status": "open"},
            new={"status": "collected", "din": product.din},
        )
    ]
