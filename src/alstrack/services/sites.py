"""Sites: the clinics of a program. A user sees only the records of their own sites."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.errors import Conflict, InvalidInput, NotFound
from alstrack.services.context import Actor, audited, now, require_reason
from alstrack.services.fields import Version
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import SequenceCounter, Site
from alstrack.store.versioning import update_versioned

SiteCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,16}$", description="2–16 capitals or digits")]


class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: SiteCode
    name: Annotated[str, Field(min_length=1, max_length=200)]
    synthetic: bool = False


class SiteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=200)]
    version: Version
    reason: str


class SiteOut(BaseModel):
    id: int
    code: str
    name: str
    synthetic: bool
    created_at: datetime
    version: int


def study_id_counter(site_code: str) -> str:
    """The name of the counter that numbers a site's patients."""
    return f"study_id:{site_code}"


def _out(site: Site) -> SiteOut:
    return SiteOut(
        id=site.id,
        code=site.code,
        name=site.name,
        synthetic=site.synthetic,
        created_at=site.created_at,
        version=site.version,
    )


def create_site(db: Database, actor: Actor, data: SiteIn) -> SiteOut:
    actor.require("sites.write")
    with db.transaction() as session:
        if session.scalars(select(Site).where(Site.code == data.code)).first():
            raise Conflict(f"A site with code {data.code!r} exists.")
        at = now()
        site = Site(
            code=data.code, name=data.name, synthetic=data.synthetic, created_at=at, version=1
        )
        session.add(site)
        session.add(SequenceCounter(name=study_id_counter(site.code), value=0))
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="create",
                    entity="site",
                    entity_id=site.id,
                    site_id=site.id,
                    new=data.model_dump(),
                )
            ],
        )
        return _out(site)


def list_sites(db: Database, actor: Actor) -> list[SiteOut]:
    actor.require("sites.read")
    with db.read() as session:
        sites = session.scalars(select(Site).order_by(Site.code)).all()
        return [_out(s) for s in sites if actor.sees_site(s.id)]


def get_site(db: Database, actor: Actor, site_id: int) -> SiteOut:
    actor.require("sites.read")
    with db.read() as session:
        site = session.get(Site, site_id)
        if site is None or not actor.sees_site(site.id):
            raise NotFound(f"No site {site_id}.")
        return _out(site)


def update_site(db: Database, actor: Actor, site_id: int, data: SiteUpdate) -> SiteOut:
    actor.require("sites.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        site = session.get(Site, site_id)
        if site is None or not actor.sees_site(site.id):
            raise NotFound(f"No site {site_id}.")
        old = {"name": site.name}
        update_versioned(
            session, Site, Site.id == site_id, data.version, {"name": data.name}, f"Site {site_id}"
        )
        session.refresh(site)
        o, n = audit.changed(old, {"name": data.name})
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=now(),
                    action="update",
                    entity="site",
                    entity_id=site.id,
                    site_id=site.id,
                    old=o,
                    new=n,
                    reason=reason,
                )
            ],
        )
        return _out(site)


def check_site_code(session: Session, code: str | None) -> None:
    """A list filtered by an unknown site code is refused, naming the codes: a mistyped code
    must not read as "nothing due"."""
    if code is None:
        return
    codes = sorted(session.scalars(select(Site.code)))
    if code not in codes:
        raise InvalidInput.for_field(
            "site", f"{code!r} is not a site code; the codes are {', '.join(codes) or 'none yet'}"
        )
