"""Deviations of a product (a temperature excursion, a broken seal...): opened, then disposed by QA.

An open deviation blocks release and administration (the lifecycle's no_open_deviation guard)
until QA records a disposition, signed, with a reason (21 CFR 1271.260: an excursion is
recorded and reviewed). A custody step that records a temperature outside its specification's
range opens a temperature_excursion deviation itself (product_steps); anything else, whoever
sees it opens. A disposition "discard" also discards the product, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy.orm import Session

from alstrack.domain.products import FINAL_STATES, State, Step
from alstrack.errors import Conflict, InvalidInput, NotFound, StepRefused
from alstrack.services.context import Actor, audited, now, require_reason
from alstrack.services.fields import Version
from alstrack.services.product_views import DeviationOut, load_product, present_deviation
from alstrack.services.signatures import SIGNING_HELP, confirm, sign
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import Deviation, Product, ProductEvent
from alstrack.store.versioning import update_versioned

__all__ = ["DeviationIn", "DispositionIn", "add_deviation", "dispose_deviation", "open_deviation"]

Kind = Literal["temperature_excursion", "labelling", "handling", "equipment", "other"]
# use_as_is: QA accepts the product despite the deviation, with the justification;
# discard: the product may not be used and is discarded.
Disposition = Literal["use_as_is", "discard"]


class DeviationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    description: Annotated[str, Field(min_length=1, max_length=4000)]


class DispositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: Disposition
    reason: str
    version: Version = Field(description="The deviation's record `version` as read")
    password: SecretStr = Field(description=SIGNING_HELP)


def open_deviation(db: Database, actor: Actor, din: str, data: DeviationIn) -> DeviationOut:
    """Anyone who handles the product, in the lab or at the clinic, may open one."""
    if not actor.can("products.administer"):
        actor.require("products.write")
    description = data.description.strip()
    if not description:
        raise InvalidInput.for_field("description", "say what happened")
    with db.transaction() as session:
        product = load_product(session, actor, din, lock=True)
        if State(product.state) in FINAL_STATES:
            raise StepRefused(f"Product {product.din} is {State(product.state).label}.")
        row, entry = add_deviation(session, actor, product, data.kind, description, now())
        audit.record(session, [entry])
        return present_deviation(row)


def add_deviation(
    session: Session, actor: Actor, product: Product, kind: Kind, description: str, at: datetime
) -> tuple[Deviation, dict[str, Any]]:
    """Open a deviation in the caller's transaction; the row and its audit entry."""
    row = Deviation(
        product_id=product.id,
        kind=kind,
        description=description,
        status="open",
        opened_by=actor.user_id,
        opened_at=at,
        version=1,
    )
    session.add(row)
    session.flush()
    new = {"din": product.din, "kind": kind, "description": description, "status": "open"}
    entry = audited(
        actor,
        at=at,
        action="open",
        entity="deviation",
        entity_id=row.id,
        patient_id=product.patient_id,
        new=new,
    )
    return row, entry


def dispose_deviation(
    db: Database, actor: Actor, din: str, deviation_id: int, data: DispositionIn
) -> DeviationOut:
    """QA closes an open deviation with a signed disposition and a reason."""
    actor.require("products.release")
    reason = require_reason(data.reason)
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        product = load_product(session, actor, din, lock=True)
        row = session.get(Deviation, deviation_id)
        if row is None or row.product_id != product.id:
            raise NotFound(f"No deviation {deviation_id} of product {product.din}.")
        session.refresh(row)
        if row.status != "open":
            raise StepRefused(f"Deviation {deviation_id} was disposed already ({row.disposition}).")
        at = now()
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="approved",
            entity="deviation",
            entity_id=row.id,
            at=at,
        )
        values = {
            "status": "closed",
            "disposition": data.disposition,
            "disposition_reason": reason,
            "disposed_by": actor.user_id,
            "disposed_at": at,
            "signature_id": signature.id,
        }
        try:
            update_versioned(
                session, Deviation, Deviation.id == row.id, data.version, values, "Deviation"
            )
        except Conflict:
            raise Conflict(
                f"Deviation {deviation_id} changed since record version {data.version} was "
                "read; reload it and try again."
            ) from None
        entries = [
            audited(
                actor,
                at=at,
                action="dispose",
                entity="deviation",
                entity_id=row.id,
                patient_id=product.patient_id,
                old={"status": "open"},
                new=values | {"meaning": "approved"},
                reason=reason,
            )
        ]
        if data.disposition == "discard" and State(product.state) not in FINAL_STATES:
            entries.append(_discard(session, actor, product, reason, signature.id, row.id))
        audit.record(session, entries)
        session.refresh(row)
        return present_deviation(row)


def _discard(
    session: Session,
    actor: Actor,
    product: Product,
    reason: str,
    signature_id: int,
    deviation_id: int,
) -> dict[str, object]:
    at = now()
    before = product.state
    update_versioned(
        session,
        Product,
        Product.id == product.id,
        product.version,
        {"state": State.DISCARDED.value},
        f"Product {product.din}",
    )
    event = ProductEvent(
        product_id=product.id,
        step=Step.DISCARD.value,
        from_state=before,
        to_state=State.DISCARDED.value,
        at=at,
        by_user=actor.user_id,
        note=f"deviation {deviation_id} disposed: discard | reason: {reason}",
        signature_id=signature_id,
        recorded_at=at,
    )
    session.add(event)
    session.flush()
    return audited(
        actor,
        at=at,
        action=Step.DISCARD.value,
        entity="product",
        entity_id=product.din,
        patient_id=product.patient_id,
        old={"state": before},
        new={"state": State.DISCARDED.value, "step": "discard", "event_id": event.id},
        reason=reason,
    )
