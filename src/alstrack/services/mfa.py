"""The second factor: a one-time code (TOTP, RFC 6238) from an authenticator app at login.

Admins and the roles that sign (domain.permissions.needs_second_factor; regulatory checklist
AC-6) log in with their password and the app's current code once they have set it up. Until
then a login of theirs may only set it up (the actor's scope is ``mfa``): :func:`start` makes a
secret, shown to the user once (as text and as an ``otpauth://`` address for a QR code), and
:func:`confirm` turns it on with the first code the app shows. A code is accepted for its
30-second step and the steps either side (clocks drift), and never twice. A user who lost their
app is reset by an admin (:func:`reset`), with a reason; every step is audited, the secret never.

``ALSTRACK_MFA=false`` turns the requirement off (a program that authenticates elsewhere).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import pyotp
from pydantic import BaseModel, ConfigDict, Field
from pyotp.utils import strings_equal
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.config import get_settings
from alstrack.domain.permissions import needs_second_factor
from alstrack.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alstrack.services.context import Actor, audited, now
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import User

__all__ = [
    "ISSUER",
    "Code",
    "MfaCodeIn",
    "MfaSetupOut",
    "MfaStatusOut",
    "confirm",
    "required",
    "reset",
    "start",
    "status",
    "verify_code",
]

ISSUER = "alstrack"
Code = Annotated[
    str, Field(pattern=r"^[0-9]{6}$", description="The 6 digits the authenticator app shows")
]


class MfaCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code


class MfaSetupOut(BaseModel):
    secret: str = Field(
        description="The key to type into an authenticator app (base32), shown once"
    )
    uri: str = Field(description="The same as an otpauth:// address, for a QR code")
    issuer: str
    username: str


class MfaStatusOut(BaseModel):
    required: bool = Field(description="True: this user's logins need a one-time code")
    enrolled: bool = Field(description="True: the user's authenticator app is set up")
    enrolled_at: datetime | None


def required(role: str) -> bool:
    """Whether logins of ``role`` need the second factor under the settings in force."""
    return get_settings().mfa and needs_second_factor(role)


def verify_code(user: User, code: str, at: datetime) -> bool:
    """Whether ``code`` is the code of ``user``'s secret for the step of ``at`` or one either
    side, not used before; a code accepted moves the user's last step on (in the caller's
    transaction)."""
    if user.totp_secret is None:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    step = totp.timecode(at)
    for offset in (0, -1, 1):
        if strings_equal(totp.generate_otp(step + offset), code):
            if user.totp_last_step is not None and step + offset <= user.totp_last_step:
                return False  # used already: a code read over someone's shoulder is spent
            user.totp_last_step = step + offset
            return True
    return False


def _own_user(session: Session, actor: Actor) -> User:
    if actor.scope == "read":
        raise PermissionDenied("A read-only token may not set up a second factor: log in.")
    if actor.scope == "password":
        actor.require_full()
    return session.get_one(User, actor.user_id, with_for_update=True)


def start(db: Database, actor: Actor) -> MfaSetupOut:
    """Make a new secret for the actor's authenticator app (replacing one not confirmed yet)."""
    at = now()
    with db.transaction() as session:
        user = _own_user(session, actor)
        if user.totp_enrolled_at is not None:
            raise Conflict(
                "Your authenticator app is set up already. If you lost it, an admin resets it "
                "(POST /users/{username}/mfa/reset), then you set up a new one."
            )
        user.totp_secret = pyotp.random_base32()
        user.totp_last_step = None
        audit.record(
            session,
            [audited(actor, at=at, action="mfa_setup_started", entity="user", entity_id=user.id)],
        )
        secret = user.totp_secret
    uri = pyotp.TOTP(secret).provisioning_uri(name=actor.username, issuer_name=ISSUER)
    return MfaSetupOut(secret=secret, uri=uri, issuer=ISSUER, username=actor.username)


def confirm(db: Database, actor: Actor, data: MfaCodeIn) -> MfaStatusOut:
    """Turn the second factor on with the first code the app shows for the new secret."""
    at = now()
    with db.transaction() as session:
        user = _own_user(session, actor)
        if user.totp_enrolled_at is not None:
            raise Conflict("Your authenticator app is set up already.")
        if user.totp_secret is None:
            raise Conflict("Start the set-up first (POST /auth/mfa), then confirm its code.")
        if not verify_code(user, data.code, at):
            raise InvalidInput.for_field(
                "code", "is not the code the app shows for the new key now: try the next one"
            )
        user.totp_enrolled_at = at
        audit.record(
            session,
            [audited(actor, at=at, action="mfa_enrolled", entity="user", entity_id=user.id)],
        )
        return _status(user)


def status(db: Database, actor: Actor) -> MfaStatusOut:
    with db.read() as session:
        return _status(session.get_one(User, actor.user_id))


def _status(user: User) -> MfaStatusOut:
    return MfaStatusOut(
        required=required(user.role),
        enrolled=user.totp_enrolled_at is not None,
        enrolled_at=user.totp_enrolled_at,
    )


def reset(db: Database, actor: Actor, username: str, reason: str) -> MfaStatusOut:
    """An admin removes a user's second factor (a lost phone), with a reason: the user's next
    login may only set up a new one."""
    actor.require("users.write")
    if not reason.strip():
        raise InvalidInput.for_field("reason", "say why the second factor is reset")
    at = now()
    with db.transaction() as session:
        user = session.scalars(
            select(User).where(User.username == username).with_for_update()
        ).one_or_none()
        if user is None:
            raise NotFound(f"No user {username!r}.")
        was = user.totp_enrolled_at is not None
        user.totp_secret = user.totp_enrolled_at = user.totp_last_step = None
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="mfa_reset",
                    entity="user",
                    entity_id=user.id,
                    old={"enrolled": was},
                    new={"user": user.username, "enrolled": False},
                    reason=reason,
                )
            ],
        )
        return _status(user)
