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
    plan = {
        "effect": "exclude",
        "checks": [
            {
                "data_elements": ["hx.prior_cell_or_stem_cell_therapy"],
                "operator": "is_false",
                "threshold": None,
                "takes_threshold": False,
            }
        ],
        "review": False,
    }
    assert cell == {
        "id": "EXC-CELL-001",
        "group": "EXC",
        "category": "exclusion",
        "description": "Any prior stem-cell or cell therapy",
        "effect": "exclude",
        "sources": ["NUROWN_P3_REG", "BRAZIL_IT_REG", "NEUSTEM_REG", "CNS10_REG"],
        "verification": "read",
        "max_age_days": None,
        "applies_if": None,
        "note": None,
        "plans": {p: plan for p in ("nurown_p3_like", "alsummit_like", "brazil_it_msc_like")},
    }
    assert "cite" in body["sources"]["ISCT_2006"]
    assert len(body["sha256"]) == 64


def test_it_lists_the_data_elements_an_evaluation_takes(api: Api) -> None:
    elements = {e["name"]: e for e in api("nina").get("/rulesets/active").json()["data_elements"]}
    assert elements["fn.alsfrs_r_total"] == {
        "name": "fn.alsfrs_r_total",
        "type": "integer",
        "unit": None,
        "codes": None,
        "range": [0, 48],
        "note": None,
        "accepts_never": False,
    }
    assert elements["patient.sex"]["codes"] == ["female", "male", "other", "unknown"]
    assert elements["lab.platelets_10e9_per_l"]["unit"] == "10^9/L"
    assert elements["meds.edaravone_last_date"]["accepts_never"]


def test_each_rule_shows_what_every_profile_applies(api: Api) -> None:
    rules = {r["id"]: r for r in api("chen").get("/rulesets/active").json()["rules"]}
    age = rules["INC-AGE-001"]["plans"]
    assert age["nurown_p3_like"]["checks"] == [
        {
            "data_elements": ["patient.age_years"],
            "operator": "between",
            "threshold": [18, 60],
            "takes_threshold": True,
        }
    ]
    assert age["brazil_it_msc_like"]["checks"][0]["threshold"] == [18, 70]
    # Brazil's riluzole period is not known: a null threshold, so a value gives REVIEW.
    riluzole = rules["INC-RILU-001"]
    assert riluzole["applies_if"] == {"meds.riluzole": True}
    brazil = riluzole["plans"]["brazil_it_msc_like"]
    assert (brazil["checks"][0]["threshold"], brazil["review"]) == (None, True)
    assert riluzole["plans"]["nurown_p3_like"]["review"] is False
    # A rule that belongs to one profile only shows that profile.
    assert list(rules["EXC-EDAR-001"]["plans"]) == ["nurown_p3_like"]
    assert rules["EXC-GI-001"]["plans"]["nurown_p3_like"]["effect"] == "flag"


def test_an_installed_version_is_listed_and_becomes_active(
    api: Api, clinic: Any, northgate_file: Path
) -> None:
    with clinic.db.transaction() as session:
        rulesets.active_ruleset(session, store_as=clinic["alice"])
    shipped = api("alice").get("/rulesets/active").json()
    assert shipped["stored"]
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
