"""The FastAPI application: routers over the services, one error handler, OpenAPI at /docs."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from alstrack import __version__
from alstrack.api import (
    adjuncts,
    auth,
    bedside,
    cohort,
    consents,
    deps,
    errors,
    external,
    fhir,
    headers,
    logfilter,
    meta,
    patients,
    plans,
    product_documents,
    products,
    record_locks,
    records,
    reports,
    rulesets,
    safety,
    screenings,
    sites,
    text,
)
from alstrack.api.connections import RotateConnections
from alstrack.api.errors import ErrorResponse
from alstrack.config import Settings, get_settings
from alstrack.store.db import Database
from alstrack.web import pages

DESCRIPTION = """
alstrack records the pathway of a mesenchymal stem cell (MSC) therapy program for people with ALS
and measures what happens to them. MSC therapy is investigational in ALS: no MSC product is approved
for ALS by the FDA or the EMA, and alstrack states no efficacy claim.

Authenticate with an API token (`Authorization: Bearer <token>`; `alstrack token create` or
`POST /users/{username}/tokens` makes one) or a session token from `POST /auth/login`.
Every change is audited; corrections supersede, nothing is deleted. Errors have one shape:
`{"error": {"code", "message", "fields": [{"field", "message"}]}}`.
"""


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    threads = settings.effective_request_threads

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        # What the process imported and built at start lives as long as it does: out of the
        # collector's sight, a full collection under load no longer walks it (a pause that
        # every request queued behind would wait out).
        gc.collect()
        gc.freeze()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="alstrack",
        version=__version__,
        description=DESCRIPTION,
        # Served by the app itself below: FastAPI's own pages load their files from a CDN.
        docs_url=None,
        redoc_url=None,
        responses={
            401: {"model": ErrorResponse, "description": "No or bad API token"},
            403: {"model": ErrorResponse, "description": "The role may not do this"},
            404: {"model": ErrorResponse, "description": "No such record visible to you"},
            409: {"model": ErrorResponse, "description": "Version conflict or step out of order"},
            422: {"model": ErrorResponse, "description": "Invalid input, naming the field"},
        },
    )
    app.state.db = db or Database(settings.url)
    app.state.settings = settings
    errors.install(app)
    # Text the database cannot store (a NUL, an unpaired surrogate) is refused before any route.
    app.add_middleware(text.RefuseUnstorableText)
    # Security headers on every answer, a 500 included (api/headers.py); no identifier or
    # secret in the logs (api/logfilter.py).
    headers.install(app)
    logfilter.install()
    _serve_docs(app)
    routers = [
        meta.router,
        auth.router,
        sites.router,
        patients.router,
        record_locks.router,
        rulesets.router,
        *records.routers(),
        consents.router,
        screenings.router,
        plans.router,
        products.router,
        product_documents.router,
        bedside.router,
        safety.router,
        adjuncts.router,
        cohort.router,
        reports.router,
        external.router,
        fhir.router,
        pages.router,
    ]
    for router in routers:
        app.include_router(router)
    # Every route that authenticates declares its permission (api/deps.py), or the app is not built.
    deps.check_declarations(app, routers)
    return app


def create_served_app() -> ASGIApp:
    """The app each process of ``alstrack serve --workers N`` builds (uvicorn's factory): the
    app of the settings, whose keep-alive connections end every ``keepalive_requests`` requests
    so that the clients spread over the processes (api/connections.py)."""
    settings = get_settings()
    return RotateConnections(create_app(settings), settings.keepalive_requests)


DOCS_ASSETS = "/docs/assets"
# Swagger UI's files are the pinned package's, the same until alstrack is upgraded and holding
# no health data: a browser may keep them a day (1.7 MB a visit of /docs otherwise).
DOCS_ASSETS_CACHE = "public, max-age=86400"


def _cached(inner: ASGIApp, cache_control: str) -> ASGIApp:
    """``inner`` with ``Cache-Control: cache_control`` on its answers (instead of no-store)."""
    value = cache_control.encode("latin-1")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", ()) if h[0].lower() != b"cache-control"]
                message = {**message, "headers": [*kept, (b"cache-control", value)]}
            await send(message)

        await inner(scope, receive, send_cached)

    return app


def _serve_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the files of the pinned swagger-ui-bundle-v2 package, served
    here: the page loads nothing from elsewhere, and its one inline script is allowed by hash.
    No ReDoc: FastAPI's page loads it (and Google's fonts) from a CDN, and the packages that ship
    its file bring Django or a FastAPI wrapper of their own."""
    assets = StaticFiles(directory=str(swagger_ui_path))
    app.mount(DOCS_ASSETS, _cached(assets, DOCS_ASSETS_CACHE), name="docs-assets")
    page = bytes(
        get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} {app.version} — API docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters={"validatorUrl": None},  # no badge from the online validator
        ).body
    )
    policy = headers.content_security_policy(headers.inline_script_hashes(page))

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return Response(page, media_type="text/html", headers={"Content-Security-Policy": policy})
