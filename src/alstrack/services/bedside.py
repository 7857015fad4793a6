"""The bedside check: two qualified people each confirm the patient and the product.

Each confirmation is one call by the person confirming (a nurse or physician: products.administer)
with the patient's study id and the product's DIN as scanned or typed, and the volume to be
given. The service gathers the facts (domain/products/bedside.py) and refuses, with every
reason, a product not allocated to this patient, a wrong check character, an expired or
unreleased product, an open deviation, endotoxin in the dose over the route's K × weight, a
lumbar-puncture check not passed for a dose given by lumbar puncture, or a patient with no valid
consent that day (services/consents.py). A refusal stores nothing but is audited (action
``bedside_refused``), in its own transaction. The second person's confirmation takes the
lifecycle's verify step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alstrack.domain.isbt128 import parse_din
from alstrack.domain.plan_readiness import (
    LP_GROUP,
    lumbar_puncture_checks,
    lumbar_puncture_checks_too_old,
)
from alstrack.domain.plans import plan_parameters
from alstrack.domain.products import (
    State,
    Step,
    StepContext,
    TestJudgement,
    judge_dose_endotoxin,
    next_state,
)
from alstrack.domain.products.bedside import BedsideFacts, Entry, bedside_refusals, read_din
from alstrack.domain.products.lifecycle import BEDSIDE_VERIFIERS
from alstrack.errors import AlstrackError, InvalidInput, NotFound, StepRefused
from alstrack.services.consents import consent_problem
from alstrack.services.context import Actor, audited, clinic_day, load_patient, now
from alstrack.services.fields import Number
from alstrack.services.plan_checks import approved_plan, by_lumbar_puncture
from alstrack.services.product_steps import open_deviations
from alstrack.services.product_views import load_product
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    BedsideCheck,
    Patient,
    Product,
    ProductEvent,
    ProductTestResult,
    Screening,
    TreatmentPlanVersion,
    User,
)
from alstrack.store.versioning import update_versioned

__all__ = [
    "BedsideCheckIn",
    "BedsideOut",
    "ConfirmationOut",
    "bedside_checks",
    "check_at_bedside",
    "confirmations",
    "dose_endotoxin",
]


class BedsideCheckIn(BaseModel):
    """One person's confirmation, as read off the wristband and the product label."""

    model_config = ConfigDict(extra="forbid")
    patient: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="The patient's study id on the wristband"
    )
    patient_entry: Entry = Field(description="scanned or typed")
    din: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        description="The product's DIN: the ISBT 128 bar-code data as scanned (=G123426000001 "
        "70), or typed with its check character (G1234 26 000001 K)"
    )
    din_entry: Entry = Field(description="scanned or typed")
    dose_volume_ml: Number = Field(
        gt=0, le=1000, allow_inf_nan=False, description="The volume to be given, in mL"
    )


class ConfirmationOut(BaseModel):
    id: int
    by_user: int
    username: str
    at: datetime
    patient_entry: str
    din_entry: str
    dose_volume_ml: float


class BedsideOut(BaseModel):
    """Where the bedside check of a product stands."""

    din: str
    patient_id: int | None
    patient_study_id: str | None
    state: str
    confirmations: list[ConfirmationOut]
    verified: bool = Field(description="Two different qualified people have confirmed")
    still_needed: int = Field(description="Confirmations still needed before administration")
    product_version: int


def check_at_bedside(db: Database, actor: Actor, data: BedsideCheckIn) -> BedsideOut:
    """Record the acting user's confirmation; every refusal is audited, nothing else stored."""
    try:
        actor.require("products.administer")
        with db.transaction() as session:
            return _confirm(session, actor, data)
    except AlstrackError as refusal:
        _audit_refusal(db, actor, data, refusal)
        raise


def bedside_checks(db: Database, actor: Actor, din: str) -> BedsideOut:
    """The confirmations recorded for a product so far."""
    actor.require("products.read")
    with db.read() as session:
        return _present(session, load_product(session, actor, din))


