"""Text with a NUL character or an unpaired surrogate is invalid input (422 naming the field) on
both databases, wherever it is in the request; PostgreSQL refused it with a server error before."""

from __future__ import annotations

import json

import pytest

NUL = "\u0000"


def _fields(response) -> list[str]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert all("NUL" in f["message"] for f in error["fields"])
    return [f["field"] for f in error["fields"]]


def test_it_refuses_a_nul_in_a_field_of_the_body_and_stores_nothing(
    api, pat, alsfrs_body, stored
) -> None:
    before = stored()
    body = alsfrs_body() | {"assessed_by": f"Dr Wei{NUL} Chen"}
    assert _fields(api("alice").post(f"/patients/{pat.id}/assessments", json=body)) == [
        "assessed_by"
    ]
    assert stored() == before


def test_it_names_a_nul_in_a_nested_field_and_in_a_key(api, pat, alsfrs_body) -> None:
    added = api("alice").post(f"/patients/{pat.id}/assessments", json=alsfrs_body()).json()
    record = alsfrs_body(q1=None) | {"assessed_by": f"{NUL}"}
    record["responses"][f"q{NUL}1"] = 3
    fix = {"record": record, "version": 1, "reason": "Typo"}
    answer = api("alice").post(f"/assessments/{added['id']}/corrections", json=fix)
    assert _fields(answer) == ["record.assessed_by", "record.responses.q\\u00001"]


def test_it_refuses_an_unpaired_surrogate_where_any_value_is_allowed(
    api, pat, alsfrs_body, stored
) -> None:
    before = stored()
    raw = json.dumps(alsfrs_body()).replace('"q1": 3', '"q1": "\\ud800"')
    answer = api("alice").post(
        f"/patients/{pat.id}/assessments",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert _fields(answer) == ["responses.q1"]
    assert stored() == before


def test_it_accepts_a_character_written_as_a_surrogate_pair(api, pat, alsfrs_body) -> None:
    raw = json.dumps(alsfrs_body()).replace("Dr Wei Chen", "Dr Wei Chen \\ud83d\\ude00")
    answer = api("alice").post(
        f"/patients/{pat.id}/assessments",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["assessed_by"] == "Dr Wei Chen \N{GRINNING FACE}"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/safety/adverse-events?route=a%00b", "route"),
        ("/products/G1234%0026000001/bedside-checks", "din"),
    ],
)
def test_it_refuses_a_nul_in_a_query_or_path_parameter(api, path, field) -> None:
    assert _fields(api("chen").get(path)) == [field]
