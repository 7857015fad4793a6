"""Treatment plans over HTTP: the same rules, one error shape, nothing stored on refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from signing_cast import PASSWORD

Body = Callable[..., dict[str, Any]]


def test_a_plan_is_drafted_listed_revised_and_approved_over_http(
    api: Any, maria: Any, eligible: int, plan_body: Body
) -> None:
    alice, chen = api("alice"), api("chen")
    made = alice.post(f"/patients/{maria.patient_id}/plans", json=plan_body(eligible))
    assert made.status_code == 201, made.text
    plan = made.json()
    assert (plan["status"], plan["current_version"], plan["version"]) == ("draft", 1, 1)
    [first] = plan["versions"]
    assert (first["weight_kg"], first["weight_measured_on"]) == (64, "2026-10-29")
    assert (first["dose_cells"], first["total_cells"]) == (64_000_000, 192_000_000)
    assert (first["endotoxin_k_eu_per_kg"], first["endotoxin_limit_eu"]) == (0.2, 12.8)
    assert first["cell_source"]["label"] == "Autologous bone-marrow MSC"
    assert plan["suitable_lots"] is None  # an autologous plan is made from the patient's cells
    assert alice.get(f"/patients/{maria.patient_id}/plans").json() == [plan]
    assert api("ben").get(f"/plans/{plan['id']}").json() == plan

    revision = {"plan": plan_body(eligible, route="intravenous"), "version": 1, "reason": "IV"}
    revised = alice.post(f"/plans/{plan['id']}/versions", json=revision)
    assert revised.status_code == 201, revised.text
    assert revised.json()["versions"][1]["endotoxin_limit_eu"] == 320

    approval = {"number": 2, "version": revised.json()["version"], "password": PASSWORD}
    approved = chen.post(f"/plans/{plan['id']}/approval", json=approval)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved"
    assert body["versions"][1]["approval"]["meaning"] == "approved"
    assert [o["tissue"] for o in body["collection_orders"]] == ["bone_marrow"]
    assert alice.get(f"/plans/{plan['id']}").json() == body


def test_bad_input_answers_422_naming_the_field_and_stores_nothing(
    api: Any, maria: Any, eligible: int, plan_body: Body, stored: Callable[[], dict[str, int]]
) -> None:
    alice, path = api("alice"), f"/patients/{maria.patient_id}/plans"
    before = stored()
    route = alice.post(path, json=plan_body(eligible, route="intranasal"))
    assert route.status_code == 422
    assert route.json()["error"]["fields"] == [
        {
            "field": "route",
            "message": "'intranasal' is not known; choose intrathecal, intravenous, intramuscular",
        }
    ]
    basis = alice.post(path, json=plan_body(eligible, dose_basis="per_lb"))
    assert basis.status_code == 422
    assert basis.json()["error"]["fields"][0]["field"] == "dose_basis"
    stray = alice.post(path, json=plan_body(eligible, dose=5))
    assert stray.status_code == 422
    assert stray.json()["error"]["fields"][0] == {
        "field": "dose",
        "message": "is not a field of this record",
    }
    assert stored() == before


def test_a_revision_names_the_fields_of_its_plan(
    api: Any, maria: Any, eligible: int, plan_body: Body, stored: Callable[[], dict[str, int]]
) -> None:
    alice = api("alice")
    plan = alice.post(f"/patients/{maria.patient_id}/plans", json=plan_body(eligible)).json()
    before = stored()
    revision = {"plan": plan_body(eligible, route="oral"), "version": 1}
    no_reason = alice.post(f"/plans/{plan['id']}/versions", json=revision)
    assert no_reason.status_code == 422
    assert [f["field"] for f in no_reason.json()["error"]["fields"]] == ["reason"]
    bad_route = alice.post(f"/plans/{plan['id']}/versions", json=revision | {"reason": "IV"})
    assert bad_route.status_code == 422
    assert [f["field"] for f in bad_route.json()["error"]["fields"]] == ["plan.route"]
    bad_screening = revision | {"plan": plan_body(10**9), "reason": "IV"}
    answer = alice.post(f"/plans/{plan['id']}/versions", json=bad_screening)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["plan.screening_id"]
    assert stored() == before


def test_a_stale_version_or_a_refused_step_answers_409_and_stores_nothing(
    api: Any,
    clinic: Any,
    maria: Any,
    eligible: int,
    plan_body: Body,
    stored: Callable[[], dict[str, int]],
) -> None:
    alice, chen = api("alice"), api("chen")
    plan = alice.post(f"/patients/{maria.patient_id}/plans", json=plan_body(eligible)).json()
    revision = {"plan": plan_body(eligible), "version": 1, "reason": "Fewer doses"}
    assert alice.post(f"/plans/{plan['id']}/versions", json=revision).status_code == 201
    newer = maria.screen(clinic)
    before = stored()
    stale = alice.post(f"/plans/{plan['id']}/versions", json=revision)
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "conflict")
    old = chen.post(
        f"/plans/{plan['id']}/approval", json={"number": 1, "version": 2, "password": PASSWORD}
    )
    assert (old.status_code, old.json()["error"]["code"]) == (409, "conflict")
    superseded = chen.post(
        f"/plans/{plan['id']}/approval", json={"number": 2, "version": 2, "password": PASSWORD}
    )
    assert (superseded.status_code, superseded.json()["error"]["code"]) == (409, "step_refused")
    assert f"newer screening {newer.id}" in superseded.json()["error"]["message"]
    assert stored() == before


def test_roles_and_sites_are_enforced_over_http(
    api: Any, maria: Any, eligible: int, plan_body: Body
) -> None:
    body = plan_body(eligible)
    assert api("nina").post(f"/patients/{maria.patient_id}/plans", json=body).status_code == 403
    plan = api("alice").post(f"/patients/{maria.patient_id}/plans", json=body).json()
    approval = {"number": 1, "version": 1, "password": PASSWORD}
    assert api("alice").post(f"/plans/{plan['id']}/approval", json=approval).status_code == 403
    assert api("sami").get(f"/plans/{plan['id']}").status_code == 404
    assert api("sami").get(f"/patients/{maria.patient_id}/plans").status_code == 404
    assert api(None).get(f"/plans/{plan['id']}").status_code == 401
    assert api("alice").get("/plans/99999999999999999999").status_code == 422


def test_a_plan_is_closed_and_an_order_cancelled_over_http(
    api: Any, maria: Any, eligible: int, plan_body: Body, stored: Callable[[], dict[str, int]]
) -> None:
    alice, chen = api("alice"), api("chen")
    plan = alice.post(f"/patients/{maria.patient_id}/plans", json=plan_body(eligible)).json()
    approved = chen.post(
        f"/plans/{plan['id']}/approval", json={"number": 1, "version": 1, "password": PASSWORD}
    ).json()
    [order] = approved["collection_orders"]
    before = stored()
    no_reason = alice.post(f"/collection-orders/{order['id']}/cancel", json={"version": 1})
    assert (no_reason.status_code, no_reason.json()["error"]["fields"][0]["field"]) == (
        422,
        "reason",
    )
    stale = alice.post(
        f"/collection-orders/{order['id']}/cancel", json={"version": 9, "reason": "Postponed"}
    )
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "conflict")
    assert "record version 9" in stale.json()["error"]["message"]
    assert stored() == before
    body = {"version": 1, "reason": "Postponed"}
    cancelled = alice.post(f"/collection-orders/{order['id']}/cancel", json=body)
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["version"]) == ("cancelled", 2)
    again = alice.post(f"/collection-orders/{order['id']}/cancel", json=body | {"version": 2})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "step_refused")

    second = alice.post(f"/patients/{maria.patient_id}/plans", json=plan_body(eligible))
    assert (second.status_code, second.json()["error"]["code"]) == (409, "step_refused")
    assert f"/plans/{plan['id']}/close" in second.json()["error"]["message"]
    closed = alice.post(f"/plans/{plan['id']}/close", json={"version": 2, "reason": "Declined"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["version"]) == ("closed", 3)
    twice = alice.post(f"/plans/{plan['id']}/close", json={"version": 3, "reason": "Declined"})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "step_refused")
    third = alice.post(f"/patients/{maria.patient_id}/plans", json=plan_body(eligible))
    assert third.status_code == 201, third.text


def test_closing_and_cancelling_are_for_coordinators_and_physicians_of_the_site(
    api: Any, maria: Any, eligible: int, plan_body: Body
) -> None:
    plan = api("alice").post(f"/patients/{maria.patient_id}/plans", json=plan_body(eligible))
    plan_id = plan.json()["id"]
    approved = api("chen").post(
        f"/plans/{plan_id}/approval", json={"number": 1, "version": 1, "password": PASSWORD}
    )
    order_id = approved.json()["collection_orders"][0]["id"]
    body = {"version": 2, "reason": "Declined"}
    assert api("nina").post(f"/plans/{plan_id}/close", json=body).status_code == 403
    assert api("sami").post(f"/plans/{plan_id}/close", json=body).status_code == 404
    cancel = f"/collection-orders/{order_id}/cancel"
    assert api("ben").post(cancel, json=body | {"version": 1}).status_code == 403
    assert api("sami").post(cancel, json=body | {"version": 1}).status_code == 404
    assert api("alice").post("/collection-orders/0/cancel", json=body).status_code == 422
