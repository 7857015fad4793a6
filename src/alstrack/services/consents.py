"""A patient's consents: recorded, corrected, withdrawn, and the one check every gated step asks.

A consent names the document version signed, the day, and who signed: the patient, or a legally
authorised representative before a witness. It is a dated record like any other (added,
corrected by superseding, voided when entered in error: services/records.py); a withdrawal is
written on it and the record is kept. ``require_consent`` is the gate: screening, pretreatment
evaluations, collecting a patient's cells, the bedside check and administration ask it for the
day they happen; it refuses with what to do when no consent holds that day (domain/consent.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.consent import (
    ConsentFacts,
    ConsentStanding,
    SignedBy,
    signature_problems,
    signing_problem,
    standing_on,
)
from alstrack.errors import InvalidInput, StepRefused
from alstrack.services.assessments import RecordMeta, meta
from alstrack.services.consent_documents import document_facts
from alstrack.services.context import (
    Actor,
    audited,
    load_of_patient,
    load_patient,
    not_in_future,
    now,
    require_reason,
    today,
)
from alstrack.services.fields import RecordId, Version
from alstrack.services.records import PatientContext, RecordKind
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import ConsentDocument, Patient, PatientConsent
from alstrack.store.versioning import update_versioned

__all__ = [
    "CONSENT",
    "ConsentIn",
    "ConsentOut",
    "ConsentStatusOut",
    "WithdrawalIn",
    "consent_problem",
    "consent_status",
    "require_consent",
    "valid_consent",
    "withdraw",
]

_Name = Annotated[str, Field(min_length=1, max_length=200)]


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document_id: RecordId = Field(description="The consent document version signed")
    consented_on: date = Field(description="The day it was signed: not in the future")
    signed_by: SignedBy = Field(
        description="patient, or representative (a legally authorised representative, who "
        "signs before a witness)"
    )
    representative_name: _Name | None = None
    representative_relationship: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="e.g. spouse, health-care proxy, court-appointed guardian"
    )
    witness_name: _Name | None = Field(
        default=None,
        description="Required when a representative signs; may be given when the patient "
        "consents by a mark or a communication aid",
    )


class ConsentOut(RecordMeta):
    document_id: int
    document_version: str
    consented_on: date
    signed_by: str
    representative_name: str | None
    representative_relationship: str | None
    witness_name: str | None
    withdrawn_on: date | None
    withdrawal_reason: str | None
    withdrawal_recorded_by: int | None
    withdrawal_recorded_at: datetime | None


class WithdrawalIn(BaseModel):
    """The patient withdraws: from that day no consent given before it holds."""

    model_config = ConfigDict(extra="forbid")
    withdrawn_on: date = Field(description="The day the patient withdrew: not in the future")
    version: Version = Field(description="The consent's record `version` as read")
    reason: str = Field(description="Why, as the patient or representative gave it")


class ConsentStatusOut(BaseModel):
    patient_id: int
    on: date
    valid: bool = Field(description="A consent holds on this day")
    consent: ConsentOut | None = Field(description="The consent that holds (the latest given)")
    discloses_evidence_status: bool | None = Field(
        description="Its document states the therapy is investigational, its risks and its costs"
    )
    reason: str | None = Field(description="Why no consent holds, and what to do")


# --- the record ---------------------------------------------------------------------------------


def _prepare(session: Session, ctx: PatientContext, data: ConsentIn) -> dict[str, Any]:
    not_in_future("consented_on", data.consented_on, today())
    if ctx.date_of_birth and data.consented_on < ctx.date_of_birth:
        raise InvalidInput.for_field("consented_on", "must not be before the date of birth")
    if ctx.death_date and data.consented_on > ctx.death_date:
        raise InvalidInput.for_field(
            "consented_on", f"must not be after the recorded death ({ctx.death_date.isoformat()})"
        )
    document = session.get(ConsentDocument, data.document_id)
    if document is None:
        raise InvalidInput.for_field("document_id", f"no consent document {data.document_id}")
    documents = document_facts(session)
    [facts] = [d for d in documents if d.id == document.id]
    errors = signature_problems(
        data.signed_by,
        data.representative_name,
        data.representative_relationship,
        data.witness_name,
    )
    problem = signing_problem(facts, documents, data.consented_on)
    if problem is not None:
        errors.insert(0, problem)
    if errors:
        raise InvalidInput("Invalid consent", errors)
    return data.model_dump() | {"document_version": document.document_version}


def _present(row: PatientConsent, _ctx: PatientContext | None = None) -> ConsentOut:
    """The consent as stored (the patient's context is not needed to show it)."""
    return ConsentOut(
        **meta(row),
        document_id=row.document_id,
        document_version=row.document_version,
        consented_on=row.consented_on,
        signed_by=row.signed_by,
        representative_name=row.representative_name,
        representative_relationship=row.representative_relationship,
        witness_name=row.witness_name,
        withdrawn_on=row.withdrawn_on,
        withdrawal_reason=row.withdrawal_reason,
        withdrawal_recorded_by=row.withdrawal_recorded_by,
        withdrawal_recorded_at=row.withdrawal_recorded_at,
    )


def _correctable(row: PatientConsent) -> None:
    if row.withdrawn_on is not None:
        # A correction is a new record: it would silently undo the withdrawal.
        raise StepRefused(
            f"Consent {row.id} was withdrawn on {row.withdrawn_on}; it is not corrected. Void it "
            "if it was entered in error, or record the patient's new consent."
        )


def _voidable(row: PatientConsent) -> None:
    if row.withdrawn_on is not None:
        # Voiding it would take the patient's withdrawal with it and revive earlier consents.
        raise StepRefused(
            f"Consent {row.id} carries the patient's withdrawal of {row.withdrawn_on}: it is not "
            "voided, since the withdrawal would be lost with it."
        )


CONSENT: RecordKind[ConsentIn, ConsentOut] = RecordKind(
    name="consent",
    model=PatientConsent,
    input_model=ConsentIn,
    permission_read="consents.read",
    permission_write="consents.write",
    prepare=_prepare,
    present=_present,
    order_by="consented_on",
    identifying=("representative_name", "witness_name"),
    check_correctable=_correctable,
    check_voidable=_voidable,
)


def withdraw(db: Database, actor: Actor, consent_id: int, data: WithdrawalIn) -> ConsentOut:
    """Record the patient's withdrawal on a consent; the record stays, and from ``withdrawn_on``
    no consent given on or before that day holds: no further screening or procedure."""
    actor.require("consents.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        row, patient = load_of_patient(
            session, actor, PatientConsent, consent_id, "consent", lock=True
        )
        if row.status != "current":
            raise StepRefused(
                f"Consent {consent_id} is {row.status.replace('_', ' ')}; withdraw the current one."
            )
        if row.withdrawn_on is not None:
            raise StepRefused(f"Consent {consent_id} was withdrawn on {row.withdrawn_on} already.")
        not_in_future("withdrawn_on", data.withdrawn_on, today())
        if data.withdrawn_on < row.consented_on:
            raise InvalidInput.for_field(
                "withdrawn_on", f"must not be before the consent ({row.consented_on})"
            )
        at = now()
        values = {
            "withdrawn_on": data.withdrawn_on,
            "withdrawal_reason": reason,
            "withdrawal_recorded_by": actor.user_id,
            "withdrawal_recorded_at": at,
        }
        update_versioned(
            session,
            PatientConsent,
            PatientConsent.id == consent_id,
            data.version,
            values,
            f"Consent {consent_id}",
        )
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="withdraw",
                    entity="consent",
                    entity_id=consent_id,
                    patient_id=patient.id,
                    site_id=patient.site_id,
                    old={key: None for key in values},
                    new=values,
                    reason=reason,
                )
            ],
        )
        session.refresh(row)
        return _present(row)


