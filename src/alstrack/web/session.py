"""Signing in and out of the web pages: the session token of services.auth in a cookie."""

from __future__ import annotations

from contextlib import suppress
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from alstrack.api.deps import DB
from alstrack.errors import Unauthenticated
from alstrack.services import auth
from alstrack.services.auth import LoginIn
from alstrack.store.db import Database
from alstrack.web import csrf
from alstrack.web.deps import (
    LOGIN_COOKIE,
    LOGIN_PATH,
    MFA_PATH,
    SESSION_COOKIE,
    PageRoute,
    cookie_options,
    form_of,
    key_of,
    safe_next,
    session_of,
)
from alstrack.web.layout import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

MUST_CHANGE = (
    "Your password must be changed before anything else (after a reset by an admin, or because "
    "it is too old). These pages cannot change it yet: change it through the API "
    "(POST /auth/password), then sign in here with the new one."
)
NOTICES = {
    "ended": "Your session has ended (signed out, idle too long, or too old): sign in again.",
    "signed_out": "You are signed out.",
}


def _login_page(
    request: Request,
    db: Database,
    *,
    next_page: str,
    username: str = "",
    error: str = "",
    notice: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    cookie = request.cookies.get(LOGIN_COOKIE) or csrf.login_cookie()
    request.state.csrf = csrf.login_token(key_of(request), cookie)
    page = render(
        request,
        db,
        None,
        "login.html",
        {"next": next_page, "username": username, "error": error, "notice": notice},
        status_code=status_code,
    )
    page.set_cookie(LOGIN_COOKIE, cookie, **cookie_options(request))
    return page


@router.get(LOGIN_PATH, response_class=HTMLResponse, name="login")
def login_form(
    request: Request,
    db: DB,
    next_page: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    ended: Annotated[str | None, Query(max_length=5)] = None,
    signed_out: Annotated[str | None, Query(max_length=5)] = None,
) -> HTMLResponse:
    notice = NOTICES["ended"] if ended else NOTICES["signed_out"] if signed_out else ""
    return _login_page(request, db, next_page=safe_next(next_page), notice=notice)


@router.post(LOGIN_PATH, response_class=HTMLResponse, name="login_submit")
def login_submit(request: Request, db: DB) -> Response:
    form = form_of(request)
    next_page = safe_next(form.get("next"))
    username = form.get("username", "").strip()
    try:
        code = form.get("totp_code", "").replace(" ", "") or None
        data = LoginIn(username=username, password=form.get("password", ""), totp_code=code)
    except ValidationError as exc:
        wrong_code = any(e["loc"] == ("totp_code",) for e in exc.errors())
        return _login_page(
            request,
            db,
            next_page=next_page,
            username=username,
            error="The one-time code is the 6 digits your authenticator app shows."
            if wrong_code
            else "Enter your username and your password.",
            status_code=422,
        )
    try:
        session = auth.login(db, data)
    except Unauthenticated as exc:  # wrong password, locked: the service's own words
        return _login_page(
            request, db, next_page=next_page, username=username, error=exc.message, status_code=401
        )
    if session.must_change_password:
        auth.logout(db, session.token)  # a session that could do nothing here
        return _login_page(
            request, db, next_page=next_page, username=username, error=MUST_CHANGE, status_code=403
        )
    # A role that needs a one-time code, with no app set up yet: that first, on its own page.
    target = MFA_PATH if session.must_set_up_mfa else next_page
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session.token, **cookie_options(request))
    response.delete_cookie(LOGIN_COOKIE, **cookie_options(request))
    return response


@router.post("/logout", name="logout")
def logout(request: Request, db: DB) -> Response:
    token = session_of(request)
    if token is not None:
        with suppress(Unauthenticated):  # no such session: the cookie goes all the same
            auth.logout(db, token)
    response = RedirectResponse(f"{LOGIN_PATH}?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, **cookie_options(request))
    return response
