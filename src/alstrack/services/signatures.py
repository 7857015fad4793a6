"""Electronic signatures: the signer's name, the time (UTC) and the meaning, linked to a record.

The signer is the authenticated actor; re-entering a credential at signing comes with the trust
issue. A signature is written in the same transaction as the change it signs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.orm import Session

from alstrack.services.context import Actor
from alstrack.store.models import ElectronicSignature

Meaning = Literal["approved", "reviewed", "released", "rejected", "determined"]


class SignatureOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    meaning: str
    signed_at: datetime


def sign(
    session: Session,
    actor: Actor,
    *,
    meaning: Meaning,
    entity: str,
    entity_id: object,
    at: datetime,
) -> ElectronicSignature:
    """Record that ``actor`` signs ``entity`` ``entity_id`` with ``meaning``."""
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
    return signature


def present(signature: ElectronicSignature) -> SignatureOut:
    return SignatureOut(
        id=signature.id,
        username=signature.username,
        display_name=signature.display_name,
        role=signature.role,
        meaning=signature.meaning,
        signed_at=signature.signed_at,
    )
