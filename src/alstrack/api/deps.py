"""What every route needs: the database, the authenticated actor, and the route's permission.

Each route that authenticates declares what it needs with `needs(...)`, kept in its OpenAPI
operation as ``x-permission``. `get_actor` checks it as soon as the token is known, before the
route reads its body: a role without the permission gets 403 whatever it sends. The services
check again (and more finely: a record's site, a step's own permission), so a route cannot grant
what its service refuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIRouter, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute

from alstrack.domain.permissions import PERMISSIONS, ROLES, Permission, allows
from alstrack.errors import PermissionDenied, Unauthenticated
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
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None:
        raise Unauthenticated(
            "Send an API token or a session token: 'Authorization: Bearer <token>'."
        )
    actor = users.authenticate(db, credentials.credentials)
    check_route_permission(actor, declared(request.scope["route"]))
    return actor


# --- what each route needs ------------------------------------------------------------------

PERMISSION_KEY = "x-permission"


def needs(*permissions: Permission, any_of: bool = False) -> dict[str, Any]:
    """A route's permission, for its decorator's ``openapi_extra``: every one of ``permissions``
    (or, with ``any_of``, at least one, where the service then asks for the one the request
    needs); none at all for a route any signed-in user may call (their own tokens, say)."""
    return {PERMISSION_KEY: {"any_of" if any_of else "all_of": list(permissions)}}


def declared(route: Any) -> dict[str, list[str]]:
    """What ``route`` declared with `needs`; a route that authenticates without declaring is a
    programming error, refused when the app is built (`check_declarations`)."""
    extra = getattr(route, "openapi_extra", None) or {}
    rule: dict[str, list[str]] | None = extra.get(PERMISSION_KEY)
    if rule is None:
        raise RuntimeError(f"{getattr(route, 'path', route)} declares no permission (needs())")
    return rule


def check_route_permission(actor: Actor, rule: dict[str, list[str]]) -> None:
    for permission in rule.get("all_of", ()):
        actor.require(permission)
    alternatives = rule.get("any_of")
    if alternatives and not any(actor.can(p) for p in alternatives):
        if len(alternatives) == 1 or actor.scope in ("password", "mfa"):
            actor.require(alternatives[0])
        raise PermissionDenied(
            f"The {actor.role} role may not do this (it needs one of {', '.join(alternatives)})."
        )


def roles_allowed(rule: dict[str, list[str]]) -> list[str]:
    """The roles whose users pass the route's check (the system account aside)."""
    people = [role for role in ROLES if role != "system"]
    if rule.get("any_of"):
        return [r for r in people if any(allows(r, p) for p in rule["any_of"])]
    return [r for r in people if all(allows(r, p) for p in rule.get("all_of", ()))]


def authenticated_routes(app: FastAPI) -> Iterator[tuple[APIRoute, str]]:
    """Every route of ``app`` that authenticates its caller, with its full path."""
    return _authenticated(app.routes)


def _authenticated(routes: Sequence[BaseRoute]) -> Iterator[tuple[APIRoute, str]]:
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        if isinstance(route, APIRoute) and _uses(route.dependant, get_actor):
            yield route, context.path_format or route.path_format


def _declaration_problems(routes: Sequence[BaseRoute]) -> list[str]:
    problems: list[str] = []
    for route, path in _authenticated(routes):
        try:
            rule = declared(route)
        except RuntimeError as exc:
            problems.append(str(exc))
            continue
        named = (*rule.get("all_of", ()), *rule.get("any_of", ()))
        if unknown := [p for p in named if p not in PERMISSIONS]:
            problems.append(f"{path} names unknown permissions {unknown}")
    return problems


def _uses(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


# The routers already checked in this process: a router is module-level code, the same for every
# app built from it, and resolving every route's dependencies takes most of a second, which each
# app (a test's, a worker's) would otherwise pay again.
# Keyed by id, the router kept alive beside it so that no other router can take its id.
_CHECKED: dict[int, APIRouter] = {}


def check_declarations(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Refuse to build an app with a route that authenticates but declares no permission, or
    names one that does not exist; and have /docs say who may call each operation. ``routers``
    are the routers ``app`` includes."""
    problems: list[str] = []
    for router in routers:
        if id(router) in _CHECKED:
            continue
        found = _declaration_problems(router.routes)
        problems += found
        if not found:
            _CHECKED[id(router)] = router
    if problems:
        raise RuntimeError("Routes without a valid permission: " + "; ".join(problems))
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            for item in generate()["paths"].values():
                for operation in item.values():
                    if rule := operation.get(PERMISSION_KEY):
                        text = f"{operation.get('description', '')}\n\n{_who_may(rule)}"
                        operation["description"] = text.strip()
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]


def _who_may(rule: dict[str, list[str]]) -> str:
    wanted = rule.get("all_of") or rule.get("any_of") or []
    joined = (" or " if rule.get("any_of") else " and ").join(f"`{p}`" for p in wanted)
    needed = f"Needs {joined}" if wanted else "Any signed-in user"
    return f"**Permission:** {needed} — roles: {', '.join(roles_allowed(rule))}."


DB = Annotated[Database, Depends(get_db)]
CurrentActor = Annotated[Actor, Depends(get_actor)]

# Identifiers are INTEGER columns (32 bits on PostgreSQL): larger ones are refused as invalid input.
MAX_ID = MAX_INTEGER
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
