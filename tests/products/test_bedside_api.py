"""The bedside routes: two checks, a refusal with its reasons, the administration, the visits."""

from __future__ import annotations

from typing import Any

from alstrack.domain.isbt128 import check_character, flag
from signing_cast import PASSWORD


def test_two_checks_and_an_administration_go_through_the_api(
    clinic: Any, api: Any, maria: Any, approved: Any, thawed: Any
) -> None:
    approved()
    din = thawed().din
    nina, chen = api("nina"), api("chen")
    study = nina.get(f"/products/{din}").json()["product"]["patient_study_id"]
    scanned = {
        "patient": study,
        "patient_entry": "scanned",
        "din": f"={din}{flag(din)}",
        "din_entry": "scanned",
        "dose_volume_ml": 10,
    }
    first = nina.post("/bedside-checks", json=scanned)
    assert first.status_code == 201, first.text
    assert first.json()["still_needed"] == 1
    again = nina.post("/bedside-checks", json=scanned)
    assert again.status_code == 409
    assert "a second qualified person must" in again.json()["error"]["message"]
    typo = chen.post(
        "/bedside-checks",
        json=scanned
        | {"din": din + ("0" if check_character(din) != "0" else "1"), "din_entry": "typed"},
    )
    assert typo.status_code == 422
    assert typo.json()["error"]["fields"][0]["field"] == "din"
    typed = scanned | {
        "din": din + check_character(din),
        "din_entry": "typed",
        "patient_entry": "typed",
    }
    second = chen.post("/bedside-checks", json=typed)
    assert second.status_code == 201, second.text
    assert second.json()["verified"] is True
    assert nina.get(f"/products/{din}/bedside-checks").json() == second.json()
    given = nina.post(
        f"/products/{din}/administration",
        json={
            "version": second.json()["product_version"],
            "route": "intrathecal",
            "cells_administered": 6e7,
            "volume_ml": 10,
            "password": PASSWORD,
        },
    )
    assert given.status_code == 201, given.text
    assert given.json()["dose_number"] == 1
    visits = nina.get(f"/patients/{maria.patient_id}/follow-up-visits").json()
    assert [v["visit"] for v in visits] == [v["visit"] for v in given.json()["follow_up"]]
    doses = nina.get(f"/patients/{maria.patient_id}/administrations").json()
    assert [d["din"] for d in doses] == [din]
    assert api("ben").post("/bedside-checks", json=typed).status_code == 403
    unknown = nina.post("/bedside-checks", json=typed | {"din_entry": "keyed"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"][0]["field"] == "din_entry"
