"""Records over HTTP: each kind is added, listed, read, corrected and voided the same way."""

from datetime import UTC, datetime, timedelta

import pytest

ON = "2024-03-05"
ALSFRS = {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}

# collection: (first entry, its correction, a field the correction changes)
KINDS = {
    "assessments": (
        {
            "instrument": "alsfrs_r",
            "assessed_on": ON,
            "assessed_by": "Dr Wei Chen",
            "responses": ALSFRS,
        },
        {
            "instrument": "alsfrs_r",
            "assessed_on": ON,
            "assessed_by": "Dr Wei Chen",
            "responses": ALSFRS | {"q1": 2},
        },
        "responses",
    ),
    "spirometry": (
        {"assessed_on": ON, "assessed_by": "Nina Okafor", "fvc_l": 3.2, "height_cm": 178},
        {"assessed_on": ON, "assessed_by": "Nina Okafor", "fvc_l": 2.3, "height_cm": 178},
        "fvc_l",
    ),
    "body-measurements": (
        {"assessed_on": ON, "assessed_by": "Nina Okafor", "weight_kg": 17.2, "height_cm": 178},
        {"assessed_on": ON, "assessed_by": "Nina Okafor", "weight_kg": 72.1, "height_cm": 178},
        "weight_kg",
    ),
    "milestones": (
        {"kind": "gastrostomy", "occurred_on": "2024-05-07"},
        {"kind": "gastrostomy", "occurred_on": "2024-05-17"},
        "occurred_on",
    ),
    "drug-courses": (
        {"drug": "riluzole", "start_date": "2023-10-01"},
        {"drug": "riluzole", "start_date": "2023-10-01", "stop_date": "2024-04-01"},
        "stop_date",
    ),
    "pretreatment-evaluations": (
        {"assessed_on": ON, "assessed_by": "Dr Wei Chen", "observations": {"lab.inr": 1.0}},
        {"assessed_on": ON, "assessed_by": "Dr Wei Chen", "observations": {"lab.inr": 1.2}},
        "observations",
    ),
}


@pytest.mark.parametrize("collection", KINDS)
def test_a_record_is_added_corrected_voided_and_kept(api, pat, consented, collection):
    consented(pat.id)  # a pretreatment evaluation needs the patient's consent
    entered, corrected, field = KINDS[collection]
    chen = api("chen")
    added = chen.post(f"/patients/{pat.id}/{collection}", json=entered)
    assert added.status_code == 201, added.text
    first = added.json()
    assert (first["status"], first["version"], first["patient_id"]) == ("current", 1, pat.id)
    entered_at = datetime.fromisoformat(first["entered_at"])
    assert entered_at.utcoffset() == timedelta(0)
    assert datetime.now(UTC) - entered_at < timedelta(minutes=1)
    assert chen.get(f"/{collection}/{first['id']}").json() == first

    fixed = chen.post(
        f"/{collection}/{first['id']}/corrections",
        json={"record": corrected, "version": 1, "reason": "Misread the form"},
    )
    assert fixed.status_code == 201, fixed.text
    second = fixed.json()
    assert (second["supersedes_id"], second["reason"]) == (first["id"], "Misread the form")
    assert second[field] != first[field]
    assert [r["id"] for r in chen.get(f"/patients/{pat.id}/{collection}").json()] == [second["id"]]

    voided = chen.post(
        f"/{collection}/{second['id']}/void", json={"version": 1, "reason": "Wrong patient"}
    )
    assert voided.status_code == 200, voided.text
    assert voided.json()["status"] == "entered_in_error"
    assert chen.get(f"/patients/{pat.id}/{collection}").json() == []
    history = chen.get(f"/patients/{pat.id}/{collection}", params={"include_history": True})
    assert [(r["id"], r["status"]) for r in history.json()] == [
        (first["id"], "superseded"),
        (second["id"], "entered_in_error"),
    ]


def test_an_alsfrs_r_answer_comes_back_with_its_derived_measures(api, pat):
    a = api("nina").post(f"/patients/{pat.id}/assessments", json=KINDS["assessments"][0]).json()
    assert a["alsfrs_r"]["total"] == 36
    assert a["alsfrs_r"]["delta_fs"] == pytest.approx(12 / (414 / 30.4375))
    assert a["alsfrs_r"]["kings_stage"] == 4
    assert a["alsfrs_r"]["mitos_stage"] == 0
    assert a["scores"]["q1"] == 3.0


def test_spirometry_comes_back_with_percent_predicted_and_its_equation(api, pat):
    s = api("nina").post(f"/patients/{pat.id}/spirometry", json=KINDS["spirometry"][0]).json()
    assert s["equation"] == "GLI-Global"
    assert s["fvc_percent_predicted"] == pytest.approx(100 * 3.2 / s["predicted_l"])


def test_a_body_measurement_comes_back_with_its_bmi(api, pat):
    b = (
        api("nina")
        .post(
            f"/patients/{pat.id}/body-measurements",
            json={"assessed_on": ON, "assessed_by": "Nina", "weight_kg": 70, "height_cm": 175},
        )
        .json()
    )
    assert b["bmi"] == pytest.approx(70 / 1.75**2)


def test_a_patient_is_registered_and_changed_over_http(api, clinic):
    alice = api("alice")
    created = alice.post(
        "/patients",
        json={
            "site_id": clinic.sites["NORTH"],
            "sex": "female",
            "identity": {
                "given_name": "Ines",
                "family_name": "Dubois",
                "date_of_birth": "1971-11-30",
            },
            "history": {"onset_date": "2023-02-01", "onset_region": "upper_limb"},
        },
    )
    assert created.status_code == 201, created.text
    p = created.json()
    assert p["study_id"] == "NORTH-00001"
    assert p["history"]["onset_region"] == "upper_limb"
    assert "Dubois" not in created.text
    changed = alice.patch(
        f"/patients/{p['id']}", json={"sex": "male", "version": 1, "reason": "Wrong box"}
    )
    assert (changed.json()["sex"], changed.json()["version"]) == ("male", 2)
    identity = alice.put(
        f"/patients/{p['id']}/identity",
        json={
            "given_name": "Inès",
            "family_name": "Dubois",
            "date_of_birth": "1971-11-30",
            "version": 1,
            "reason": "Accent",
        },
    )
    assert identity.status_code == 200, identity.text
    assert alice.get(f"/patients/{p['id']}/identity").json()["given_name"] == "Inès"
    history = alice.put(
        f"/patients/{p['id']}/history",
        json={
            "onset_date": "2023-01-02",
            "onset_region": "upper_limb",
            "version": 1,
            "reason": "GP",
        },
    )
    assert history.json()["version"] == 2


def test_the_audit_trail_is_served_uncached(api, pat):
    response = api("aude").get(f"/patients/{pat.id}/audit")
    assert response.headers["Cache-Control"] == "no-store"
    assert [e["entity"] for e in response.json()] == ["patient", "patient_identity", "als_history"]
