"""Server-rendered pages for clinic staff (Jinja2 over the same services as the API).

Every page is a `PageRoute` (web/deps.py); the pages of each capability live in their own
module (web/session.py, web/patients.py) and are gathered here into the one router the app
includes. A page that needs a sign-in declares its permission with ``needs(...)``; the public
ones are the home page, the sign-in page and the style sheet (`PUBLIC`).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from alstrack.api.deps import DB
from alstrack.web import account, assessment_forms, patients, session
from alstrack.web.deps import MaybeActor, PageRoute, check_pages
from alstrack.web.layout import render

__all__ = ["PUBLIC", "router", "templates"]

templates = Jinja2Templates(directory=str(files("alstrack.web") / "templates"))
router = APIRouter(include_in_schema=False, route_class=PageRoute)

# The pages anyone may open, signed in or not: (method, path).
PUBLIC = frozenset(
    {
        ("GET", "/"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/static/{name}"),
    }
)

_STATIC = files("alstrack.web") / "static"
_MEDIA = {".css": "text/css; charset=utf-8"}


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, db: DB, actor: MaybeActor) -> HTMLResponse:
    return render(request, db, actor, "home.html")


@router.get("/static/{name}", name="static")
def static(name: str) -> Response:
    """The pages' own style sheet: files of web/static/ only, by exact name."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    entry = _STATIC / name
    if "/" in name or "\\" in name or suffix not in _MEDIA or not entry.is_file():
        raise HTTPException(status_code=404)
    return Response(
        entry.read_bytes(),
        media_type=_MEDIA[suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )


router.include_router(session.router)
router.include_router(patients.router)
router.include_router(assessment_forms.router)
router.include_router(account.router)
# Every page that needs a sign-in declares and checks its permission, or nothing is served.
check_pages(router.routes, PUBLIC)
