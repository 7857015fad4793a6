"""The timeline over HTTP: current records in date order, derived measures, no identifiers."""


def test_the_timeline_lists_current_records_in_date_order_with_derived_measures(api, pat):
    chen = api("chen")
    base = f"/patients/{pat.id}"
    items = {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}
    form = {"instrument": "alsfrs_r", "assessed_by": "Dr Wei Chen", "responses": items}
    wrong = chen.post(f"{base}/assessments", json=form | {"assessed_on": "2024-03-05"}).json()
    chen.post(
        f"/assessments/{wrong['id']}/corrections",
        json={"record": form | {"assessed_on": "2024-03-06"}, "version": 1, "reason": "Visit date"},
    )
    niv = chen.post(
        f"{base}/milestones", json={"kind": "niv_start", "occurred_on": "2024-06-30"}
    ).json()
    chen.post(f"/milestones/{niv['id']}/void", json={"version": 1, "reason": "Wrong patient"})
    chen.post(f"{base}/drug-courses", json={"drug": "edaravone", "start_date": "2023-11-01"})

    response = api("olga").get(f"{base}/timeline")
    assert response.status_code == 200, response.text
    t = response.json()
    assert [(e["date"], e["type"]) for e in t["events"]] == [
        ("2023-01-16", "symptom_onset"),
        ("2023-09-04", "diagnosis"),
        ("2023-11-01", "drug_start"),
        ("2024-03-06", "instrument_assessment"),
    ]
    assessment = t["events"][3]["record"]
    assert assessment["supersedes_id"] == wrong["id"]
    assert assessment["alsfrs_r"]["total"] == 36
    assert assessment["alsfrs_r"]["delta_fs"] > 0
    assert t["patient"]["study_id"] == pat.study_id
    assert not any(s in response.text for s in ("Kowalski", "MRN-4471", "1958-04-02"))


def test_a_lab_technician_cannot_read_the_timeline(api, pat):
    assert api("ben").get(f"/patients/{pat.id}/timeline").status_code == 403
