"""Users certify that their electronic signatures are legally binding (21 CFR 11.100(c)).

Each user certifies once, before their first signature, the program's attestation text
(domain/data/signatures/attestation.yaml): the attestation stores the text's version and its
SHA-256, the time, and is itself signed 'certified' with the user's password. Until a user has
one, :func:`alstrack.services.signatures.sign` refuses every signature of theirs. A new version
of the text may be certified again; the same version once.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import select

from alstrack.domain.attestation import attestation_text
from alstrack.errors import PermissionDenied, StepRefused
from alstrack.services.context import Actor, audited, now
from alstrack.services.signatures import (
    ATTESTATION,
    SIGNING_HELP,
    SignatureOut,
    confirm,
    present,
    present_many,
    sign,
)
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import SignatureAttestation

__all__ = ["AttestationIn", "AttestationOut", "AttestationsOut", "attest", "my_attestations"]


class AttestationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: SecretStr = Field(description=SIGNING_HELP)


class AttestationOut(BaseModel):
    id: int
    username: str
    text_version: str
    text_sha256: str = Field(description="SHA-256 of the text certified (UTF-8)")
    attested_at: datetime
    signature: SignatureOut | None = Field(description="The attestation's signature, 'certified'")


class AttestationsOut(BaseModel):
    """What a user is asked to certify, and what they have certified."""

    current_version: str = Field(description="The version of the text in force")
    source: str
    text: str = Field(description="What POST /auth/attestation certifies")
    text_sha256: str
    certified: bool = Field(description="True: the user may sign (an attestation is on file)")
    attestations: list[AttestationOut]


def attest(db: Database, actor: Actor, data: AttestationIn) -> AttestationOut:
    """The actor certifies the current attestation text, signed 'certified' with their
    password. Refused for a login that may not change records, and for a version certified
    already."""
    if actor.scope == "read":
        raise PermissionDenied("A read-only token may not certify signatures: log in.")
    actor.require_full()
    text = attestation_text()
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        done = session.scalars(
            select(SignatureAttestation).where(
                SignatureAttestation.user_id == actor.user_id,
                SignatureAttestation.text_version == text.version,
            )
        ).one_or_none()
        if done is not None:
            raise StepRefused(
                f"{actor.username} certified version {text.version} of the attestation already, "
                f"on {done.attested_at.isoformat(timespec='minutes')} (UTC)."
            )
        at = now()
        row = SignatureAttestation(
            user_id=actor.user_id,
            text_version=text.version,
            text_sha256=text.sha256,
            attested_at=at,
        )
        session.add(row)
        session.flush()
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="certified",
            entity=ATTESTATION,
            entity_id=row.id,
            at=at,
        )
        row.signature_id = signature.id
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="attest",
                    entity="signature_attestation",
                    entity_id=row.id,
                    new={
                        "user": actor.username,
                        "text_version": row.text_version,
                        "text_sha256": row.text_sha256,
                        "signature_id": signature.id,
                        "meaning": "certified",
                    },
                )
            ],
        )
        return _present(row, actor.username, present(session, signature))


def my_attestations(db: Database, actor: Actor) -> AttestationsOut:
    """The attestation text in force and the actor's own attestations, oldest first."""
    text = attestation_text()
    with db.read() as session:
        rows = session.scalars(
            select(SignatureAttestation)
            .where(SignatureAttestation.user_id == actor.user_id)
            .order_by(SignatureAttestation.attested_at, SignatureAttestation.id)
        ).all()
        signatures = present_many(session, (row.signature_id for row in rows))
        shown = [
            _present(row, actor.username, signatures.get(row.signature_id or 0)) for row in rows
        ]
    return AttestationsOut(
        current_version=text.version,
        source=text.source,
        text=text.text,
        text_sha256=text.sha256,
        certified=bool(shown),
        attestations=shown,
    )


def _present(
    row: SignatureAttestation, username: str, signature: SignatureOut | None
) -> AttestationOut:
    return AttestationOut(
        id=row.id,
        username=username,
        text_version=row.text_version,
        text_sha256=row.text_sha256,
        attested_at=row.attested_at,
        signature=signature,
    )
