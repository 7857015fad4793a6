"""A route that authenticates its caller must declare its permission, or no app is built."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from alstrack.api.deps import CurrentActor, check_declarations, needs


def _app_with(router: APIRouter) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    return app


def test_a_route_that_authenticates_without_declaring_a_permission_stops_the_build() -> None:
    router = APIRouter()

    @router.get("/secrets")
    def secrets(actor: CurrentActor) -> Any:
        return actor.username

    with pytest.raises(RuntimeError, match="/secrets declares no permission"):
        check_declarations(_app_with(router), [router])


def test_a_route_naming_a_permission_that_does_not_exist_stops_the_build() -> None:
    router = APIRouter()

    @router.get("/secrets", openapi_extra=needs("secrets.read"))  # type: ignore[arg-type]
    def secrets(actor: CurrentActor) -> Any:
        return actor.username

    wanted = r"/secrets names unknown permissions \['secrets.read'\]"
    with pytest.raises(RuntimeError, match=wanted):
        check_declarations(_app_with(router), [router])


def test_a_refused_router_is_refused_again_by_the_next_app() -> None:
    router = APIRouter()

    @router.get("/secrets")
    def secrets(actor: CurrentActor) -> Any:
        return actor.username

    for _ in range(2):
        with pytest.raises(RuntimeError, match="declares no permission"):
            check_declarations(_app_with(router), [router])


def test_a_route_any_signed_in_user_may_call_declares_an_empty_need() -> None:
    router = APIRouter()

    @router.get("/me", openapi_extra=needs())
    def me(actor: CurrentActor) -> Any:
        return actor.username

    check_declarations(_app_with(router), [router])
