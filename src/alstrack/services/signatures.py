"""Electronic signatures: printed name, time (UTC) and meaning, bound to what was signed.

21 CFR Part 11 asks three things of a signature, and this module keeps them:

- 11.50: the signer's printed name, the time and the meaning are stored and shown
  (:class:`SignatureOut`).
- 11.200(a): signing needs both components, the user's identity and their password, every
  time: :func:`confirm` checks the password again (a wrong one counts towards the lockout) and
  gives the :class:`Confirmed` that :func:`sign` asks for, so no service can sign without it.
- 11.100(c): a user signs nothing until they have certified, once and itself signed
  'certified', that their electronic signatures are the legally binding equivalent of their
  handwritten one (services/attestations.py): :func:`sign` refuses anyone without it.
- 11.70: the signature is bound to the record. Its ``content_hash`` is the SHA-256 of the
  signature (who, meaning, which record, when) and of the signed content as the transaction
  that signs it commits it (:func:`signed_content`). :func:`status_of` recomputes it: a later
  change to that content, or the signature's row copied onto another record, shows the
  signature as ``invalid``.

The hash is taken when the signing transaction commits (a ``before_commit`` hook on every
session), after the change it signs is in place: a plan's approval, a screening's review, a
donor's determination, a product's release or rejection, a deviation's disposition, an
administration, an expedited safety report, a user's attestation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field, SecretStr
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from alstrack.errors import InvalidInput, PermissionDenied, StepRefused
from alstrack.services import auth
from alstrack.services.context import Actor
from alstrack.store.audit import jsonable
from alstrack.store.db import Database
from alstrack.store.models import (
    Administration,
    AdverseEvent,
    Deviation,
    Donor,
    DonorTest,
    ElectronicSignature,
    Product,
    ProductTestResult,
    SafetyReport,
    ScreeningReview,
    SignatureAttestation,
    TreatmentPlanVersion,
)
from alstrack.store.record_locks import lock_content, unlock_content

Meaning = Literal[
    "approved",
    "reviewed",
    "released",
    "rejected",
    "determined",
    "administered",
    "reported",
    "certified",
    "locked",
    "unlocked",
]
Status = Literal["valid", "invalid", "unbound"]
# The entity a user's attestation is signed as: the one signature made without one on file.
ATTESTATION = "attestation"

SIGNING_HELP = (
    "Your password, entered again: every signature needs it (21 CFR 11.200(a)). It is checked "
    "and never stored; a wrong one counts towards the lockout."
)
STATUS_HELP = (
    "valid: the signed content is as it was signed. invalid: it changed since, or the signature "
    "belongs to another record. unbound: signed before signatures were bound to their content."
)


class SignatureOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    meaning: str
    signed_at: datetime
    status: Status = Field(description=STATUS_HELP)
    content_hash: str | None = Field(
        description="SHA-256 of the signature and the content it signs (docs/security.md)"
    )


@dataclass(frozen=True)
class Confirmed:
    """The actor entered their password again for this signing (see :func:`confirm`)."""

    user_id: int


def confirm(db: Database, actor: Actor, password: SecretStr | None) -> Confirmed:
    """Check the signer's password again, before the signing transaction begins (so that a
    wrong one is counted even though the signing is refused)."""
    if actor.role == "system":
        raise StepRefused(
            "The system account cannot sign: a signature is a person's (21 CFR 11.100(a)); "
            "sign as yourself."
        )
    if password is None or not password.get_secret_value():
        raise InvalidInput.for_field(
            "password", "required: signing asks for your password again (21 CFR 11.200(a))"
        )
    auth.confirm_password(db, actor, password.get_secret_value())
    return Confirmed(actor.user_id)


def sign(
    session: Session,
    actor: Actor,
    confirmed: Confirmed,
    *,
    meaning: Meaning,
    entity: str,
    entity_id: object,
    at: datetime,
) -> ElectronicSignature:
    """Record that ``actor`` signs ``entity`` ``entity_id`` with ``meaning``; the signature is
    bound to the signed content when the transaction commits."""
    if confirmed.user_id != actor.user_id:
        raise PermissionDenied("A signature needs the signer's own password.")
    if entity not in _CONTENT:
        raise ValueError(f"no signed content is defined for {entity!r}")
    if entity != ATTESTATION and not attested(session, actor.user_id):
        raise StepRefused(
            f"{actor.display_name} ({actor.username}) has not certified that their electronic "
            "signatures are legally binding (21 CFR 11.100(c)): certify once with POST "
            "/auth/attestation (your password again), then sign."
        )
    signature = ElectronicSignature(
        user_id=actor.user_id,
        username=actor.username,
        display_name=actor.display_name,
        role=actor.role,
        meaning=meaning,
        entity=entity,
        entity_id=str(entity_id),
        signed_at=at,
    )
    session.add(signature)
    session.flush()
    session.info.setdefault(_UNSEALED, []).append(signature)
    return signature


def attested(session: Session, user_id: int) -> bool:
    """Whether the user has certified their signatures (an attestation of any version)."""
    found = session.scalars(
        select(SignatureAttestation.id).where(SignatureAttestation.user_id == user_id).limit(1)
    ).first()
    return found is not None


def status_of(session: Session, signature: ElectronicSignature) -> Status:
    """Whether the content ``signature`` signed is still as it was signed."""
    unsealed = session.info.get(_UNSEALED, [])
    if signature.content_hash is None and signature in unsealed:
        # Shown by the transaction that signs: the change signed is in place, bind it now.
        unsealed.remove(signature)
        _bind(session, signature)
    if signature.content_hash is None:
        return "unbound"
    content = signed_content(session, signature.entity, signature.entity_id)
    return "valid" if _hash(signature, content) == signature.content_hash else "invalid"


def present(session: Session, signature: ElectronicSignature) -> SignatureOut:
    return SignatureOut(
        id=signature.id,
        username=signature.username,
        display_name=signature.display_name,
        role=signature.role,
        meaning=signature.meaning,
        signed_at=signature.signed_at,
        status=status_of(session, signature),
        content_hash=signature.content_hash,
    )


def present_many(session: Session, ids: Iterable[int | None]) -> dict[int, SignatureOut]:
    """The signatures with these ids, each with its status."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.scalars(select(ElectronicSignature).where(ElectronicSignature.id.in_(wanted)))
    return {row.id: present(session, row) for row in rows}


