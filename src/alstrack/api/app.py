"""The FastAPI application: routers over the services, one error handler, OpenAPI at /docs."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from alstrack import __version__
from alstrack.api import (
    adjuncts,
    auth,
    bedside,
    cohort,
    consents,
    errors,
    external,
    meta,
    patients,
    plans,
    product_documents,
    products,
    records,
    reports,
    rulesets,
    safety,
    screenings,
    sites,
    text,
)
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
    app.include_router(meta.router)
    app.include_router(auth.router)
    app.include_router(sites.router)
    app.include_router(patients.router)
    app.include_router(rulesets.router)
    records.include(app)
    app.include_router(consents.router)
    app.include_router(screenings.router)
    app.include_router(plans.router)
    app.include_router(products.router)
    app.include_router(product_documents.router)
    app.include_router(bedside.router)
    app.include_router(safety.router)
    app.include_router(adjuncts.router)
    app.include_router(cohort.router)
    app.include_router(reports.router)
    app.include_router(external.router)
    app.include_router(pages.router)
    return app
