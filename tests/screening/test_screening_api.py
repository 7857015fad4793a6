"""Screenings and reviews over HTTP: the same rules, one error shape, nothing stored on refusal."""

from __future__ import annotations

from typing import Any

from signing_cast import PASSWORD

AS_OF = "2026-11-01T09:00:00Z"


def test_a_patient_is_screened_listed_read_and_reviewed_over_http(api: Any, maria: Any) -> None:
    alice, chen = api("alice"), api("chen")
    made = alice.post(f"/patients/{maria.patient_id}/screenings", json={"as_of": AS_OF})
    assert made.status_code == 201, made.text
    screening = made.json()
    assert (screening["verdict"], screening["status"]) == ("needs_review", "needs_review")
    assert screening["open_reviews"] == ["INC-PROG-001"]
    prog = next(c for c in screening["criteria"] if c["id"] == "INC-PROG-001")
    assert set(prog) >= {"id", "result", "value", "threshold", "effect", "sources", "reason"}
    listed = alice.get(f"/patients/{maria.patient_id}/screenings").json()
    assert [s["id"] for s in listed] == [screening["id"]]
    review = {
        "criterion_id": "INC-PROG-001",
        "decision": "accept",
        "reason": "Fast progressor",
        "password": PASSWORD,
    }
    decided = chen.post(f"/screenings/{screening['id']}/reviews", json=review)
    assert decided.status_code == 201, decided.text
    assert decided.json()["status"] == "eligible_after_review"
    assert alice.get(f"/screenings/{screening['id']}").json() == decided.json()


def test_a_screening_with_no_body_uses_now_and_the_default_profile(api: Any, maria: Any) -> None:
    made = api("alice").post(f"/patients/{maria.patient_id}/screenings")
    assert made.status_code == 201, made.text
    assert made.json()["profile"] == "nurown_p3_like"


def test_bad_input_names_the_field_and_stores_nothing(api: Any, maria: Any, stored: Any) -> None:
    before = stored()
    alice = api("alice")
    bad_profile = api("chen").post(
        f"/patients/{maria.patient_id}/screenings", json={"as_of": AS_OF, "profile": "lenient"}
    )
    assert bad_profile.status_code == 422
    assert bad_profile.json()["error"]["fields"][0]["field"] == "profile"
    stray = alice.post(f"/patients/{maria.patient_id}/screenings", json={"asof": AS_OF})
    assert stray.status_code == 422
    assert stored() == before


SIGNED = {"password": PASSWORD}


def test_deciding_a_passed_criterion_answers_409_and_a_nurse_cannot_review(
    api: Any, maria: Any
) -> None:
    made = api("alice").post(f"/patients/{maria.patient_id}/screenings", json={"as_of": AS_OF})
    sid = made.json()["id"]
    passed = {"criterion_id": "EXC-INF-001", "decision": "accept", "reason": "fine"} | SIGNED
    assert api("chen").post(f"/screenings/{sid}/reviews", json=passed).status_code == 409
    review = {"criterion_id": "INC-PROG-001", "decision": "accept", "reason": "fine"} | SIGNED
    assert api("nina").post(f"/screenings/{sid}/reviews", json=review).status_code == 403
    assert api("sami").get(f"/screenings/{sid}").status_code == 404
