"""A JSON body that is not UTF-8 text is invalid input (422, the one error shape), not FastAPI's
undocumented 400 {"detail": …}; other framework refusals keep their status in the same shape."""

from __future__ import annotations


def test_it_answers_422_naming_the_body_for_bytes_that_are_not_utf8(api, pat, stored) -> None:
    before = stored()
    answer = api("alice").post(
        f"/patients/{pat.id}/milestones",
        content=b'{"kind": "gastrostomy", "occurred_on": "2024-03-0\xe9"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], [f["field"] for f in error["fields"]]) == ("invalid_input", ["body"])
    assert stored() == before


def test_it_names_the_body_and_the_place_for_text_that_is_not_json(api, pat) -> None:
    answer = api("alice").post(
        f"/patients/{pat.id}/milestones",
        content=b'{"kind": "gastrostomy",',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    [field] = answer.json()["error"]["fields"]
    assert field["field"] == "body"
    assert "not valid JSON" in field["message"]
    assert "at character 23" in field["message"]


def test_it_answers_an_unknown_path_with_404_in_the_error_shape(api) -> None:
    answer = api("alice").get("/no-such-thing")
    assert answer.status_code == 404
    assert answer.json() == {"error": {"code": "not_found", "message": "Not Found", "fields": []}}


def test_it_answers_a_method_the_route_lacks_with_405_in_the_error_shape(api) -> None:
    answer = api("alice").delete("/patients")
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"
