"""Showing a consent that names a representative or a witness is a view of identifiable data,
audited like the patient's identifiers (HIPAA 164.312(b); checklist AT-6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alstrack.store.models import AuditEntry

BY_A_REPRESENTATIVE = {
    "signed_by": "representative",
    "representative_name": "Ana Silva",
    "representative_relationship": "daughter, health-care proxy",
    "witness_name": "Nina Okafor",
}


def _views(clinic: Any) -> list[AuditEntry]:
    with clinic.db.read() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "view", AuditEntry.entity == "consent"
                )
            )
        )


def test_reading_a_consent_signed_by_a_representative_is_audited_with_who_and_which(
    clinic: Any, pat: Any, consented: Any, api: Any
) -> None:
    consent = consented(pat.id, **BY_A_REPRESENTATIVE)
    answer = api("alice").get(f"/consents/{consent.id}")
    assert answer.status_code == 200
    assert answer.json()["representative_name"] == "Ana Silva"
    [view] = _views(clinic)
    assert view.username == "alice"
    assert view.patient_id == pat.id
    assert view.new == {"records": [consent.id], "fields": ["representative_name", "witness_name"]}


def test_listing_a_patients_consents_audits_one_view_naming_the_records_shown(
    clinic: Any, pat: Any, consented: Any, api: Any
) -> None:
    first = consented(pat.id, **BY_A_REPRESENTATIVE)
    consented(pat.id)  # signed by Pat: names nobody else
    answer = api("chen").get(f"/patients/{pat.id}/consents")
    assert answer.status_code == 200
    assert len(answer.json()) == 2
    [view] = _views(clinic)
    assert view.username == "chen"
    assert view.new["records"] == [first.id]


def test_a_consent_signed_by_the_patient_alone_is_read_without_a_view_entry(
    clinic: Any, pat: Any, consented: Any, api: Any
) -> None:
    consent = consented(pat.id)
    assert api("alice").get(f"/consents/{consent.id}").status_code == 200
    assert api("alice").get(f"/patients/{pat.id}/consents").status_code == 200
    assert _views(clinic) == []
