"""Every page answers every role as the permission matrix says, as the API's endpoints do.

Each page that needs a sign-in declares its permission (``needs(...)``) and depends on
`page_actor`, which checks it with the API's own check. For every page and every role, a user of
that role opens it: a role the matrix does not allow gets a 403 page naming what it lacks, a
role it allows gets the page; nobody signed in is sent to sign in. The navigation shows each
role exactly the pages it may open.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from web_cast import FIELDLESS_FORMS, FORM_PAGES, csrf_of, sign_in

from alstrack.api.deps import declared, needs, roles_allowed
from alstrack.domain.permissions import PERMISSIONS, ROLES
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT, SPIROMETRY, SpirometryIn
from alstrack.web.deps import PageActor, PageRoute, check_pages, page_actor
from alstrack.web.layout import NAVIGATION
from alstrack.web.pages import PUBLIC

PEOPLE = {
    "coordinator": "alice",
    "physician": "chen",
    "nurse": "nina",
    "lab_technician": "ben",
    "data_analyst": "olga",
    "auditor": "aude",
    "admin": "adam",
    "qa": "quinn",
    "pharmacovigilance": "pia",
}


def _pages(app: FastAPI) -> Iterator[tuple[str, str, PageRoute]]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, PageRoute):
            for method in sorted(route.methods - {"HEAD"}):
                yield method, context.path_format or route.path_format, route


def _uses(dependant: Dependant, call: Any) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


@pytest.fixture
def everyone(clinic: Any, web_app: FastAPI, pat: Any) -> dict[str, TestClient]:
    """A signed-in client per role (Pat is registered at NORTH, so his page has a patient)."""
    clinic.join("quinn", "Quinn Abara", "qa", ["NORTH"])
    clinic.join("pia", "Pia Lund", "pharmacovigilance", ["NORTH"])
    clients = {}
    for role, username in PEOPLE.items():
        client = TestClient(web_app)
        assert sign_in(client, username).status_code == 303, username
        clients[role] = client
    return clients


@pytest.fixture
def held(clinic: Any, pat: Any, alsfrs: Any) -> dict[str, int]:
    """Pat's ALSFRS-R and spirometry records, for the pages of one record (``{record_id}``)."""
    visit = alsfrs(date(2024, 2, 1))
    test = SpirometryIn(
        assessed_on=date(2024, 2, 1), assessed_by="Nina Okafor", fvc_l=3.2, height_cm=176.0
    )
    return {
        "alsfrs-r": records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, visit).id,
        "spirometry": records.add(clinic.db, clinic["chen"], SPIROMETRY, pat.id, test).id,
    }


def _url(path: str, patient_id: int, held: dict[str, int] | None = None) -> str:
    record = next((i for kind, i in (held or {}).items() if f"/{kind}/" in path), patient_id)
    path = path.replace("{record_id}", str(record)).replace("{name}", "alstrack.css")
    path = path.replace("{code}", "mas")  # an instrument of the other instruments' form
    return re.sub(r"\{[a-z_]+\}", str(patient_id), path)


def test_every_page_that_needs_a_sign_in_declares_a_known_permission_and_checks_it(
    web_app: FastAPI,
) -> None:
    pages = list(_pages(web_app))
    assert len(pages) >= len(PUBLIC) + 2
    assert {(m, p) for m, p, _ in pages} >= PUBLIC
    for method, path, route in pages:
        if (method, path) in PUBLIC:
            assert not _uses(route.dependant, page_actor), path
            continue
        rule = declared(route)  # raises for a page that declares nothing
        assert set(rule.get("all_of", ())) | set(rule.get("any_of", ())) <= set(PERMISSIONS)
        assert _uses(route.dependant, page_actor), f"{path} does not check its permission"
        assert method == "GET" or path in FORM_PAGES, f"{path}: a form page needs its CSRF test"


def test_every_role_opens_exactly_the_pages_the_matrix_allows(
    web_app: FastAPI, everyone: dict[str, TestClient], pat: Any, held: dict[str, int]
) -> None:
    opened = refused = 0
    tokens = {role: csrf_of(client.get("/").text) for role, client in everyone.items()}
    for method, path, route in _pages(web_app):
        if (method, path) in PUBLIC:
            continue
        rule = declared(route)
        allowed = set(roles_allowed(rule))
        for role, client in everyone.items():
            # A form is sent with its token (and nothing else): the role is what is checked.
            form = {"csrf_token": tokens[role]} if method == "POST" else None
            url = _url(path, pat.id, held)
            answer = client.request(method, url, data=form, follow_redirects=False)
            if role in allowed:
                # An empty form comes back with what is missing (422), nothing saved.
                expected = FIELDLESS_FORMS.get(path, {422}) if method == "POST" else {200}
                assert answer.status_code in expected, (path, role, answer.text)
                opened += 1
            else:
                assert answer.status_code == 403, (path, role)
                assert f"The {role} role may not do this" in answer.text
                needed = (*rule.get("all_of", ()), *rule.get("any_of", ()))
                assert any(p in answer.text for p in needed), (path, role)
                refused += 1
    assert opened  # the matrix is neither all yes nor all no for the pages
    assert refused


def test_nobody_signed_in_is_sent_to_sign_in_from_every_page(
    web_app: FastAPI, pat: Any, held: dict[str, int]
) -> None:
    anonymous = TestClient(web_app)
    for method, path, _ in _pages(web_app):
        if (method, path) in PUBLIC:
            continue
        answer = anonymous.request(method, _url(path, pat.id, held), follow_redirects=False)
        assert answer.status_code == 303, path
        # A form sent is not sent again after signing in: only a page is returned to.
        back = "/login?next=%2F" if method == "GET" else "/login"
        assert answer.headers["location"].startswith(back), path


def test_the_navigation_shows_each_role_the_pages_it_may_open(
    web_app: FastAPI, everyone: dict[str, TestClient]
) -> None:
    named = {route.name: route for _, _, route in _pages(web_app)}
    for role, client in everyone.items():
        nav = client.get("/").text.split('<nav aria-label="Main">')
        shown = (
            set(re.findall(r'<li><a href="([^"]+)"', nav[1].split("</nav>")[0]))
            if len(nav) > 1
            else set()
        )
        expected = {
            web_app.url_path_for(name)
            for _, name in NAVIGATION
            if role in roles_allowed(declared(named[name]))
        }
        assert shown == expected, role


def test_every_role_of_the_matrix_is_tried() -> None:
    assert set(PEOPLE) == set(ROLES) - {"system"}


def test_a_page_that_does_not_declare_or_check_its_permission_is_refused_at_build() -> None:
    for declares, checks, found in (
        (False, True, "declares no permission"),
        (True, False, "does not check it"),
    ):
        router = APIRouter(route_class=PageRoute)
        extra = needs("patients.read") if declares else None

        if checks:

            @router.get("/clinic/careless", openapi_extra=extra)
            def careless(actor: PageActor) -> str:
                return actor.username

        else:

            @router.get("/clinic/careless", openapi_extra=extra)
            def unchecked() -> str:
                return "anyone"

        with pytest.raises(RuntimeError, match=found):
            check_pages(router.routes, PUBLIC)
