"""What every page shares: the layout it is rendered in, the navigation a role may follow, the
signed-in user and their sites, and the synthetic-data banner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts

from alstrack import __version__
from alstrack.api.deps import check_route_permission, declared
from alstrack.errors import PermissionDenied
from alstrack.services import sites
from alstrack.services.context import Actor
from alstrack.services.overview import holds_synthetic_data
from alstrack.store.db import Database

# The navigation: (label, route name). Whether a role sees a link is asked of the route's own
# declaration (needs(...)), the one the page dependency enforces: no second copy of the matrix.
NAVIGATION: tuple[tuple[str, str], ...] = (("Patients", "clinic_patients"),)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool


def route_named(request: Request, name: str) -> APIRoute:
    for context in iter_route_contexts(request.app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.name == name:
            return route
    raise LookupError(f"No page named {name!r}")


def may_open(actor: Actor, route: APIRoute) -> bool:
    """Whether ``actor`` passes the page's declared permission (as the page dependency checks)."""
    try:
        check_route_permission(actor, declared(route))
    except PermissionDenied:
        return False
    return True


def navigation(request: Request, actor: Actor) -> list[Link]:
    links = []
    for label, name in NAVIGATION:
        route = route_named(request, name)
        if may_open(actor, route):
            url = request.app.url_path_for(name)
            links.append(Link(label, url, request.url.path.startswith(url)))
    return links


def site_names(db: Database, actor: Actor) -> str:
    """The user's sites as the header shows them."""
    if actor.all_sites:
        return "all sites"
    if not actor.can("sites.read"):
        return f"{len(actor.site_ids)} site(s)"
    names = [f"{s.name} ({s.code})" for s in sites.list_sites(db, actor) if s.id in actor.site_ids]
    return ", ".join(names) or "no site"


def render(
    request: Request,
    db: Database,
    actor: Actor | None,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A page in the layout: navigation, user and sites when signed in, banner when synthetic."""
    # The one environment of the pages is built in pages.py, which imports this module.
    from alstrack.web.pages import templates

    shared: dict[str, Any] = {
        "version": __version__,
        "synthetic": holds_synthetic_data(db),
        "actor": actor,
        "nav": [],
        "sites": "",
        "csrf": getattr(request.state, "csrf", ""),
    }
    if actor is not None and actor.scope == "full":
        shared["nav"] = navigation(request, actor)
        shared["sites"] = site_names(db, actor)
    return templates.TemplateResponse(
        request, template, shared | (context or {}), status_code=status_code
    )