# --- what each kind of record signs ------------------------------------------------------------


def signed_content(session: Session, entity: str, entity_id: str) -> dict[str, Any] | None:
    """The content a signature of ``entity`` ``entity_id`` covers, as it is now (None: the
    record is not there)."""
    return _CONTENT[entity](session, entity_id)


def _columns(row: Any, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    return {
        c.key: jsonable(getattr(row, c.key))
        for c in row.__table__.columns
        if c.key not in leave_out
    }


def _plan_version(session: Session, entity_id: str) -> dict[str, Any] | None:
    """A plan version, all of it: versions are never changed, a change is a new version."""
    plan_id, number = (int(part) for part in entity_id.split("/"))
    row = session.scalars(
        select(TreatmentPlanVersion).where(
            TreatmentPlanVersion.plan_id == plan_id, TreatmentPlanVersion.number == number
        )
    ).one_or_none()
    return None if row is None else _columns(row, leave_out=frozenset({"approval_signature_id"}))


def _review(session: Session, entity_id: str) -> dict[str, Any] | None:
    """A physician's decision on one criterion of a screening, with its reason."""
    screening_id, criterion_id = entity_id.split("/", 1)
    row = session.scalars(
        select(ScreeningReview).where(
            ScreeningReview.screening_id == int(screening_id),
            ScreeningReview.criterion_id == criterion_id,
        )
    ).one_or_none()
    return None if row is None else _columns(row, leave_out=frozenset({"signature_id"}))


def _donor(session: Session, entity_id: str) -> dict[str, Any] | None:
    """The donor's determination and every test result it rests on (corrections included)."""
    donor = session.get(Donor, int(entity_id))
    if donor is None:
        return None
    tests = session.scalars(
        select(DonorTest).where(DonorTest.donor_id == donor.id).order_by(DonorTest.id)
    )
    content = _columns(donor, leave_out=frozenset({"version"}))
    return content | {"tests": [_columns(t) for t in tests]}


# What a release or rejection signs: the product's identity, origin, quantity, expiry and QC
# results. Not its state, place or allocation, which change as it goes on to the patient.
_PRODUCT_SIGNED = (
    "id", "din", "kind", "cell_source", "specification_version", "donor_id",
    "collection_order_id", "vials", "viable_cells_per_vial", "expires_at", "created_at",
)  # fmt: skip


def _product(session: Session, entity_id: str) -> dict[str, Any] | None:
    product = session.scalars(select(Product).where(Product.din == entity_id)).one_or_none()
    if product is None:
        return None
    results = session.scalars(
        select(ProductTestResult)
        .where(ProductTestResult.product_id == product.id)
        .order_by(ProductTestResult.id)
    )
    content = {name: jsonable(getattr(product, name)) for name in _PRODUCT_SIGNED}
    return content | {"qc": [_columns(r) for r in results]}


def _deviation(session: Session, entity_id: str) -> dict[str, Any] | None:
    row = session.get(Deviation, int(entity_id))
    return None if row is None else _columns(row, leave_out=frozenset({"version", "signature_id"}))


def _administration(session: Session, entity_id: str) -> dict[str, Any] | None:
    """A dose as given: product, patient, plan version, dose number, route, cells, volume,
    time, both bedside verifiers, who gave it, the note. Nothing of it changes afterwards."""
    row = session.get(Administration, int(entity_id))
    return None if row is None else _columns(row, leave_out=frozenset({"signature_id"}))


# What marks an adverse-event record superseded or voided later; the facts reported stay.
_AE_LATER = frozenset({"status", "superseded_by_id", "void_reason", "version"})


def _safety_report(session: Session, entity_id: str) -> dict[str, Any] | None:
    """An expedited report as submitted (which, when, to whom, its reference) and the facts of
    the adverse-event record it reported, as that record stood."""
    row = session.get(SafetyReport, int(entity_id))
    if row is None:
        return None
    event = session.get(AdverseEvent, row.adverse_event_id)
    reported = None if event is None else _columns(event, leave_out=_AE_LATER)
    return _columns(row, leave_out=frozenset({"signature_id"})) | {"adverse_event": reported}


def _attestation(session: Session, entity_id: str) -> dict[str, Any] | None:
    """Who certified which text (its version and SHA-256), when."""
    row = session.get(SignatureAttestation, int(entity_id))
    return None if row is None else _columns(row, leave_out=frozenset({"signature_id"}))


_CONTENT: Mapping[str, Callable[[Session, str], dict[str, Any] | None]] = {
    "treatment_plan": _plan_version,
    "screening": _review,
    "donor": _donor,
    "product": _product,
    "deviation": _deviation,
    "administration": _administration,
    "safety_report": _safety_report,
    ATTESTATION: _attestation,
    "record_lock": lock_content,
    "record_unlock": unlock_content,
}


def _hash(signature: ElectronicSignature, content: dict[str, Any] | None) -> str:
    signed = {
        "signature": {
            "user_id": signature.user_id,
            "username": signature.username,
            "display_name": signature.display_name,
            "meaning": signature.meaning,
            "entity": signature.entity,
            "entity_id": signature.entity_id,
            "signed_at": jsonable(signature.signed_at),
        },
        "content": content,
    }
    return hashlib.sha256(orjson.dumps(signed, option=orjson.OPT_SORT_KEYS)).hexdigest()


_UNSEALED = "alstrack.unsealed_signatures"


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    """Bind each signature made in this transaction to its content as the transaction commits
    it (the change signed is in place by then)."""
    unsealed: list[ElectronicSignature] = session.info.pop(_UNSEALED, [])
    if not unsealed:
        return
    for signature in unsealed:
        _bind(session, signature)


def _bind(session: Session, signature: ElectronicSignature) -> None:
    session.flush()
    signature.content_hash = _hash(
        signature, signed_content(session, signature.entity, signature.entity_id)
    )
    session.flush()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_UNSEALED, None)
