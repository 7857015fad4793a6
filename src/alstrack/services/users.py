"""Users, their sites and API tokens (passwords and login sessions: services/auth.py).

An API token belongs to one user and acts with the user's role and sites, all of them
(``full``) or only what they may read (``read``); it may expire, and it is revoked, never
deleted. Only its SHA-256 is kept, so it is shown once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from alstrack.domain.permissions import Role
from alstrack.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from alstrack.services.auth import (
    SESSION_PREFIX,
    UnknownSession,
    actor_query,
    authenticate_session,
    hash_token,
)
from alstrack.services.context import Actor, audited, now, require_reason
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import ApiToken, Site, User, UserSite

Username = Annotated[str, Field(pattern=r"^[a-z][a-z0-9._-]{1,63}$")]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role
    site_codes: list[str] = Field(default_factory=list)
    service_account: bool = False


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    site_ids: list[int]
    active: bool
    service_account: bool


_SITE_IDS = select(UserSite.site_id).where(UserSite.user_id == bindparam("user_id"))
_BY_TOKEN = actor_query(ApiToken, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.scope)


def _site_ids(session: Session, user_id: int) -> frozenset[int]:
    return frozenset(session.scalars(_SITE_IDS, {"user_id": user_id}))


def actor_for(session: Session, user: User) -> Actor:
    return Actor(user.id, user.username, user.display_name, user.role, _site_ids(session, user.id))


def create_user(db: Database, actor: Actor, data: UserIn) -> UserOut:
    """Create a user (admin or system only); usernames are never reissued."""
    actor.require("users.write")
    with db.transaction() as session:
        if session.scalars(select(User).where(User.username == data.username)).first():
            raise Conflict(f"The username {data.username!r} exists and is never reissued.")
        sites = {
            s.code: s.id
            for s in session.scalars(select(Site).where(Site.code.in_(data.site_codes)))
        }
        missing = sorted(set(data.site_codes) - set(sites))
        if missing:
            raise InvalidInput.for_field("site_codes", f"no such site: {', '.join(missing)}")
        at = now()
        user = User(
            username=data.username,
            display_name=data.display_name,
            role=data.role,
            active=True,
            service_account=data.service_account,
            created_at=at,
        )
        session.add(user)
        session.flush()
        for site_id in sites.values():
            session.add(UserSite(user_id=user.id, site_id=site_id))
        new = data.model_dump()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="create",
                    entity="user",
                    entity_id=user.id,
                    new=new,
                )
            ],
        )
        return UserOut(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            site_ids=sorted(sites.values()),
            active=True,
            service_account=user.service_account,
        )


TokenScope = Literal["full", "read"]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="What the token is for (shown in the list of tokens)"
    )
    scope: TokenScope = Field(
        default="full", description="full: what the user's role allows; read: only reading"
    )
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=None, description="Days until the token stops working (none: until revoked)"
    )


class TokenOut(BaseModel):
    id: int
    username: str
    label: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class IssuedTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, only its hash is kept")


def issue_token(
    db: Database,
    actor: Actor,
    username: str,
    label: str,
    *,
    scope: TokenScope = "full",
    expires_in_days: int | None = None,
) -> str:
    """A new API token for a user; only its hash is stored, so it is shown once."""
    return create_token(
        db, actor, username, TokenIn(label=label, scope=scope, expires_in_days=expires_in_days)
    ).token


def create_token(db: Database, actor: Actor, username: str, data: TokenIn) -> IssuedTokenOut:
    """A user's own token, or any user's for an admin (users.write). A login that must first
    change its password, and a read-only token, cannot make tokens."""
    if actor.scope == "read":
        raise PermissionDenied("A read-only token may not make tokens.")
    if actor.scope != "full" or actor.username != username:
        actor.require("users.write")
    token = secrets.token_urlsafe(32)
    while token.startswith(SESSION_PREFIX):  # 1 in 4096: the prefix says "session token"
        token = secrets.token_urlsafe(32)
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            raise NotFound(f"No user {username!r}.")
        if not user.active:
            raise InvalidInput.for_field("username", f"{username!r} is not active")
        at = now()
        expires = at + timedelta(days=data.expires_in_days) if data.expires_in_days else None
        row = ApiToken(
            user_id=user.id,
            token_hash=hash_token(token),
            label=data.label,
            created_at=at,
            scope=data.scope,
            expires_at=expires,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="issue_token",
                    entity="api_token",
                    entity_id=row.id,
                    new={
                        "user": username,
                        "label": data.label,
                        "scope": data.scope,
                        "expires_at": expires,
                    },
                )
            ],
        )
        return IssuedTokenOut(token=token, **_token_out(row, username).model_dump())


def _token_out(row: ApiToken, username: str) -> TokenOut:
    return TokenOut(
        id=row.id,
        username=username,
        label=row.label,
        scope=row.scope,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def list_tokens(db: Database, actor: Actor, username: str) -> list[TokenOut]:
    """A user's tokens (never the tokens themselves): one's own, or any user's for an admin."""
    if actor.username != username:
        actor.require("users.write")
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            raise NotFound(f"No user {username!r}.")
        rows = session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
        ).all()
        return [_token_out(r, username) for r in rows]


