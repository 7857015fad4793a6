"""What every page needs: the signed-in user from the session cookie, the page's permission
checked as the API checks it, a CSRF check on every form sent, and errors shown as pages.

Each page that needs a sign-in depends on `page_actor` and declares its permission with
``openapi_extra=needs(...)`` (api/deps.py), which `page_actor` checks with the API's own
`check_route_permission`. Every page is a `PageRoute`: before any handler runs, a POST must carry
the form's CSRF token (web/csrf.py); a user who is not signed in is sent to the sign-in page; an
alstrack error becomes a page that says it in plain words, with the API's status code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Coroutine, Iterable
from contextlib import suppress
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from alstrack.api.deps import DB, check_route_permission, declared
from alstrack.api.errors import STATUS
from alstrack.config import Settings
from alstrack.domain.permissions import PERMISSIONS
from alstrack.errors import AlstrackError, InvalidInput, PermissionDenied, Unauthenticated
from alstrack.services import users
from alstrack.services.auth import SESSION_PREFIX
from alstrack.services.context import Actor
from alstrack.web import csrf
from alstrack.web.layout import render

SESSION_COOKIE = "alstrack_session"
LOGIN_COOKIE = "alstrack_login_csrf"
LOGIN_PATH = "/login"
MAX_FORM_BYTES = 64 * 1024
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_REFUSED = (
    "This form was refused: its security token is missing or does not match your session. "
    "Reload the page and send the form again."
)


class SignInRequired(Exception):
    """No live session: the page sends the browser to the sign-in page."""

    def __init__(self, ended: bool = False) -> None:
        super().__init__("Sign in to continue.")
        self.ended = ended


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def key_of(request: Request) -> bytes:
    return csrf.secret_key(settings_of(request))


def cookie_options(request: Request) -> dict[str, Any]:
    """HttpOnly, SameSite=Strict, the whole site; Secure when the request came over HTTPS."""
    return {
        "httponly": True,
        "samesite": "strict",
        "path": "/",
        "secure": request.url.scheme == "https",
    }


def session_of(request: Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return token if token and token.startswith(SESSION_PREFIX) else None


def _signed_in(request: Request, db: Any, token: str | None) -> Actor:
    if token is None:
        raise SignInRequired()
    try:
        actor = users.authenticate(db, token)
    except Unauthenticated:
        raise SignInRequired(ended=True) from None
    request.state.actor = actor
    request.state.csrf = csrf.session_token(key_of(request), token)
    return actor


async def page_actor(request: Request, db: DB) -> Actor:
    """The signed-in user, who passes the page's declared permission."""
    actor = _signed_in(request, db, session_of(request))
    check_route_permission(actor, declared(request.scope["route"]))
    return actor


async def maybe_actor(request: Request, db: DB) -> Actor | None:
    """The signed-in user if there is one (for a page anyone may open)."""
    try:
        return _signed_in(request, db, session_of(request))
    except SignInRequired:
        return None


PageActor = Annotated[Actor, Depends(page_actor)]
MaybeActor = Annotated[Actor | None, Depends(maybe_actor)]


def form_of(request: Request) -> dict[str, str]:
    """The fields of the form sent (read and checked by `PageRoute` before the handler)."""
    form: dict[str, str] = getattr(request.state, "form", {})
    return form


async def _read_form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (the only kind the pages send), last value of
    each field; anything else reads as an empty form, which the CSRF check then refuses."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = request.headers.get("content-length", "0")
    if kind != "application/x-www-form-urlencoded" or not length.isdigit():
        return {}
    if int(length) > MAX_FORM_BYTES:
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=50)
    return dict(pairs)


async def _check_form(request: Request, login: bool) -> None:
    form = request.state.form = await _read_form(request)
    given = form.get(csrf.FIELD)
    if login:
        cookie = request.cookies.get(LOGIN_COOKIE)
        expected = csrf.login_token(key_of(request), cookie) if cookie else None
    else:
        session = session_of(request)
        if session is None:
            raise SignInRequired()
        expected = csrf.session_token(key_of(request), session)
    if expected is None or not csrf.matches(expected, given):
        raise PermissionDenied(FORM_REFUSED)


def sign_in_redirect(request: Request, ended: bool) -> Response:
    target = LOGIN_PATH
    if request.method in _SAFE:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target += f"?next={quote(wanted, safe='')}"
    if ended:
        target += ("&" if "?" in target else "?") + "ended=1"
    response = RedirectResponse(target, status_code=303)
    if ended:
        response.delete_cookie(SESSION_COOKIE, **cookie_options(request))
    return response


def error_page(request: Request, exc: AlstrackError) -> Response:
    status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
    titles = {403: "Not allowed", 404: "Not found", 409: "Not done", 422: "Not accepted"}
    db = request.app.state.db
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is None and (token := session_of(request)) is not None:
        with suppress(SignInRequired):  # a refused form: still show who is signed in
            actor = _signed_in(request, db, token)
    return render(
        request,
        db,
        actor,
        "error.html",
        {"title": titles.get(status, "Refused"), "message": exc.message, "status": status},
        status_code=status,
    )


class PageRoute(APIRoute):
    """A page: a form sent to it must carry its CSRF token; errors come back as pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        login = self.path == LOGIN_PATH

        async def page(request: Request) -> Response:
            try:
                if request.method not in _SAFE:
                    await _check_form(request, login)
                return await handle(request)
            except SignInRequired as exc:
                return sign_in_redirect(request, exc.ended)
            except RequestValidationError as exc:  # a value in the address the page cannot use
                wrong = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
                return error_page(request, InvalidInput(f"The address is not valid ({wrong})."))
            except AlstrackError as exc:
                if _must_set_up_mfa(request, exc):
                    return RedirectResponse(MFA_PATH, status_code=303)
                return error_page(request, exc)

        return page


MFA_PATH = "/account/mfa"


def _must_set_up_mfa(request: Request, exc: AlstrackError) -> bool:
    """A page opened by a login that may only set up its authenticator app: it goes there."""
    actor: Actor | None = getattr(request.state, "actor", None)
    return (
        isinstance(exc, PermissionDenied)
        and actor is not None
        and actor.scope == "mfa"
        and request.method in _SAFE
    )


def check_pages(routes: Iterable[BaseRoute], public: Collection[tuple[str, str]]) -> None:
    """Refuse to build pages of which one is not a `PageRoute`, or needs a sign-in without
    declaring a known permission and checking it with `page_actor` (as the API's
    `check_declarations` refuses its routes)."""
    problems = []
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        path = context.path_format or getattr(route, "path_format", "?")
        if not isinstance(route, PageRoute):
            problems.append(f"{path} is not a PageRoute")
            continue
        if all((m, path) in public for m in (route.methods or set()) - {"HEAD"}):
            continue
        try:
            rule = declared(route)
        except RuntimeError as exc:
            problems.append(str(exc))
            continue
        named = (*rule.get("all_of", ()), *rule.get("any_of", ()))
        if unknown := [p for p in named if p not in PERMISSIONS]:
            problems.append(f"{path} names unknown permissions {unknown}")
        if not _uses(route.dependant, page_actor):
            problems.append(f"{path} declares a permission but does not check it (page_actor)")
    if problems:
        raise RuntimeError("Pages without a valid permission: " + "; ".join(problems))


def _uses(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only (never another site's URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
