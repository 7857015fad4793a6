"""The signed-in user's own second factor: set up the authenticator app (services/mfa.py).

A login of a role that needs a one-time code, whose app is not set up yet, comes here from the
sign-in page; the session may do nothing else until the app is set up. `POST /account/mfa/key`
makes a new key and shows it once, as text and as a QR code drawn here (segno, an SVG image in
the page: nothing is fetched); the form below it turns the second factor on with the app's
first code.
"""

from __future__ import annotations

import base64
import io

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from alstrack.api.deps import DB, needs
from alstrack.errors import InvalidInput
from alstrack.services import mfa
from alstrack.services.context import Actor
from alstrack.store.db import Database
from alstrack.web.deps import MFA_PATH, PageActor, PageRoute, form_of
from alstrack.web.layout import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PATH = MFA_PATH


def qr_code(uri: str) -> str:
    """The ``otpauth://`` address as a QR code: an SVG image in a data: address."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _page(
    request: Request,
    db: Database,
    actor: Actor,
    *,
    setup: mfa.MfaSetupOut | None = None,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        db,
        actor,
        "account_mfa.html",
        {
            "status": mfa.status(db, actor),
            "setup": setup,
            "qr": qr_code(setup.uri) if setup else None,
            "error": error,
        },
        status_code=status_code,
    )


@router.get(PATH, response_class=HTMLResponse, name="account_mfa", openapi_extra=needs())
def account_mfa(request: Request, db: DB, actor: PageActor) -> HTMLResponse:
    return _page(request, db, actor)


@router.post(f"{PATH}/key", response_class=HTMLResponse, openapi_extra=needs())
def new_key(request: Request, db: DB, actor: PageActor) -> HTMLResponse:
    return _page(request, db, actor, setup=mfa.start(db, actor))


@router.post(f"{PATH}/confirm", response_class=HTMLResponse, openapi_extra=needs())
def confirm(request: Request, db: DB, actor: PageActor) -> Response:
    code = form_of(request).get("code", "").replace(" ", "")
    try:
        mfa.confirm(db, actor, mfa.MfaCodeIn.model_validate({"code": code}))
    except (InvalidInput, ValueError):
        return _page(
            request,
            db,
            actor,
            error="That is not the code your app shows for the new key now. Enter the code it "
            "shows next (the key stays as it is), or make a new key.",
            status_code=422,
        )
    return RedirectResponse(f"{PATH}?done=1", status_code=303)
