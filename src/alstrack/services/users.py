"""Users, their sites and API tokens.

Password login, lockout and signatures come with the trust work.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from alstrack.domain.permissions import Role
from alstrack.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from alstrack.services.context import Actor, audited, now
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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_SITE_IDS = select(UserSite.site_id).where(UserSite.user_id == bindparam("user_id"))
# The token's user with one row per site of theirs (one row with no site for a user of none):
# a request authenticates with one indexed query.
_BY_TOKEN = (
    select(
        User.id,
        User.username,
        User.display_name,
        User.role,
        User.active,
        ApiToken.revoked_at,
        UserSite.site_id,
    )
    .join(ApiToken, ApiToken.user_id == User.id)
    .outerjoin(UserSite, UserSite.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


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


def issue_token(db: Database, actor: Actor, username: str, label: str) -> str:
    """A new API token for a user; only its hash is stored, so it is shown once."""
    if actor.role not in ("admin", "system") and actor.username != username:
        actor.require("users.write")
    token = secrets.token_urlsafe(32)
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            raise NotFound(f"No user {username!r}.")
        at = now()
        row = ApiToken(user_id=user.id, token_hash=_hash(token), label=label, created_at=at)
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
                    new={"user": username, "label": label},
                )
            ],
        )
    return token


def authenticate(db: Database, token: str) -> Actor:
    """The actor a bearer token belongs to, or Unauthenticated."""
    # Core on a plain connection: every API request runs this, and the ORM session costs more
    # than the query.
    with db.connection() as conn:
        rows = conn.execute(_BY_TOKEN, {"token_hash": _hash(token)}).all()
    if not rows or rows[0].revoked_at is not None or not rows[0].active:
        raise Unauthenticated("The API token is unknown, revoked or its user is inactive.")
    row = rows[0]
    sites = frozenset(r.site_id for r in rows if r.site_id is not None)
    return Actor(row.id, row.username, row.display_name, row.role, sites)


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
