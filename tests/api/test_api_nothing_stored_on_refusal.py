"""A refused request stores nothing: no row, no audit entry, no study number used up."""

import pytest

WEIGHED = {"assessed_on": "2024-03-05", "assessed_by": "Nina Okafor", "weight_kg": 17.2}
ALSFRS = {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}


def _refusals(north, pat, weighed, gastrostomy):
    """(what, who, method, path, body, status) for one refusal of each kind."""
    p = f"/patients/{pat}"
    fix = {"record": WEIGHED | {"weight_kg": 72.1}, "version": 1, "reason": "Digits transposed"}
    return [
        ("anonymous registration", None, "post", "/patients", {"site_id": north}, 401),
        (
            "lab technician assessment",
            "ben",
            "post",
            f"{p}/assessments",
            {
                "instrument": "alsfrs_r",
                "assessed_on": "2024-03-05",
                "assessed_by": "Ben",
                "responses": ALSFRS,
            },
            403,
        ),
        ("admin registration", "adam", "post", "/patients", {"site_id": north}, 403),
        ("data analyst identity read", "olga", "get", f"{p}/identity", None, 403),
        (
            "nurse identity change",
            "nina",
            "put",
            f"{p}/identity",
            {
                "given_name": "P",
                "family_name": "K",
                "date_of_birth": "1958-04-02",
                "version": 1,
                "reason": "r",
            },
            403,
        ),
        ("other site's identity read", "sami", "get", f"{p}/identity", None, 404),
        (
            "other site's patient change",
            "sami",
            "patch",
            p,
            {"sex": "female", "version": 1, "reason": "r"},
            404,
        ),
        (
            "other site's record void",
            "sami",
            "post",
            f"/body-measurements/{weighed}/void",
            {"version": 1, "reason": "r"},
            404,
        ),
        ("registration at another site", "sami", "post", "/patients", {"site_id": north}, 422),
        (
            "stale patient version",
            "chen",
            "patch",
            p,
            {"sex": "female", "version": 9, "reason": "r"},
            409,
        ),
        (
            "stale correction version",
            "nina",
            "post",
            f"/body-measurements/{weighed}/corrections",
            fix | {"version": 9},
            409,
        ),
        (
            "stale void version",
            "chen",
            "post",
            f"/milestones/{gastrostomy}/void",
            {"version": 9, "reason": "r"},
            409,
        ),
        ("duplicate site code", "adam", "post", "/sites", {"code": "NORTH", "name": "N"}, 409),
        ("unknown field", "alice", "post", "/patients", {"site_id": north, "name": "Pat"}, 422),
        (
            "bad enum in history",
            "alice",
            "post",
            "/patients",
            {"site_id": north, "history": {"onset_region": "foot"}},
            422,
        ),
        (
            "category not matching criteria",
            "alice",
            "post",
            "/patients",
            {
                "site_id": north,
                "sex": "male",
                "history": {"diagnostic_criteria": "gold_coast", "diagnostic_category": "definite"},
            },
            422,
        ),
        (
            "diagnosis before onset",
            "chen",
            "put",
            f"{p}/history",
            {
                "onset_date": "2023-05-01",
                "diagnosis_date": "2023-04-01",
                "version": 1,
                "reason": "r",
            },
            422,
        ),
        (
            "future date of birth at registration",
            "alice",
            "post",
            "/patients",
            {
                "site_id": north,
                "identity": {"given_name": "A", "family_name": "B", "date_of_birth": "2999-01-01"},
            },
            422,
        ),
        (
            "ALSFRS-R item out of range",
            "nina",
            "post",
            f"{p}/assessments",
            {
                "instrument": "alsfrs_r",
                "assessed_on": "2024-03-05",
                "assessed_by": "Nina",
                "responses": ALSFRS | {"q3": 5},
            },
            422,
        ),
        (
            "q5a and q5b both",
            "nina",
            "post",
            f"{p}/assessments",
            {
                "instrument": "alsfrs_r",
                "assessed_on": "2024-03-05",
                "assessed_by": "Nina",
                "responses": ALSFRS | {"q5b": 2},
            },
            422,
        ),
        (
            "unknown instrument",
            "nina",
            "post",
            f"{p}/assessments",
            {
                "instrument": "hads",
                "assessed_on": "2024-03-05",
                "assessed_by": "Nina",
                "responses": {"a": 1},
            },
            422,
        ),
        (
            "future assessment",
            "nina",
            "post",
            f"{p}/body-measurements",
            WEIGHED | {"assessed_on": "2999-01-01"},
            422,
        ),
        (
            "spirometry without height",
            "nina",
            "post",
            f"{p}/spirometry",
            {"assessed_on": "2024-03-05", "assessed_by": "Nina", "fvc_l": 3.2},
            422,
        ),
        (
            "milestone twice",
            "chen",
            "post",
            f"{p}/milestones",
            {"kind": "gastrostomy", "occurred_on": "2024-06-01"},
            422,
        ),
        (
            "correction without a reason",
            "nina",
            "post",
            f"/body-measurements/{weighed}/corrections",
            fix | {"reason": ""},
            422,
        ),
        (
            "identity change without a reason",
            "alice",
            "put",
            f"{p}/identity",
            {"given_name": "P", "family_name": "K", "date_of_birth": "1958-04-02", "version": 1},
            422,
        ),
        (
            "invalid correction",
            "nina",
            "post",
            f"/body-measurements/{weighed}/corrections",
            fix | {"record": WEIGHED | {"weight_kg": 700}},
            422,
        ),
    ]


@pytest.fixture
def scene(api, clinic, pat):
    weighed = api("nina").post(f"/patients/{pat.id}/body-measurements", json=WEIGHED).json()
    gastrostomy = (
        api("chen")
        .post(
            f"/patients/{pat.id}/milestones",
            json={"kind": "gastrostomy", "occurred_on": "2024-05-07"},
        )
        .json()
    )
    return _refusals(clinic.sites["NORTH"], pat.id, weighed["id"], gastrostomy["id"])


def test_each_refused_request_leaves_every_table_and_the_audit_log_unchanged(
    api, scene, stored, subtests
):
    for what, who, method, path, body, status in scene:
        with subtests.test(what):
            before = stored()
            client = api(who)
            kwargs = {} if body is None else {"json": body}
            response = client.request(method.upper(), path, **kwargs)
            assert response.status_code == status, response.text
            assert stored() == before


def test_a_refused_registration_uses_up_no_study_number(api, clinic):
    alice = api("alice")
    north = clinic.sites["NORTH"]
    refused = alice.post(
        "/patients",
        json={
            "site_id": north,
            "history": {"onset_date": "2023-05-01", "diagnosis_date": "2023-04-01"},
        },
    )
    assert refused.status_code == 422
    assert alice.post("/patients", json={"site_id": north}).json()["study_id"] == "NORTH-00001"
