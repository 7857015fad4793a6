"""The Patient resource carries the names, birth date and record number only for a role that
may read identifiers, and then that view of them is audited as GET /patients/{id}/identity
audits it; for any other role (the data analyst) it is pseudonymous: the study id only. The
pathway's parts are in the Bundle only as far as the role may read them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alstrack.store.models import AuditEntry

STUDY_ID = "https://fhir.alstrack.org/NamingSystem/study-id"


def _identity_views(clinic: Any, username: str) -> int:
    with clinic.db.read() as session:
        rows = session.scalars(
            select(AuditEntry.id).where(
                AuditEntry.action == "view",
                AuditEntry.entity == "patient_identity",
                AuditEntry.username == username,
            )
        ).all()
        return len(rows)


def test_the_data_analyst_gets_the_study_id_only(clinic: Any, pat: Any, api: Any) -> None:
    answer = api("olga").get(f"/fhir/Patient/{pat.id}/$everything")
    assert answer.status_code == 200
    [patient] = [
        e["resource"] for e in answer.json()["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert patient["identifier"] == [{"system": STUDY_ID, "value": pat.study_id}]
    assert "name" not in patient
    assert "birthDate" not in patient
    for secret in ("Kowalski", "1958-04-02", "MRN-4471"):
        assert secret not in answer.text
    assert _identity_views(clinic, "olga") == 0


def test_a_coordinator_gets_the_identifiers_and_the_view_is_audited(
    clinic: Any, pat: Any, api: Any
) -> None:
    answer = api("alice").get(f"/fhir/Patient/{pat.id}/$everything")
    assert answer.status_code == 200
    [patient] = [
        e["resource"] for e in answer.json()["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert patient["name"] == [{"family": "Kowalski", "given": ["Pat"]}]
    assert patient["birthDate"] == "1958-04-02"
    values = {i["system"].rsplit("/", 1)[1]: i["value"] for i in patient["identifier"]}
    assert values == {"study-id": pat.study_id, "record-number": "MRN-4471"}
    assert _identity_views(clinic, "alice") == 1
    with clinic.db.read() as session:
        view = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "patient_identity", AuditEntry.action == "view"
            )
        ).one()
        assert (view.patient_id, view.site_id) == (pat.id, clinic.sites["NORTH"])


def test_the_analyst_gets_no_consent_and_the_export_says_so(
    clinic: Any, pat: Any, consented: Any, export: Any
) -> None:
    consented(pat.id)
    assert export(pat.id, "olga").of("Consent") == []  # consents.read names the signers
    assert len(export(pat.id, "alice").of("Consent")) == 1
    with clinic.db.read() as session:
        exports = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
        ).all()
        assert [(e.username, e.new["identified"], e.new["left_out"]) for e in exports] == [
            ("olga", False, ["consents"]),
            ("alice", True, []),
        ]
