"""The cast's credentials: the password every member signs with (each has it set as their own)
and the one-time codes of the authenticator apps of those whose role needs one."""

from datetime import UTC, datetime
from typing import Any

import pyotp
from pydantic import SecretStr
from sqlalchemy import select

from alstrack.services import mfa
from alstrack.services.context import Actor
from alstrack.store.db import Database
from alstrack.store.models import User

PASSWORD = "cast passphrase for signing"
SECRET = SecretStr(PASSWORD)

SIGNED_STEPS = frozenset({"release", "reject"})


def step_fields(name: object, fields: dict[str, Any]) -> dict[str, Any]:
    """A product step's fields, with the password where the step is signed."""
    signed = getattr(name, "value", name) in SIGNED_STEPS
    return {"password": SECRET, **fields} if signed else fields


def set_up_app(db: Database, actor: Actor) -> str:
    """Set up the actor's authenticator app as a user does (POST /auth/mfa, then confirm);
    the secret. It is confirmed with the code of the step before now, so that a login at this
    very moment (a test's stopped clock) still has an unused code."""
    secret = mfa.start(db, actor).secret
    totp = pyotp.TOTP(secret)
    earlier = totp.generate_otp(totp.timecode(datetime.now(UTC)) - 1)
    mfa.confirm(db, actor, mfa.MfaCodeIn(code=earlier))
    return secret


def one_time_code(db: Database, username: str) -> str | None:
    """The code ``username``'s app would show, not used yet (None: no app set up). Codes of
    the step before now and the step after are accepted too: a stopped clock gives three."""
    with db.read() as session:
        secret, enrolled, last = session.execute(
            select(User.totp_secret, User.totp_enrolled_at, User.totp_last_step).where(
                User.username == username
            )
        ).one()
    if secret is None or enrolled is None:
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(datetime.now(UTC))
    step = max(now_step - 1, (last if last is not None else now_step - 2) + 1)
    if step > now_step + 1:
        raise AssertionError(f"{username} has used every code of this minute: move the clock on")
    return totp.generate_otp(step)
