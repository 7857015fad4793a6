"""What every route needs: the database and the authenticated actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from alstrack.errors import Unauthenticated
from alstrack.services import users
from alstrack.services.context import Actor
from alstrack.services.fields import MAX_INTEGER
from alstrack.store.db import Database

bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`alstrack token create`) or a session token (`POST /auth/login`).",
)


# Both dependencies are async on purpose: FastAPI runs a sync dependency on the thread pool,
# and each hop there costs more than the work (a token lookup is one indexed query).
async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_actor(
    db: Annotated[Database, Depends(get_db)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None:
        raise Unauthenticated(
            "Send an API token or a session token: 'Authorization: Bearer <token>'."
        )
    return users.authenticate(db, credentials.credentials)


DB = Annotated[Database, Depends(get_db)]
CurrentActor = Annotated[Actor, Depends(get_actor)]

# Identifiers are INTEGER columns (32 bits on PostgreSQL): larger ones are refused as invalid input.
MAX_ID = MAX_INTEGER
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
