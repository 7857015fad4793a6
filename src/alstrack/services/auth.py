"""Passwords, logins and their sessions: who is at the keyboard.

Passwords are hashed with argon2id by argon2-cffi (its RFC 9106 low-memory profile), never
stored or logged. A login opens a session whose token is shown once (only its SHA-256 is kept,
as for API tokens); the session ends on logout, after ``session_idle_minutes`` without a request
(automatic logoff, HIPAA 164.312(a)(2)(iii)) or ``session_max_hours`` after login.
``lockout_attempts`` failed logins in a row lock the account for ``lockout_minutes``; the lock
is written to the audit trail as an alert and logged (21 CFR 11.300(d)). An admin's password
reset gives a one-time password that only lets the user choose a new one, so no admin ever knows
a user's password (21 CFR 11.200(a)(3)). A password older than ``password_max_age_days`` must be
changed likewise before anything else (11.300(b)).

Security events are audited like record changes: login, failed login, lockout, logout, password
change and reset. The audit entry never holds a password or a token.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Annotated, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session

from alstrack.config import get_settings
from alstrack.errors import InvalidInput, NotFound, PermissionDenied, Unauthenticated
from alstrack.services import mfa
from alstrack.services.context import Actor, audited, now
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import LoginSession, User, UserSite

__all__ = [
    "SESSION_PREFIX",
    "LoginIn",
    "LoginOut",
    "PasswordChangeIn",
    "authenticate_session",
    "change_password",
    "confirm_password",
    "login",
    "logout",
    "reset_password",
]

log = logging.getLogger("alstrack.security")

# Session tokens start with this, API tokens never do: a request's token says which it is.
SESSION_PREFIX = "s-"
# last_seen_at is written at most this often: a page view should not always cost a write.
_SEEN_EVERY = timedelta(seconds=30)
_HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that a wrong username takes as long as
    a wrong password and the answer does not tell which it was (made on first use: hashing
    takes a tenth of a second, which every command would otherwise pay at import)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


_WRONG = "Wrong username or password."
_WRONG_WITH_CODE = "Wrong username, password or one-time code."
_CODE_NEEDED = (
    "This account logs in with the one-time code of its authenticator app as well: send it as "
    "totp_code."
)


class UnknownSession(Unauthenticated):
    """No session has this token (it may be an API token that happens to look like one)."""


Password = Annotated[str, Field(min_length=1, max_length=1024, repr=False)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password
    totp_code: mfa.Code | None = Field(
        default=None,
        description="The authenticator app's code: needed by admins and the roles that sign "
        "once their app is set up",
    )


class LoginOut(BaseModel):
    token: str = Field(description="The session's bearer token, shown once")
    username: str
    display_name: str
    role: str
    must_change_password: bool = Field(
        description="True: the session may only change the password (after a reset or expiry)"
    )
    must_set_up_mfa: bool = Field(
        description="True: the session may only set up the authenticator app (POST /auth/mfa)"
    )
    idle_minutes: int = Field(description="The session ends after this long without a request")
    expires_at: datetime = Field(description="The session ends at this time in any case")


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: Password
    new_password: Password


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, user: User) -> None:
    """The password policy: long enough, not the username or printed name."""
    settings = get_settings()
    if len(password) < settings.password_min_length:
        raise InvalidInput.for_field(
            "new_password", f"at least {settings.password_min_length} characters"
        )
    lowered = password.casefold()
    if user.username.casefold() in lowered or lowered in user.display_name.casefold():
        raise InvalidInput.for_field("new_password", "must not contain the username or be the name")


def _password_expired(user: Any, at: datetime) -> bool:
    """Whether the password of ``user`` (a User or a row with password_changed_at) is too old."""
    max_age = get_settings().password_max_age_days
    changed = user.password_changed_at
    return bool(max_age) and changed is not None and at - changed > timedelta(days=max_age)


def _security_entry(user: User, at: datetime, action: str, **details: Any) -> dict[str, Any]:
    return audit.entry(
        at=at,
        user_id=user.id,
        username=user.username,
        action=action,
        entity="user",
        entity_id=user.id,
        **details,
    )


def _user_named(session: Session, username: str) -> User | None:
    """The user, their row locked until the transaction ends: attempts at the same account one
    after another, so that failures at once are each counted (PostgreSQL; SQLite's transaction
    holds the database's write lock from its start)."""
    stmt = select(User).where(User.username == username).with_for_update()
    return session.scalars(stmt).one_or_none()


def _user_locked(session: Session, user_id: int) -> User:
    """The acting user, locked like `_user_named`: a password check that fails counts."""
    return session.get_one(User, user_id, with_for_update=True)


def login(db: Database, data: LoginIn) -> LoginOut:
    """Open a session for a username and password, or Unauthenticated.

    A wrong password counts towards the lockout; the attempt is audited whatever its outcome.
    """
    settings = get_settings()
    at = now()
    # The words of a refusal depend on what was sent, never on the account: they tell nobody
    # whether a username exists or has a second factor.
    wrong = _WRONG_WITH_CODE if data.totp_code is not None else _WRONG
    with db.transaction() as session:
        user = _user_named(session, data.username)
        if user is None or not user.active or user.service_account:
            _verify(None, data.password)  # as long as a real check
            failure: str | None = wrong
        elif user.locked_until is not None and user.locked_until > at:
            failure = (
                f"The account is locked after {settings.lockout_attempts} failed logins until "
                f"{user.locked_until.isoformat(timespec='minutes')} (UTC); an admin can unlock "
                "it by resetting the password."
            )
            audit.record(session, [_security_entry(user, at, "login_refused_locked")])
        elif not _verify(user.password_hash, data.password):
            failure = wrong
            _count_failure(session, user, at)
        elif _second_factor(user) and data.totp_code is None:
            # The password was right: the code is asked for (as a two-step login would), and
            # nothing is counted.
            failure = _CODE_NEEDED
        elif _second_factor(user) and not mfa.verify_code(user, data.totp_code or "", at):
            failure = _WRONG_WITH_CODE
            _count_failure(session, user, at)
        else:
            failure = None
            out = _open_session(session, user, at)
    # A refusal still commits the count of failures and its audit entries.
    if failure is not None:
        raise Unauthenticated(failure)
    return out


def _second_factor(user: User) -> bool:
    """Whether this login needs the code: a role that needs it, with its app set up."""
    return user.totp_enrolled_at is not None and mfa.required(user.role)


def _open_session(session: Session, user: User, at: datetime) -> LoginOut:
    settings = get_settings()
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    user.failed_logins = 0
    user.locked_until = None
    row = LoginSession(
        user_id=user.id, token_hash=hash_token(token), created_at=at, last_seen_at=at
    )
    session.add(row)
    session.flush()
    audit.record(session, [_security_entry(user, at, "login", new={"session": row.id})])
    return LoginOut(
        token=token,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        must_change_password=user.must_change_password or _password_expired(user, at),
        must_set_up_mfa=user.totp_enrolled_at is None and mfa.required(user.role),
        idle_minutes=settings.session_idle_minutes,
        expires_at=at + timedelta(hours=settings.session_max_hours),
    )


def _count_failure(session: Session, user: User, at: datetime) -> None:
    settings = get_settings()
    user.failed_logins += 1
    entries = [
        _security_entry(user, at, "login_failed", new={"failed_in_a_row": user.failed_logins})
    ]
    if user.failed_logins >= settings.lockout_attempts:
        user.locked_until = at + timedelta(minutes=settings.lockout_minutes)
        user.failed_logins = 0
        entries.append(
            _security_entry(
                user,
                at,
                "lockout",
                new={"locked_until": user.locked_until},
                reason=f"{settings.lockout_attempts} failed logins in a row",
            )
        )
        # The alert: operators watch this logger (docs/security.md). No password is logged.
        log.warning(
            "ALERT account %s locked until %s after %d failed logins",
            user.username,
            user.locked_until.isoformat(timespec="minutes"),
            settings.lockout_attempts,
        )
    audit.record(session, entries)


# An actor's user with one row per site of theirs (one row with no site for a user of none),
# joined to the credential that names them: each request authenticates with one indexed query.
_ACTOR_COLUMNS = (User.id, User.username, User.display_name, User.role, User.active)


def actor_query(credential: Any, *columns: Any) -> Select[Any]:
    """The user of ``credential`` (a table with ``user_id`` and ``token_hash``) with ``columns``
    of it, one row per site of the user's."""
    return (
        select(*_ACTOR_COLUMNS, *columns, UserSite.site_id)
        .join(credential, credential.user_id == User.id)
        .outerjoin(UserSite, UserSite.user_id == User.id)
        .where(credential.token_hash == bindparam("token_hash"))
    )


_BY_SESSION = actor_query(
    LoginSession,
    User.must_change_password,
    User.totp_enrolled_at,
    User.password_changed_at,
    LoginSession.id.label("session_id"),
    LoginSession.created_at,
    LoginSession.last_seen_at,
    LoginSession.ended_at,
)


def authenticate_session(db: Database, token: str) -> Actor:
    """The actor of a live session, or Unauthenticated; ends a session found idle or too old.

    While the password must be changed the actor's scope is ``password``: it may do nothing
    but change it.
    """
    settings = get_settings()
    at = now()
    token_hash = hash_token(token)
    with db.connection() as conn:
        rows = conn.execute(_BY_SESSION, {"token_hash": token_hash}).all()
    if not rows:
        raise UnknownSession("The session is unknown: log in again.")
    if rows[0].ended_at is not None or not rows[0].active:
        raise Unauthenticated("The session has ended: log in again.")
    row = rows[0]
    ended = None
    if at - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        ended = "idle"
    elif at - row.created_at > timedelta(hours=settings.session_max_hours):
        ended = "max_age"
    if ended is not None or at - row.last_seen_at > _SEEN_EVERY:
        with db.transaction() as session:
            values: dict[str, Any] = {"last_seen_at": at}
            if ended is not None:
                values = {"ended_at": at, "ended_because": ended}
            session.execute(
                update(LoginSession)
                .where(LoginSession.id == row.session_id, LoginSession.ended_at.is_(None))
                .values(**values)
            )
            if ended is not None:
                audit.record(
                    session,
                    [
                        audit.entry(
                            at=at,
                            user_id=row.id,
                            username=row.username,
                            action="session_ended",
                            entity="login_session",
                            entity_id=row.session_id,
                            reason=ended,
                        )
                    ],
                )
    if ended == "idle":
        raise Unauthenticated(
            f"The session ended after {settings.session_idle_minutes} minutes without a "
            "request (automatic logoff): log in again."
        )
    if ended == "max_age":
        raise Unauthenticated(
            f"The session ended {settings.session_max_hours} hours after login: log in again."
        )
    sites = frozenset(r.site_id for r in rows if r.site_id is not None)
    expired = _password_expired(row, at)
    if row.must_change_password or expired:
        scope = "password"
    elif row.totp_enrolled_at is None and mfa.required(row.role):
        scope = "mfa"
    else:
        scope = "full"
    return Actor(row.id, row.username, row.display_name, row.role, sites, scope=scope)


def logout(db: Database, token: str) -> None:
    """End the session of ``token`` (a session already ended is not an error)."""
    at = now()
    with db.transaction() as session:
        row = session.scalars(
            select(LoginSession).where(LoginSession.token_hash == hash_token(token))
        ).one_or_none()
        if row is None:
            raise Unauthenticated("No such session.")
        if row.ended_at is not None:
            return
        row.ended_at, row.ended_because = at, "logout"
        user = session.get_one(User, row.user_id)
        audit.record(
            session,
            [
                _security_entry(user, at, "logout", new={"session": row.id}),
            ],
        )


def change_password(db: Database, actor: Actor, data: PasswordChangeIn) -> None:
    """The user changes their own password: the current one is required, even right after a
    reset. Clears the must-change flag."""
    if actor.role == "system":
        raise PermissionDenied("The system account has no password.")
    at = now()
    wrong = False
    with db.transaction() as session:
        user = _user_locked(session, actor.user_id)
        if not _verify(user.password_hash, data.current_password):
            _count_failure(session, user, at)
            wrong = True
        else:
            check_new_password(data.new_password, user)
            if _verify(user.password_hash, data.new_password):
                raise InvalidInput.for_field("new_password", "must differ from the current one")
            user.password_hash = hash_password(data.new_password)
            user.password_changed_at = at
            user.must_change_password = False
            user.failed_logins = 0
            audit.record(session, [_security_entry(user, at, "password_change")])
    if wrong:
        raise Unauthenticated("The current password is wrong.")


def set_initial_password(db: Database, actor: Actor, username: str, password: str) -> None:
    """Give a user who has none their first password (the user themself, or the system
    account at installation). Never replaces a password: that is a change or a reset."""
    at = now()
    with db.transaction() as session:
        user = _user_named(session, username)
        if user is None:
            raise NotFound(f"No user {username!r}.")
        if actor.role != "system" and actor.user_id != user.id:
            raise PermissionDenied("Only the user may choose their first password.")
        if user.password_hash is not None:
            raise InvalidInput.for_field(
                "password", "the user has a password: change it, or have an admin reset it"
            )
        check_new_password(password, user)
        user.password_hash = hash_password(password)
        user.password_changed_at = at
        audit.record(session, [_security_entry(user, at, "password_set")])


def reset_password(db: Database, actor: Actor, username: str, reason: str) -> str:
    """An admin resets a user's password: a one-time password, shown once, with which the user
    can only choose a new one. Unlocks the account and ends its sessions."""
    actor.require("users.write")
    if not reason.strip():
        raise InvalidInput.for_field("reason", "say why the password is reset")
    temporary = secrets.token_urlsafe(18)
    at = now()
    with db.transaction() as session:
        user = _user_named(session, username)
        if user is None:
            raise NotFound(f"No user {username!r}.")
        if user.service_account:
            raise InvalidInput.for_field("username", "a service account has no password")
        user.password_hash = hash_password(temporary)
        user.password_changed_at = at
        user.must_change_password = True
        user.failed_logins = 0
        user.locked_until = None
        session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
            .values(ended_at=at, ended_because="password_reset")
        )
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="password_reset",
                    entity="user",
                    entity_id=user.id,
                    new={"user": user.username, "must_change_password": True},
                    reason=reason,
                )
            ],
        )
    return temporary


def confirm_password(db: Database, actor: Actor, password: str) -> None:
    """Check the actor's password again, as a signature requires (21 CFR 11.200(a)).

    A wrong password counts towards the lockout like a failed login and raises Unauthenticated;
    a locked account cannot sign.
    """
    at = now()
    locked = wrong = False
    with db.transaction() as session:
        user = _user_locked(session, actor.user_id)
        if user.locked_until is not None and user.locked_until > at:
            locked = True
        elif not _verify(user.password_hash, password):
            _count_failure(session, user, at)
            wrong = True
    if locked:
        raise Unauthenticated("The account is locked: it cannot sign until it is unlocked.")
    if wrong:
        raise Unauthenticated("The password is wrong: the signature was not made.")
