"""Ids and versions past what an INTEGER column holds (2³¹ − 1 on PostgreSQL) are invalid input,
naming the field; they made SQLite or PostgreSQL fail the statement with a server error before."""

from __future__ import annotations

import pytest

PAST_INTEGER = 2**31
PAST_SQLITE = 2**64


def _field(response) -> str:
    assert response.status_code == 422, response.text
    [field] = response.json()["error"]["fields"]
    return str(field["field"])


@pytest.mark.parametrize("version", [PAST_INTEGER, PAST_SQLITE, 0])
def test_it_refuses_a_version_out_of_range(api, pat, version) -> None:
    change = {"sex": "female", "version": version, "reason": "Entered wrongly"}
    assert _field(api("alice").patch(f"/patients/{pat.id}", json=change)) == "version"


def test_it_refuses_a_version_out_of_range_in_a_correction_and_stores_nothing(
    api, pat, alsfrs_body, stored
) -> None:
    added = api("alice").post(f"/patients/{pat.id}/assessments", json=alsfrs_body()).json()
    before = stored()
    fix = {"record": alsfrs_body(), "version": PAST_SQLITE, "reason": "Typo"}
    answer = api("alice").post(f"/assessments/{added['id']}/corrections", json=fix)
    assert _field(answer) == "version"
    assert stored() == before


def test_it_refuses_a_site_id_out_of_range_when_registering(api) -> None:
    assert _field(api("alice").post("/patients", json={"site_id": PAST_INTEGER})) == "site_id"


def test_it_refuses_a_path_id_past_what_postgresql_stores(api) -> None:
    assert _field(api("alice").get(f"/patients/{PAST_INTEGER}/timeline")) == "patient_id"


@pytest.mark.parametrize("version", [True, "1"])
def test_it_refuses_a_version_that_is_not_a_json_number(api, pat, version) -> None:
    change = {"sex": "female", "version": version, "reason": "Entered wrongly"}
    assert _field(api("alice").patch(f"/patients/{pat.id}", json=change)) == "version"


def test_it_refuses_false_for_the_age_of_a_donor(api) -> None:
    donor = {"code": "D-0001", "recovered_on": "2024-03-01", "age_at_recovery_days": False}
    assert _field(api("ben").post("/donors", json=donor)) == "age_at_recovery_days"
