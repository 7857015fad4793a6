"""Routes that describe alstrack itself: health, instruments, and the acting user."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from alstrack import __version__
from alstrack.api.deps import CurrentActor, needs
from alstrack.domain.instruments import Instrument, builtin_instruments

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    version: str


class Me(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: str
    site_ids: list[int]
    scope: str = Field(
        description="full; read (a read-only token); password (must change the password first)"
    )


@router.get("/health")
def health() -> Health:
    return Health(status="ok", version=__version__)


@router.get("/me", openapi_extra=needs())
def me(actor: CurrentActor) -> Me:
    return Me(
        user_id=actor.user_id,
        username=actor.username,
        display_name=actor.display_name,
        role=actor.role,
        site_ids=sorted(actor.site_ids),
        scope=actor.scope,
    )


@router.get("/instruments", openapi_extra=needs())
def list_instruments(_actor: CurrentActor) -> list[Instrument]:
    return list(builtin_instruments().values())
