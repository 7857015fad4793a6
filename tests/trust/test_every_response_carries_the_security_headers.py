"""Every answer carries the security headers, errors and the docs page included; the docs page
loads Swagger UI from the app itself, nothing from another origin (api/headers.py, api/app.py).

The headers are the app's, whatever the database: these tests run on SQLite only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from trust_cast import bearer

from alstrack.api.app import DOCS_ASSETS_CACHE, create_app
from alstrack.config import Settings
from alstrack.store.db import Database

sqlite_only = pytest.mark.parametrize("db", ["sqlite"], indirect=True)

EXPECTED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
# What a client may ask, by the answer it gets: (method, path, options); "as" names the caller.
REQUESTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "200 JSON": ("GET", "/health", {}),
    "200 health data": ("GET", "/patients/{pat}/timeline", {"as": "alice"}),
    "200 identity": ("GET", "/patients/{pat}/identity", {"as": "alice"}),
    "200 HTML page": ("GET", "/", {}),
    "200 docs page": ("GET", "/docs", {}),
    "200 docs asset": ("GET", "/docs/assets/swagger-ui.css", {}),
    "401 no token": ("GET", "/me", {}),
    "401 bad token": ("GET", "/me", {"headers": bearer("not-a-token")}),
    "403 role": ("POST", "/sites", {"as": "nina", "json": {"code": "E", "name": "East"}}),
    "404 no route": ("GET", "/nowhere", {}),
    "404 no record": ("GET", "/patients/999999", {"as": "alice"}),
    "405 method": ("DELETE", "/health", {}),
    "422 bad id": ("GET", "/patients/abc", {"as": "alice"}),
    "422 bad body": ("POST", "/patients", {"as": "alice", "json": {"site_id": "x"}}),
    "422 unstorable text": (
        "POST",
        "/patients",
        {
            "as": "alice",
            "content": b'{"site_id": 1, "sex": "\\u0000"}',
            "headers": {"content-type": "application/json"},
        },
    ),
}


@pytest.fixture
def anyone() -> Iterator[TestClient]:
    """An anonymous client of an app over an empty database: the docs read no data."""
    db = Database("sqlite://")
    yield TestClient(create_app(Settings(), db=db))
    db.dispose()


@pytest.fixture
def ask(api: Callable[[str | None], TestClient], pat: Any) -> Callable[[str], Any]:
    def answer(case: str) -> Any:
        method, path, options = REQUESTS[case]
        options = dict(options)
        client = api(options.pop("as", None))
        return client.request(method, path.format(pat=pat.id), **options)

    return answer


@sqlite_only
@pytest.mark.parametrize("case", list(REQUESTS))
def test_every_answer_carries_the_security_headers(ask: Callable[[str], Any], case: str) -> None:
    response = ask(case)
    assert response.status_code == int(case.split()[0]), response.text
    # Swagger UI's files (the pinned package's, no health data) may be kept a day.
    expected = EXPECTED | ({"cache-control": DOCS_ASSETS_CACHE} if "asset" in case else {})
    for name, value in expected.items():
        assert response.headers.get_list(name) == [value], name
    assert "camera=()" in response.headers["permissions-policy"]
    [policy] = response.headers.get_list("content-security-policy")
    directives = _directives(policy)
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    # Over plain HTTP a browser ignores HSTS: it is not sent.
    assert "strict-transport-security" not in response.headers


def test_an_unexpected_error_answers_500_with_the_headers_too() -> None:
    # A database without its tables fails every query: the home page cannot be made.
    db = Database("sqlite://")
    broken = TestClient(create_app(Settings(), db=db), raise_server_exceptions=False)
    response = broken.get("/")
    db.dispose()
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], name
    assert "content-security-policy" in response.headers


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_the_content_security_policy_allows_only_the_apps_own_origin(anyone: TestClient) -> None:
    for path in ("/health", "/docs"):
        directives = _directives(anyone.get(path).headers["content-security-policy"])
        for directive, sources in directives.items():
            for source in sources:
                allowed = {"'self'", "'none'"}
                if directive == "img-src":
                    allowed.add("data:")  # Swagger UI's icons, drawn in its stylesheet
                if directive == "style-src":
                    allowed.add("'unsafe-inline'")  # the pages' <style> blocks, SVG figures
                if directive == "script-src" and source.startswith("'sha256-"):
                    continue  # the docs page's one inline script, by hash
                assert source in allowed, (path, directive, source)
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]


@sqlite_only
def test_strict_transport_security_is_sent_on_answers_over_https(
    api: Callable[[str | None], TestClient], clinic: Any
) -> None:
    # Behind a TLS proxy uvicorn sets the scheme from X-Forwarded-Proto; here the client's URL.
    secure = TestClient(create_app(Settings(), db=clinic.db), base_url="https://testserver")
    for response in (secure.get("/health"), secure.get("/me"), secure.get("/docs")):
        max_age = re.fullmatch(r"max-age=(\d+)", response.headers["strict-transport-security"])
        assert max_age is not None
        assert int(max_age[1]) >= 365 * 24 * 3600
        assert response.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in api(None).get("/health").headers


@sqlite_only
def test_a_header_a_route_sets_itself_is_kept_and_sent_once(
    api: Callable[[str | None], TestClient], pat: Any
) -> None:
    audit = api("alice").get(f"/patients/{pat.id}/audit.csv")
    assert audit.status_code == 200
    assert audit.headers.get_list("cache-control") == ["no-store"]
    assert audit.headers["content-disposition"].startswith("attachment")
    docs = api(None).get("/docs").headers.get_list("content-security-policy")
    assert len(docs) == 1
    assert "'sha256-" in docs[0]


# --- the docs page, self-hosted ---------------------------------------------------------------


def test_the_docs_page_loads_nothing_from_another_origin_and_every_file_it_names_answers(
    anyone: TestClient,
) -> None:
    page = anyone.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert "SwaggerUIBundle" in html
    assert not re.search(r"https?://", html), html
    named = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
    assert len(named) == 4, named  # the script, the stylesheet, the icon, the OpenAPI document
    types = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "json"}
    for url in named:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url  # no other host, whatever the scheme
        answer = anyone.get(url)
        assert answer.status_code == 200, url
        assert types[url[url.rindex(".") :]] in answer.headers["content-type"], url
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_docs_page_script_is_allowed_by_its_hash_and_nothing_else_inline(
    anyone: TestClient,
) -> None:
    page = anyone.get("/docs")
    script_src = _directives(page.headers["content-security-policy"])["script-src"]
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    inline = re.findall(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", page.text, re.DOTALL)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in script_src
    # No inline event handler or javascript: URL, which no hash would allow.
    assert not re.search(r"\son\w+=|javascript:", page.text)


def test_the_served_swagger_ui_reads_the_openapi_version_the_app_writes(anyone: TestClient) -> None:
    assert anyone.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = anyone.get("/docs/assets/swagger-ui-bundle.js").text
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle)
    assert version is not None
    assert int(version[1]) >= 5  # Swagger UI reads OpenAPI 3.1 from version 5 on


def test_redoc_is_not_served_rather_than_loaded_from_a_cdn(anyone: TestClient) -> None:
    assert anyone.get("/redoc").status_code == 404