def dose_endotoxin(
    session: Session, product: Product, version: TreatmentPlanVersion | None, volume_ml: float
) -> TestJudgement:
    """The endotoxin in a dose of ``volume_ml`` against the plan version's K × weight."""
    value = session.scalars(
        select(ProductTestResult.value).where(
            ProductTestResult.product_id == product.id,
            ProductTestResult.test == "endotoxin_eu_per_ml",
            ProductTestResult.status == "current",
        )
    ).first()
    endotoxin = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    limit = version.endotoxin_limit_eu if version is not None else None
    return judge_dose_endotoxin(endotoxin, volume_ml, limit)


def _confirm(session: Session, actor: Actor, data: BedsideCheckIn) -> BedsideOut:
    din = read_din(data.din, data.din_entry)
    product = load_product(session, actor, str(din), lock=True)
    patient = _patient(session, actor, data.patient)
    at = now()
    earlier = confirmations(session, product.id)
    planned = approved_plan(session, patient.id)
    version = planned[1] if planned is not None else None
    lumbar_puncture = version is not None and by_lumbar_puncture(version.route)
    screening = _newest_screening(session, patient.id) if lumbar_puncture else None
    if screening is not None and not any(c.get("group") == LP_GROUP for c in screening.criteria):
        screening = None  # its rule set judged no lumbar-puncture check: nothing passed
    facts = BedsideFacts(
        now=at,
        actor_id=actor.user_id,
        state=State(product.state),
        released=_released(session, product.id),
        expires_at=product.expires_at,
        product_patient_id=product.patient_id,
        patient_id=patient.id,
        open_deviations=open_deviations(session, product.id),
        planned_route=version.route if version is not None else None,
        dose_endotoxin=dose_endotoxin(session, product, version, data.dose_volume_ml),
        lumbar_puncture=lumbar_puncture,
        lp_checks=lumbar_puncture_checks(screening.criteria) if screening is not None else None,
        lp_screening_unfit=lumbar_puncture_checks_too_old(screening.as_of, at, plan_parameters())
        if screening is not None
        else None,
        confirmed_by=tuple(check.by_user for check in earlier),
        first_volume_ml=earlier[0].dose_volume_ml if earlier else None,
        volume_ml=data.dose_volume_ml,
    )
    reasons = bedside_refusals(facts)
    unconsented = consent_problem(session, patient, clinic_day(at), "administration")
    if unconsented is not None:
        reasons += (unconsented,)
    if reasons:
        raise StepRefused(f"Bedside check refused: {'; '.join(reasons)}.")
    check = BedsideCheck(
        product_id=product.id,
        patient_id=patient.id,
        by_user=actor.user_id,
        patient_entry=data.patient_entry,
        din_entry=data.din_entry,
        dose_volume_ml=data.dose_volume_ml,
        at=at,
    )
    session.add(check)
    session.flush()
    entries = [
        audited(
            actor,
            at=at,
            action="bedside_check",
            entity="product",
            entity_id=product.din,
            patient_id=patient.id,
            site_id=patient.site_id,
            new={
                "check_id": check.id,
                "patient_entry": data.patient_entry,
                "din_entry": data.din_entry,
                "dose_volume_ml": data.dose_volume_ml,
            },
        )
    ]
    verifiers = [c.by_user for c in earlier] + [actor.user_id]
    if len(set(verifiers)) >= BEDSIDE_VERIFIERS:
        entries.append(_verify(session, actor, product, patient, frozenset(verifiers), at))
    audit.record(session, entries)
    return _present(session, product)


