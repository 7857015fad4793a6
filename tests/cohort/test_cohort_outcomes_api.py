"""GET /cohort/outcomes: the analyst reads the cohort's change of slope; another site's user sees
none of it; an unknown site, a role without access and values out of range are refused."""

from __future__ import annotations

from typing import Any

import pytest

PARAMS = {"bootstrap_resamples": 100}


def test_the_analyst_reads_the_cohort_outcomes_through_the_api(api: Any, treated: Any) -> None:
    answer = api("olga").get("/cohort/outcomes", params=PARAMS | {"site": "NORTH"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["site_code"], body["n_patients"], body["n_obs"]) == ("NORTH", 5, 35)
    assert body["estimate"]["bootstrap_resamples"] == 100
    assert body["estimate"]["reading"]
    assert all(group["exploratory"] is True for group in body["groups"])
    assert body["groups_note"].startswith("EXPLORATORY")
    assert body["responders"]["threshold_points_per_month"] == 1.25
    assert "regression to the mean" in body["responders"]["caveat"]
    assert "regression to the mean" in body["caveat"]
    survival = api("olga").get("/cohort/survival")
    assert survival.status_code == 200, survival.text


def test_another_sites_user_sees_none_of_it(api: Any, treated: Any) -> None:
    for params in (PARAMS, PARAMS | {"site": "NORTH"}, PARAMS | {"site": "SOUTH"}):
        answer = api("sami").get("/cohort/outcomes", params=params)
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["message"].startswith(
            "The cohort model cannot be fitted to the 0 treated patients with 0 ALSFRS-R totals"
        )
        reason = "a mixed model needs at least 2 patients; the data have 0"
        assert error["fields"] == [{"field": "cohort", "message": reason}]


def test_an_unknown_site_code_is_refused_naming_the_codes(api: Any, clinic: Any) -> None:
    answer = api("olga").get("/cohort/outcomes", params={"site": "NOWHERE"})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == [
        {"field": "site", "message": "'NOWHERE' is not a site code; the codes are NORTH, SOUTH"}
    ]


def test_a_role_that_may_not_read_assessments_is_refused(api: Any, clinic: Any) -> None:
    assert api("ben").get("/cohort/outcomes").status_code == 403
    assert api(None).get("/cohort/outcomes").status_code == 401


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("bootstrap_resamples", 5),
        ("bootstrap_resamples", 6000),
        ("responder_threshold", 0),
        ("responder_threshold", 60),
        ("seed", -1),
        ("on", "yesterday"),
    ],
)
def test_values_out_of_range_are_refused_naming_the_parameter(
    api: Any, clinic: Any, name: str, value: object
) -> None:
    answer = api("olga").get("/cohort/outcomes", params={name: value})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == name
