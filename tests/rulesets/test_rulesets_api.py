"""GET /rulesets lists the stored versions; GET /rulesets/active shows the one in use."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from alstrack.services import rulesets

Api = Callable[[str | None], TestClient]


def test_the_active_rule_set_shows_its_profiles_rules_and_sources(api: Api) -> None:
    answer = api("chen").get("/rulesets/active")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["id"], body["origin"], body["validated"]) == ("msc-als-program", "builtin", False)
    assert body["default_profile"] == "nurown_p3_like"
    assert body["profiles"][0]["name"] == "nurown_p3_like"
    assert "NCT03280056" in body["profiles"][0]["description"]
    cell = next(r for r in body["rules"] if r["id"] == "EXC-CELL-001")
    assert cell == {
        "id": "EXC-CELL-001",
        "group": "EXC",
        "category": "exclusion",
        "description": "Any prior stem-cell or cell therapy",
        "effect": "exclude",
        "sources": ["NUROWN_P3_REG", "BRAZIL_IT_REG", "NEUSTEM_REG", "CNS10_REG"],
        "verification": "read",
        "max_age_days": None,
    }
    assert "cite" in body["sources"]["ISCT_2006"]
    assert len(body["sha256"]) == 64


def test_an_installed_version_is_listed_and_becomes_active(
    api: Api, clinic: Any, northgate_file: Path
) -> None:
    shipped = api("alice").get("/rulesets/active").json()
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    listed = api("alice").get("/rulesets").json()
    assert [(v["id"], v["active"]) for v in listed] == [
        (installed.id, True),
        (shipped["version_id"], False),
    ]
    assert listed[0]["profiles"][-1] == "northgate"
    active = api("alice").get("/rulesets/active").json()
    assert (active["version_id"], active["version"]) == (installed.id, "0.2.0-northgate.1")
    cell = next(r for r in active["rules"] if r["id"] == "EXC-CELL-001")
    assert cell["effect"]["northgate"] == "flag"


def test_the_rule_sets_need_a_token_and_a_role_that_reads_screenings(api: Api) -> None:
    assert api(None).get("/rulesets").status_code == 401
    refused = api("ben").get("/rulesets/active")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
