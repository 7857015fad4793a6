"""Every refusal has one shape, {"error": {"code", "message", "fields"}}, and the right status:
401 without a valid token, 403 for a role without the permission, 404 for what the user may not
see, 409 for a stale version or a step out of order, 422 naming the field and what is allowed."""


def _error(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def _fields(response):
    return [f["field"] for f in _error(response, 422, "invalid_input")["fields"]]


def _message(response, field):
    return next(f["message"] for f in response.json()["error"]["fields"] if f["field"] == field)


# --- 401 ------------------------------------------------------------------------------------


def test_it_requires_a_token(api, pat):
    response = api(None).get(f"/patients/{pat.id}")
    assert _error(response, 401, "unauthenticated")["fields"] == []
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_it_refuses_an_unknown_token(api, pat):
    client = api(None)
    client.headers["Authorization"] = "Bearer not-a-token"
    _error(client.get(f"/patients/{pat.id}"), 401, "unauthenticated")


def test_it_asks_for_the_token_before_it_reads_the_body(api, pat):
    _error(
        api(None).post(f"/patients/{pat.id}/milestones", json={"kind": "peg"}),
        401,
        "unauthenticated",
    )


# --- 403 ------------------------------------------------------------------------------------


def test_a_lab_technician_cannot_record_an_assessment(api, pat, alsfrs_body):
    error = _error(
        api("ben").post(f"/patients/{pat.id}/assessments", json=alsfrs_body()), 403, "forbidden"
    )
    assert "assessments.write" in error["message"]


def test_a_data_analyst_cannot_read_the_identity(api, pat):
    _error(api("olga").get(f"/patients/{pat.id}/identity"), 403, "forbidden")


def test_an_admin_cannot_register_a_patient(api, clinic):
    _error(api("adam").post("/patients", json={"site_id": clinic.sites["NORTH"]}), 403, "forbidden")


# --- 404 ------------------------------------------------------------------------------------


def test_another_sites_patient_is_not_found(api, pat):
    for path in ("", "/identity", "/history", "/timeline", "/audit", "/assessments"):
        _error(api("sami").get(f"/patients/{pat.id}{path}"), 404, "not_found")


def test_another_sites_patient_is_left_out_of_the_list(api, pat):
    page = api("sami").get("/patients").json()
    assert (page["total"], page["items"]) == (0, [])
    assert [p["id"] for p in api("alice").get("/patients").json()["items"]] == [pat.id]


def test_another_sites_record_is_not_found(api, pat):
    weighed = (
        api("nina")
        .post(
            f"/patients/{pat.id}/body-measurements",
            json={"assessed_on": "2024-03-05", "assessed_by": "Nina Okafor", "weight_kg": 72},
        )
        .json()
    )
    _error(api("sami").get(f"/body-measurements/{weighed['id']}"), 404, "not_found")


def test_a_patient_that_does_not_exist_is_not_found(api):
    _error(api("alice").get("/patients/999999"), 404, "not_found")


# --- 409 ------------------------------------------------------------------------------------


def test_a_patient_change_with_a_stale_version_is_a_conflict(api, pat):
    change = {"sex": "female", "version": 1, "reason": "Wrong box ticked"}
    assert api("chen").patch(f"/patients/{pat.id}", json=change).json()["version"] == 2
    error = _error(api("alice").patch(f"/patients/{pat.id}", json=change), 409, "conflict")
    assert "version 1" in error["message"]


def test_two_corrections_of_the_same_version_of_a_record_conflict(api, pat):
    nina = api("nina")
    first = nina.post(
        f"/patients/{pat.id}/body-measurements",
        json={"assessed_on": "2024-03-05", "assessed_by": "Nina Okafor", "weight_kg": 17.2},
    ).json()
    fix = {
        "record": {"assessed_on": "2024-03-05", "assessed_by": "Nina Okafor", "weight_kg": 72.1},
        "version": 1,
        "reason": "Digits transposed",
    }
    assert nina.post(f"/body-measurements/{first['id']}/corrections", json=fix).status_code == 201
    response = api("chen").post(f"/body-measurements/{first['id']}/corrections", json=fix)
    _error(response, 409, "step_refused")


def test_a_void_with_a_stale_version_is_a_conflict(api, pat):
    added = (
        api("chen")
        .post(
            f"/patients/{pat.id}/milestones",
            json={"kind": "niv_start", "occurred_on": "2024-06-30"},
        )
        .json()
    )
    _error(
        api("chen").post(
            f"/milestones/{added['id']}/void", json={"version": 2, "reason": "Wrong patient"}
        ),
        409,
        "conflict",
    )


def test_correcting_a_voided_record_is_refused_as_a_step_out_of_order(api, pat):
    chen = api("chen")
    added = chen.post(
        f"/patients/{pat.id}/drug-courses", json={"drug": "riluzole", "start_date": "2023-10-01"}
    ).json()
    chen.post(f"/drug-courses/{added['id']}/void", json={"version": 1, "reason": "Wrong patient"})
    response = chen.post(
        f"/drug-courses/{added['id']}/corrections",
        json={
            "record": {"drug": "riluzole", "start_date": "2023-10-02"},
            "version": 2,
            "reason": "r",
        },
    )
    assert "entered in error" in _error(response, 409, "step_refused")["message"]


def test_a_second_site_with_the_same_code_is_a_conflict(api):
    _error(
        api("adam").post("/sites", json={"code": "NORTH", "name": "North again"}), 409, "conflict"
    )


# --- 422 ------------------------------------------------------------------------------------


def test_an_unknown_field_is_named(api, clinic):
    response = api("alice").post(
        "/patients", json={"site_id": clinic.sites["NORTH"], "name": "Pat Kowalski"}
    )
    assert _fields(response) == ["name"]
    assert _message(response, "name") == "is not a field of this record"


def test_a_value_outside_a_list_is_named_with_what_is_allowed(api, clinic):
    response = api("alice").post(
        "/patients", json={"site_id": clinic.sites["NORTH"], "history": {"onset_region": "foot"}}
    )
    assert _fields(response) == ["history.onset_region"]
    assert "'bulbar'" in _message(response, "history.onset_region")


def test_an_alsfrs_r_item_out_of_range_is_named(api, pat, alsfrs_body):
    response = api("nina").post(f"/patients/{pat.id}/assessments", json=alsfrs_body(q3=5))
    assert _fields(response) == ["q3"]
    assert "0 to 4" in _message(response, "q3")


def test_q5a_and_q5b_both_answered_are_named(api, pat, alsfrs_body):
    response = api("nina").post(f"/patients/{pat.id}/assessments", json=alsfrs_body(q5b=2))
    assert _fields(response) == ["q5a", "q5b"]


def test_an_unknown_instrument_is_named_with_the_known_ones(api, pat, alsfrs_body):
    response = api("nina").post(
        f"/patients/{pat.id}/assessments", json=alsfrs_body() | {"instrument": "hads"}
    )
    assert _fields(response) == ["instrument"]
    assert "alsfrs_r" in _message(response, "instrument")


def test_a_date_in_the_future_is_named(api, pat, subtests):
    for path, body, field in [
        (
            "assessments",
            {"instrument": "mas", "assessed_by": "Nina", "responses": {"left_upper_limb": "1"}},
            "assessed_on",
        ),
        ("milestones", {"kind": "niv_start"}, "occurred_on"),
        ("drug-courses", {"drug": "riluzole"}, "start_date"),
    ]:
        with subtests.test(path=path):
            response = api("chen").post(
                f"/patients/{pat.id}/{path}", json=body | {field: "2999-01-01"}
            )
            assert _fields(response) == [field]
            assert "after today" in _message(response, field)


def test_a_history_date_in_the_future_is_named(api, pat):
    response = api("chen").put(
        f"/patients/{pat.id}/history",
        json={"onset_date": "2999-01-01", "version": 1, "reason": "r"},
    )
    assert _fields(response) == ["onset_date"]


def test_a_diagnosis_before_onset_is_named(api, pat):
    response = api("chen").put(
        f"/patients/{pat.id}/history",
        json={
            "onset_date": "2023-05-01",
            "diagnosis_date": "2023-04-01",
            "version": 1,
            "reason": "r",
        },
    )
    assert _fields(response) == ["diagnosis_date"]


def test_a_category_that_does_not_match_the_criteria_is_named(api, clinic):
    response = api("alice").post(
        "/patients",
        json={
            "site_id": clinic.sites["NORTH"],
            "history": {"diagnostic_criteria": "gold_coast", "diagnostic_category": "probable"},
        },
    )
    assert _fields(response) == ["diagnostic_category"]
    assert _message(response, "diagnostic_category") == "gold_coast allows als, not_als"


def test_spirometry_without_height_date_of_birth_or_sex_names_what_is_missing(api, clinic, pat):
    test = {"assessed_on": "2024-03-05", "assessed_by": "Nina Okafor", "fvc_l": 3.2}
    nina = api("nina")
    assert _fields(nina.post(f"/patients/{pat.id}/spirometry", json=test)) == ["height_cm"]
    bare = api("alice").post("/patients", json={"site_id": clinic.sites["NORTH"]}).json()
    response = nina.post(f"/patients/{bare['id']}/spirometry", json=test | {"height_cm": 170})
    assert _fields(response) == ["sex"]
    api("alice").patch(
        f"/patients/{bare['id']}",
        json={"sex": "female", "version": 1, "reason": "Recorded at visit"},
    )
    response = nina.post(f"/patients/{bare['id']}/spirometry", json=test | {"height_cm": 170})
    assert _fields(response) == ["date_of_birth"]


def test_a_milestone_recorded_twice_is_named(api, pat):
    chen = api("chen")
    body = {"kind": "gastrostomy", "occurred_on": "2024-05-07"}
    assert chen.post(f"/patients/{pat.id}/milestones", json=body).status_code == 201
    response = chen.post(f"/patients/{pat.id}/milestones", json=body)
    assert _fields(response) == ["kind"]
    assert "correct it" in _message(response, "kind")


def test_a_change_without_a_reason_names_reason(api, pat, subtests):
    chen = api("chen")
    death = chen.post(
        f"/patients/{pat.id}/milestones", json={"kind": "death", "occurred_on": "2024-12-01"}
    ).json()
    identity = {"given_name": "Patrick", "family_name": "Kowalski", "date_of_birth": "1958-04-02"}
    corrected = {"kind": "death", "occurred_on": "2024-12-02"}
    changes = [
        ("patch", f"/patients/{pat.id}", {"sex": "female", "version": 1}),
        ("put", f"/patients/{pat.id}/identity", identity | {"version": 1}),
        ("put", f"/patients/{pat.id}/history", {"onset_date": "2023-01-02", "version": 1}),
        ("post", f"/milestones/{death['id']}/corrections", {"record": corrected, "version": 1}),
        ("post", f"/milestones/{death['id']}/void", {"version": 1}),
        ("post", f"/milestones/{death['id']}/void", {"version": 1, "reason": "  "}),
    ]
    for method, path, body in changes:
        with subtests.test(path=path, body=body):
            assert _fields(chen.request(method.upper(), path, json=body)) == ["reason"]
