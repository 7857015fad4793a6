"""Routes for sites."""

from __future__ import annotations

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import sites
from alstrack.services.sites import SiteIn, SiteOut, SiteUpdate

router = APIRouter(prefix="/sites", tags=["sites"])


@router.post("", status_code=status.HTTP_201_CREATED, openapi_extra=needs("sites.write"))
def create_site(data: SiteIn, db: DB, actor: CurrentActor) -> SiteOut:
    return sites.create_site(db, actor, data)


@router.get("", openapi_extra=needs("sites.read"))
def list_sites(db: DB, actor: CurrentActor) -> list[SiteOut]:
    return sites.list_sites(db, actor)


@router.get("/{site_id}", openapi_extra=needs("sites.read"))
def get_site(site_id: Id, db: DB, actor: CurrentActor) -> SiteOut:
    return sites.get_site(db, actor, site_id)


@router.patch("/{site_id}", openapi_extra=needs("sites.write"))
def update_site(site_id: Id, data: SiteUpdate, db: DB, actor: CurrentActor) -> SiteOut:
    return sites.update_site(db, actor, site_id, data)