def revoke_token(db: Database, actor: Actor, token_id: int, reason: str) -> TokenOut:
    """Revoke a token for good: one's own, or any user's for an admin. Revoking twice is a
    conflict: the first revocation stands."""
    reason = require_reason(reason)
    with db.transaction() as session:
        row = session.get(ApiToken, token_id)
        user = session.get(User, row.user_id) if row is not None else None
        if (
            row is None
            or user is None
            or (user.id != actor.user_id and not actor.can("users.write"))
        ):
            raise NotFound(f"No token {token_id}.")
        if row.revoked_at is not None:
            raise Conflict(f"Token {token_id} was revoked at {row.revoked_at.isoformat()}.")
        at = now()
        row.revoked_at = at
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="revoke_token",
                    entity="api_token",
                    entity_id=row.id,
                    old={"revoked_at": None},
                    new={"revoked_at": at, "user": user.username},
                    reason=reason,
                )
            ],
        )
        return _token_out(row, user.username)


def authenticate(db: Database, token: str) -> Actor:
    """The actor a bearer token belongs to, or Unauthenticated: a login session's token
    (services.auth) or an API token."""
    if token.startswith(SESSION_PREFIX):
        try:
            return authenticate_session(db, token)
        except UnknownSession:
            pass  # an API token made before tokens avoided the prefix: look it up as one
    # Core on a plain connection: every API request runs this, and the ORM session costs more
    # than the query.
    with db.connection() as conn:
        rows = conn.execute(_BY_TOKEN, {"token_hash": hash_token(token)}).all()
    if not rows or rows[0].revoked_at is not None or not rows[0].active:
        raise Unauthenticated("The API token is unknown, revoked or its user is inactive.")
    row = rows[0]
    if row.expires_at is not None and row.expires_at <= now():
        raise Unauthenticated(
            f"The API token expired at {row.expires_at.isoformat(timespec='minutes')}."
        )
    sites = frozenset(r.site_id for r in rows if r.site_id is not None)
    return Actor(row.id, row.username, row.display_name, row.role, sites, scope=row.scope)


def system_actor(db: Database, username: str = "alstrack-system") -> Actor:
    """The service account used by command-line loaders (demo, imports); created on first use."""
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            user = User(
                username=username,
                display_name="alstrack system (service account)",
                role="system",
                active=True,
                service_account=True,
                created_at=now(),
            )
            session.add(user)
            session.flush()
        return actor_for(session, user)


def named_actor(db: Database, username: str) -> Actor:
    """The active user called ``username``, for a command run on the server (``--as``)."""
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None or not user.active:
            raise NotFound(f"No active user {username!r}.")
        return actor_for(session, user)