# --- the gate -----------------------------------------------------------------------------------


def valid_consent(
    session: Session, patient_id: int, on: date
) -> tuple[ConsentStanding, PatientConsent | None]:
    """Which of the patient's current consents holds on day ``on`` (domain/consent.standing_on)."""
    rows = list(
        session.scalars(
            select(PatientConsent).where(
                PatientConsent.patient_id == patient_id, PatientConsent.status == "current"
            )
        )
    )
    facts = [ConsentFacts(r.id, r.document_id, r.consented_on, r.withdrawn_on) for r in rows]
    standing = standing_on(facts, document_facts(session), on)
    held = next((r for r in rows if standing.consent and r.id == standing.consent.id), None)
    return standing, held


def consent_problem(session: Session, patient: Patient, on: date, purpose: str) -> str | None:
    """Why ``purpose`` may not happen on day ``on`` for want of consent, or None if it may."""
    standing, _ = valid_consent(session, patient.id, on)
    if standing.valid:
        return None
    return (
        f"patient {patient.study_id} has no valid consent for {purpose} on {on}: {standing.reason}"
    )


def require_consent(session: Session, patient: Patient, on: date, purpose: str) -> PatientConsent:
    """The consent that holds on day ``on``; StepRefused, saying what to do, if none does."""
    standing, held = valid_consent(session, patient.id, on)
    if held is None:
        raise StepRefused(
            f"Patient {patient.study_id} has no valid consent for {purpose} on {on}: "
            f"{standing.reason}."
        )
    return held


def consent_status(
    db: Database, actor: Actor, patient_id: int, on: date | None = None
) -> ConsentStatusOut:
    """Whether a consent holds for the patient on a day (default today), which, or why not."""
    actor.require("consents.read")
    with db.read() as session:
        patient = load_patient(session, actor, patient_id)
        day = on or today()
        standing, held = valid_consent(session, patient.id, day)
        document = session.get(ConsentDocument, held.document_id) if held is not None else None
        return ConsentStatusOut(
            patient_id=patient.id,
            on=day,
            valid=held is not None,
            consent=_present(held) if held is not None else None,
            discloses_evidence_status=document.discloses_evidence_status if document else None,
            reason=standing.reason,
        )
