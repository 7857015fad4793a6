"""Server-rendered pages for clinic staff (Jinja2 over the same services as the API)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from alstrack import __version__
from alstrack.api.deps import DB
from alstrack.services.overview import holds_synthetic_data

templates = Jinja2Templates(directory=str(files("alstrack.web") / "templates"))
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DB) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "home.html",
        {"version": __version__, "synthetic": holds_synthetic_data(db)},
    )
