"""A list filtered by a site code or route that does not exist is refused, naming what exists:
a mistyped filter must not read as "nothing due"."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    "path",
    ["/follow-up-visits", "/protocol-deviations", "/adjunct-sessions", "/safety/reports",
     "/safety/report"],
)  # fmt: skip
def test_an_unknown_site_code_is_refused_naming_the_codes(api: Any, path: str) -> None:
    answer = api("alice").get(path, params={"site": "north"})
    assert answer.status_code == 422, answer.text
    [field] = answer.json()["error"]["fields"]
    assert field == {
        "field": "site",
        "message": "'north' is not a site code; the codes are NORTH, SOUTH",
    }
    assert api("alice").get(path, params={"site": "NORTH"}).status_code == 200


def test_an_unknown_route_is_refused_naming_the_routes(api: Any) -> None:
    answer = api("chen").get("/safety/adverse-events", params={"route": "iv"})
    assert answer.status_code == 422
    [field] = answer.json()["error"]["fields"]
    assert field["field"] == "route"
    assert "'iv' is not known; choose intrathecal" in field["message"]
