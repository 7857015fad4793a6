"""Administration: a verified product given to its patient, and the follow-up it schedules.

Only a product two people verified at the bedside is administered (the lifecycle's administer
step: no open deviation, not expired, this patient, endotoxin of the dose given within the
route's K × weight). The record keeps route, cells, volume, time, both verifiers, who gave it
and the dose number under the plan, signed 'administered' by who gave it (their password again,
services/signatures.py), and schedules the visits of the plan's follow-up schedule
(domain/follow_up.py) from the clinical day of the administration; the first dose cancels the
lead-in visits not yet made.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alstrack.domain.products import Outcome, State, Step, StepContext, judge_results, next_state
from alstrack.domain.products.lifecycle import BEDSIDE_VERIFIERS
from alstrack.errors import InvalidInput, StepRefused
from alstrack.services.bedside import confirmations, dose_endotoxin
from alstrack.services.consents import require_consent
from alstrack.services.context import Actor, audited, clinic_day, load_patient, now, today
from alstrack.services.fields import Number, Version
from alstrack.services.plan_checks import approved_plan
from alstrack.services.product_steps import open_deviations, update_product
from alstrack.services.product_views import load_product
from alstrack.services.products import specification_of
from alstrack.services.signatures import (
    SIGNING_HELP,
    SignatureOut,
    confirm,
    present,
    present_many,
    sign,
)
from alstrack.services.visits import (
    VisitOut,
    present_visit,
    schedule_after_dose,
    site_code_of,
)
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    Administration,
    ChainOfIdentity,
    FollowUpVisit,
    Patient,
    Product,
    ProductEvent,
    TreatmentPlan,
    TreatmentPlanVersion,
)

__all__ = [
    "AdministrationIn",
    "AdministrationOut",
    "administer",
    "patient_administrations",
]


class AdministrationIn(BaseModel):
    """The dose as given; ``at`` defaults to now and is never in the future."""

    model_config = ConfigDict(extra="forbid")
    version: Version = Field(description="The product's record `version` as read")
    route: Annotated[str, Field(min_length=1, max_length=16)] = Field(
        description="The route it was given by: the approved plan's route"
    )
    cells_administered: Number = Field(gt=0, le=1e12, allow_inf_nan=False)
    volume_ml: Number = Field(gt=0, le=1000, allow_inf_nan=False)
    at: AwareDatetime | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None
    password: SecretStr = Field(description=SIGNING_HELP)


class AdministrationOut(BaseModel):
    id: int
    din: str
    patient_id: int
    plan_id: int
    plan_version_id: int
    dose_number: int
    planned_administrations: int
    route: str
    planned_dose_cells: float | None
    cells_administered: float
    volume_ml: float
    at: datetime
    first_verifier: int
    second_verifier: int
    given_by: int
    note: str | None
    event_id: int
    recorded_at: datetime
    signature: SignatureOut | None = Field(
        description="Who gave it, signed 'administered' (null: recorded before administrations "
        "were signed)"
    )
    follow_up: list[VisitOut]


def administer(db: Database, actor: Actor, din: str, data: AdministrationIn) -> AdministrationOut:
    """Record a verified product as given, signed 'administered' by who gave it, and schedule
    its follow-up; refused with every reason."""
    actor.require("products.administer")
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        product = load_product(session, actor, din, lock=True)
        if product.patient_id is None:
            raise StepRefused(f"Product {product.din} is not allocated to a patient.")
        patient = load_patient(session, actor, product.patient_id, lock=True)
        recorded = now()
        at = data.at or recorded
        if at > recorded:
            raise InvalidInput.for_field("at", "must not be in the future")
        planned = approved_plan(session, patient.id)
        if planned is None:
            raise StepRefused(f"Patient {patient.study_id} has no approved treatment plan.")
        plan, version = planned
        if data.route != version.route:
            raise InvalidInput.for_field(
                "route", f"the approved plan gives the cells {version.route}, not {data.route}"
            )
        checks = confirmations(session, product.id)
        verifiers = list(dict.fromkeys(check.by_user for check in checks))
        if checks and at < checks[-1].at:
            raise InvalidInput.for_field(
                "at", f"is before the bedside verification ({checks[-1].at.isoformat()})"
            )
        _check_dose(session, product, plan, version, data, at)
        if checks and data.volume_ml > checks[0].dose_volume_ml:
            raise InvalidInput.for_field(
                "volume_ml",
                f"is more than the {checks[0].dose_volume_ml:g} mL checked at the bedside",
            )
        require_consent(session, patient, clinic_day(at), "administration")
        given = session.scalar(
            select(func.count())
            .select_from(Administration)
            .where(Administration.plan_id == plan.id)
        )
        dose_number = int(given or 0) + 1
        if dose_number > version.administrations:
            raise StepRefused(
                f"All {version.administrations} administrations of plan {plan.id} are recorded."
            )
        context = StepContext(
            now=at,
            open_deviations=open_deviations(session, product.id),
            expires_at=product.expires_at,
            product_patient_id=product.patient_id,
            patient_id=patient.id,
            dose_endotoxin=dose_endotoxin(session, product, version, data.volume_ml),
        )
        before = State(product.state)
        after = next_state(product.kind, before, Step.ADMINISTER, context=context)  # type: ignore[arg-type]
        # The lifecycle lets only a verified product this far; the record names both checkers.
        if len(verifiers) < BEDSIDE_VERIFIERS:
            raise StepRefused(f"Product {product.din} lacks two bedside confirmations.")
        update_product(session, product, data.version, {"state": after.value})
        event = ProductEvent(
            product_id=product.id,
            step=Step.ADMINISTER.value,
            from_state=before.value,
            to_state=after.value,
            at=at,
            by_user=actor.user_id,
            note=data.note,
            recorded_at=recorded,
        )
        session.add(event)
        session.flush()
        row = Administration(
            product_id=product.id,
            patient_id=patient.id,
            plan_id=plan.id,
            plan_version_id=version.id,
            dose_number=dose_number,
            route=data.route,
            cells_administered=data.cells_administered,
            volume_ml=data.volume_ml,
            at=at,
            first_verifier=verifiers[0],
            second_verifier=verifiers[1],
            given_by=actor.user_id,
            note=data.note,
            event_id=event.id,
            recorded_at=recorded,
        )
        session.add(row)
        session.flush()
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="administered",
            entity="administration",
            entity_id=row.id,
            at=recorded,
        )
        row.signature_id = signature.id
        visits, scheduled = schedule_after_dose(
            session, actor, patient, row, version.follow_up_schedule
        )
        audit.record(session, _entries(actor, product, patient, row, before, recorded) + scheduled)
        shown = [present_visit(v, patient, site_code_of(session, patient), today()) for v in visits]
        signed = present(session, signature)
        return _present(
            row, product.din, version.administrations, version.dose_cells, shown, signed
        )


def patient_administrations(db: Database, actor: Actor, patient_id: int) -> list[AdministrationOut]:
    """Every dose the patient was given, oldest first, with the visits each scheduled."""
    actor.require("products.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        rows = session.scalars(
            select(Administration)
            .where(Administration.patient_id == patient_id)
            .order_by(Administration.at, Administration.id)
        ).all()
        signatures = present_many(session, (row.signature_id for row in rows))
        out = []
        for row in rows:
            product = session.get_one(Product, row.product_id)
            version = session.get_one(TreatmentPlanVersion, row.plan_version_id)
            visits = list(
                session.scalars(
                    select(FollowUpVisit)
                    .where(FollowUpVisit.administration_id == row.id)
                    .order_by(FollowUpVisit.due_on)
                )
            )
            patient = session.get_one(Patient, row.patient_id)
            code = site_code_of(session, patient)
            shown = [present_visit(v, patient, code, today()) for v in visits]
            signed = signatures.get(row.signature_id) if row.signature_id else None
            out.append(
                _present(
                    row, product.din, version.administrations, version.dose_cells, shown, signed
                )
            )
        return out


def _check_dose(
    session: Session,
    product: Product,
    plan: TreatmentPlan,
    version: TreatmentPlanVersion,
    data: AdministrationIn,
    at: datetime,
) -> None:
    """The product belongs to this therapy, the cells are the plan's dose within the
    specification's tolerance, and the plan's interval since the last dose has passed."""
    chain = session.scalars(
        select(ChainOfIdentity.id).where(ChainOfIdentity.plan_id == plan.id)
    ).one_or_none()
    if product.chain_of_identity_id is None or product.chain_of_identity_id != chain:
        raise StepRefused(
            f"Product {product.din} is not of plan {plan.id}'s chain of identity: "
            "it was made or allocated for another therapy."
        )
    if version.dose_cells is not None:  # the specification's dose test, against the plan
        judged = judge_results(
            specification_of(product),
            {"total_viable_cells": data.cells_administered},
            planned_dose_cells=int(version.dose_cells),
        )
        dose = next(j for j in judged if j.test == "total_viable_cells")
        if dose.outcome == Outcome.FAIL:
            raise InvalidInput.for_field(
                "cells_administered",
                f"must be the plan's dose within the specification's tolerance ({dose.limit}): "
                f"{dose.reason}",
            )
    last = session.scalars(
        select(Administration.at)
        .where(Administration.plan_id == plan.id)
        .order_by(Administration.at.desc())
    ).first()
    if last is not None and version.interval_days is not None:
        earliest = clinic_day(last) + timedelta(days=version.interval_days)
        if clinic_day(at) < earliest:
            raise StepRefused(
                f"The plan gives its doses {version.interval_days} days apart: the last was on "
                f"{clinic_day(last)}, the next may be given from {earliest}."
            )


def _entries(
    actor: Actor,
    product: Product,
    patient: Patient,
    row: Administration,
    before: State,
    at: datetime,
) -> list[dict[str, Any]]:
    where = {"patient_id": patient.id, "site_id": patient.site_id}
    record = {
        key: getattr(row, key)
        for key in (
            "product_id",
            "plan_id",
            "plan_version_id",
            "dose_number",
            "route",
            "cells_administered",
            "volume_ml",
            "at",
            "first_verifier",
            "second_verifier",
            "given_by",
            "note",
            "event_id",
            "signature_id",
        )
    } | {"meaning": "administered"}
    return [
        audited(
            actor,
            at=at,
            action="administer",
            entity="product",
            entity_id=product.din,
            old={"state": before.value},
            new={"state": State.ADMINISTERED.value, "event_id": row.event_id},
            **where,
        ),
        audited(
            actor,
            at=at,
            action="create",
            entity="administration",
            entity_id=row.id,
            new=record,
            **where,
        ),
    ]


def _present(
    row: Administration,
    din: str,
    planned: int,
    dose_cells: float | None,
    visits: list[VisitOut],
    signature: SignatureOut | None,
) -> AdministrationOut:
    return AdministrationOut(
        id=row.id,
        din=din,
        patient_id=row.patient_id,
        plan_id=row.plan_id,
        plan_version_id=row.plan_version_id,
        dose_number=row.dose_number,
        planned_administrations=planned,
        route=row.route,
        planned_dose_cells=dose_cells,
        cells_administered=row.cells_administered,
        volume_ml=row.volume_ml,
        at=row.at,
        first_verifier=row.first_verifier,
        second_verifier=row.second_verifier,
        given_by=row.given_by,
        note=row.note,
        event_id=row.event_id,
        recorded_at=row.recorded_at,
        signature=signature,
        follow_up=visits,
    )