def _verify(
    session: Session,
    actor: Actor,
    product: Product,
    patient: Patient,
    verifiers: frozenset[int],
    at: datetime,
) -> dict[str, Any]:
    """The second person's confirmation verifies the product: the lifecycle's verify step."""
    context = StepContext(
        now=at, product_patient_id=product.patient_id, patient_id=patient.id, verified_by=verifiers
    )
    after = next_state(product.kind, product.state, Step.VERIFY, context=context)  # type: ignore[arg-type]
    names = sorted(session.scalars(select(User.username).where(User.id.in_(verifiers))))
    event = ProductEvent(
        product_id=product.id,
        step=Step.VERIFY.value,
        from_state=product.state,
        to_state=after.value,
        at=at,
        by_user=actor.user_id,
        note=f"verified at the bedside by {' and '.join(names)}",
        recorded_at=at,
    )
    session.add(event)
    before = product.state
    update_versioned(
        session,
        Product,
        Product.id == product.id,
        product.version,
        {"state": after.value},
        f"Product {product.din}",
    )
    session.flush()
    session.refresh(product)
    return audited(
        actor,
        at=at,
        action="verify",
        entity="product",
        entity_id=product.din,
        patient_id=patient.id,
        site_id=patient.site_id,
        old={"state": before},
        new={"state": after.value, "event_id": event.id, "verified_by": names},
    )


def _patient(session: Session, actor: Actor, study_id: str) -> Patient:
    entered = study_id.strip()
    found = session.scalars(select(Patient).where(Patient.study_id == entered)).one_or_none()
    problem = InvalidInput.for_field("patient", f"no patient {entered!r} at your sites")
    if found is None:
        raise problem
    try:
        return load_patient(session, actor, found.id, lock=True)
    except NotFound:
        raise problem from None


def confirmations(session: Session, product_id: int) -> list[BedsideCheck]:
    """The product's bedside confirmations, in the order they were made."""
    return list(
        session.scalars(
            select(BedsideCheck)
            .where(BedsideCheck.product_id == product_id)
            .order_by(BedsideCheck.id)
        )
    )


def _released(session: Session, product_id: int) -> bool:
    count = session.scalar(
        select(func.count())
        .select_from(ProductEvent)
        .where(ProductEvent.product_id == product_id, ProductEvent.step == Step.RELEASE.value)
    )
    return bool(count)


def _newest_screening(session: Session, patient_id: int) -> Screening | None:
    return session.scalars(
        select(Screening).where(Screening.patient_id == patient_id).order_by(Screening.id.desc())
    ).first()


def _present(session: Session, product: Product) -> BedsideOut:
    checks = confirmations(session, product.id)
    usernames = {
        user_id: username
        for user_id, username in session.execute(
            select(User.id, User.username).where(User.id.in_({c.by_user for c in checks}))
        )
    }
    patient = session.get(Patient, product.patient_id) if product.patient_id else None
    distinct = len({c.by_user for c in checks})
    return BedsideOut(
        din=product.din,
        patient_id=product.patient_id,
        patient_study_id=patient.study_id if patient is not None else None,
        state=product.state,
        confirmations=[
            ConfirmationOut(
                id=c.id,
                by_user=c.by_user,
                username=usernames[c.by_user],
                at=c.at,
                patient_entry=c.patient_entry,
                din_entry=c.din_entry,
                dose_volume_ml=c.dose_volume_ml,
            )
            for c in checks
        ],
        verified=distinct >= BEDSIDE_VERIFIERS,
        still_needed=max(0, BEDSIDE_VERIFIERS - distinct),
        product_version=product.version,
    )


def _audit_refusal(
    db: Database, actor: Actor, data: BedsideCheckIn, refusal: AlstrackError
) -> None:
    """Write the refusal to the audit trail: what was entered, by whom, and why it was refused."""
    code = "".join(data.din.split()).upper()
    try:  # the DIN the entry names, even with a wrong check character or flags
        entity_id = str(parse_din(code[1:14] if code.startswith("=") else code[:13]))
    except InvalidInput:
        entity_id = code[:40]
    with db.transaction() as session:
        patient = session.scalars(
            select(Patient).where(Patient.study_id == data.patient.strip())
        ).one_or_none()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=now(),
                    action="bedside_refused",
                    entity="product",
                    entity_id=entity_id,
                    patient_id=patient.id if patient is not None else None,
                    site_id=patient.site_id if patient is not None else None,
                    new=data.model_dump() | {"refused": str(refusal)},
                )
            ],
        )
