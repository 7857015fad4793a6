"""Consent over HTTP: documents, a patient's consents, withdrawal, status, and the gate's 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

Api = Callable[[str | None], TestClient]
Stored = Callable[[], dict[str, int]]


def _install(api: Api, **changes: Any) -> dict[str, Any]:
    adam = api("adam")
    shipped = adam.get("/consent-documents/template").json()
    body = {
        "document_version": shipped["document_version"],
        "title": shipped["title"],
        "text": shipped["text"],
        "discloses_evidence_status": shipped["discloses_evidence_status"],
        "effective_from": "2024-01-01",
    } | changes
    made = adam.post("/consent-documents", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_an_admin_installs_the_template_and_clinicians_read_it(api: Api) -> None:
    template = api("alice").get("/consent-documents/template").json()
    assert template["discloses_evidence_status"] is True
    assert "investigational" in template["text"]
    made = _install(api)
    assert api("nina").get(f"/consent-documents/{made['id']}").json() == made
    assert [d["id"] for d in api("ben").get("/consent-documents").json()] == [made["id"]]
    body = {k: made[k] for k in ("title", "text", "discloses_evidence_status", "effective_from")}
    forbidden = api("alice").post("/consent-documents", json=body | {"document_version": "9"})
    assert forbidden.status_code == 403
    again = api("adam").post("/consent-documents", json=body | {"document_version": "1.0"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    ended = api("adam").post(
        f"/consent-documents/{made['id']}/end",
        json={"effective_to": "2026-12-31", "version": 1, "reason": "Version 2 replaces it"},
    )
    assert (ended.status_code, ended.json()["effective_to"]) == (200, "2026-12-31")


def test_a_consent_is_recorded_withdrawn_and_its_status_read_over_http(
    api: Api, pat: Any, stored: Stored
) -> None:
    document = _install(api)
    alice = api("alice")
    witnessless = {
        "document_id": document["id"],
        "consented_on": "2024-02-01",
        "signed_by": "representative",
        "representative_name": "Ana Kowalski",
        "representative_relationship": "wife",
    }
    before = stored()
    refused = alice.post(f"/patients/{pat.id}/consents", json=witnessless)
    assert refused.status_code == 422
    assert [f["field"] for f in refused.json()["error"]["fields"]] == ["witness_name"]
    screening = alice.post(f"/patients/{pat.id}/screenings")
    assert (screening.status_code, screening.json()["error"]["code"]) == (409, "step_refused")
    assert "no valid consent for screening" in screening.json()["error"]["message"]
    assert stored() == before

    made = alice.post(
        f"/patients/{pat.id}/consents", json=witnessless | {"witness_name": "Nina Okafor"}
    )
    assert made.status_code == 201, made.text
    consent = made.json()
    assert (consent["document_version"], consent["witness_name"]) == ("1.0", "Nina Okafor")
    assert alice.get(f"/consents/{consent['id']}").json() == consent
    assert api("nina").get(f"/patients/{pat.id}/consents").json() == [consent]
    status = alice.get(f"/patients/{pat.id}/consent-status", params={"on": "2024-03-01"}).json()
    assert (status["valid"], status["consent"]["id"], status["reason"]) == (
        True,
        consent["id"],
        None,
    )
    assert status["discloses_evidence_status"] is True

    withdrawn = alice.post(
        f"/consents/{consent['id']}/withdrawal",
        json={"withdrawn_on": "2024-06-01", "version": 1, "reason": "Chose to stop"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_on"] == "2024-06-01"
    status = alice.get(f"/patients/{pat.id}/consent-status").json()
    assert status["valid"] is False
    assert status["reason"].startswith("the patient withdrew consent on 2024-06-01")
    stale = alice.post(
        f"/consents/{consent['id']}/withdrawal",
        json={"withdrawn_on": "2024-06-02", "version": 1, "reason": "Again"},
    )
    assert stale.status_code == 409


def test_consents_are_read_only_by_clinical_roles_at_the_patients_site(
    api: Api, pat: Any, consented: Callable[..., Any]
) -> None:
    made = consented(pat.id)
    assert api("olga").get(f"/patients/{pat.id}/consents").status_code == 403
    assert api("ben").get(f"/consents/{made.id}").status_code == 403
    assert api("sami").get(f"/consents/{made.id}").status_code == 404
    assert api("sami").get(f"/patients/{pat.id}/consent-status").status_code == 404
    nurse = api("nina").post(
        f"/consents/{made.id}/withdrawal",
        json={"withdrawn_on": "2024-06-01", "version": 1, "reason": "r"},
    )
    assert nurse.status_code == 403


def test_the_openapi_document_lists_the_consent_routes(api: Api) -> None:
    paths = api(None).get("/openapi.json").json()["paths"]
    for path in (
        "/consent-documents",
        "/consent-documents/template",
        "/consent-documents/{document_id}",
        "/consent-documents/{document_id}/end",
        "/patients/{patient_id}/consents",
        "/consents/{record_id}",
        "/consents/{record_id}/corrections",
        "/consents/{record_id}/void",
        "/consents/{consent_id}/withdrawal",
        "/patients/{patient_id}/consent-status",
    ):
        assert path in paths
