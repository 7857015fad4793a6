"""The product routes answer with the services' results and errors."""

from __future__ import annotations

from typing import Any

from product_cast import NOW, PASSING

from signing_cast import PASSWORD


def test_a_lot_goes_through_the_api_from_donor_to_release(
    clinic: Any, api: Any, qa: Any, clock: Any, facility: str
) -> None:
    ben, quinn = api("ben"), api("quinn")
    donor = ben.post("/donors", json={"code": "UC-0100", "recovered_on": "2026-10-20"})
    assert donor.status_code == 201, donor.text
    donor_id = donor.json()["id"]
    for test in ("hiv_1_antibody", "hiv_1_nat", "hiv_2_antibody", "hbsag", "anti_hbc_total",
                 "hcv_antibody", "hcv_nat", "treponema_pallidum"):  # fmt: skip
        body = {"test": test, "result": "nonreactive", "specimen_days_from_recovery": 0}
        assert ben.post(f"/donors/{donor_id}/tests", json=body).status_code == 201
    assert (
        ben.post(
            f"/donors/{donor_id}/determination", json={"version": 1, "password": PASSWORD}
        ).status_code
        == 403
    )
    determined = quinn.post(
        f"/donors/{donor_id}/determination", json={"version": 1, "password": PASSWORD}
    )
    assert determined.json()["eligibility"] == "eligible"
    lot = ben.post(
        "/products/lots",
        json={
            "donor_id": donor_id,
            "cell_source": "allogeneic_uc_msc",
            "vials": 10,
            "viable_cells_per_vial": 5e7,
            "expires_at": NOW.replace(year=2027).isoformat(),
            "storage_location": "LN2 tank 1",
        },
    )
    assert lot.status_code == 201, lot.text
    din = lot.json()["din"]
    for version, name in ((1, "manufacture"), (2, "start_qc")):
        taken = ben.post(f"/products/{din}/steps", json={"step": name, "version": version})
        assert taken.status_code == 201
        assert taken.json()["product_version"] == version + 1  # the next step's version
    out_of_order = ben.post(f"/products/{din}/steps", json={"step": "ship_to_clinic", "version": 3})
    assert out_of_order.status_code == 409
    assert "out of order" in out_of_order.json()["error"]["message"]
    bad = ben.post(f"/products/{din}/results", json={"test": "viability_pct", "value": 120})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "value"
    for test, value in PASSING.items():
        assert (
            ben.post(f"/products/{din}/results", json={"test": test, "value": value}).status_code
            == 201
        )
    assert ben.get(f"/products/{din}/judgements").json()["blockers"] == []
    released = quinn.post(
        f"/products/{din}/steps", json={"step": "release", "version": 3, "password": PASSWORD}
    )
    assert released.status_code == 201, released.text
    assert released.json()["signature_id"] is not None
    trace = api("olga").get(f"/products/{din}")
    assert [e["step"] for e in trace.json()["events"]] == [
        "register",
        "manufacture",
        "start_qc",
        "release",
    ]
    assert api("olga").get("/products/G123499000001").status_code == 404
    assert api("adam").get(f"/products/{din}").status_code == 403


def test_a_patients_products_are_listed_by_the_api(clinic: Any, api: Any, pat: Any) -> None:
    assert api("alice").get(f"/patients/{pat.id}/products").json() == []
    assert api("sami").get(f"/patients/{pat.id}/products").status_code == 404
