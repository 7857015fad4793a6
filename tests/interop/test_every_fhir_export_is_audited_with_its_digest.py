"""Every FHIR export is audited as every document taken is (services.exports): who took it,
the file, its format, size and SHA-256, the patient and site, whether it named the patient,
and how many resources it held. It is answered as application/fhir+json."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from alstrack.store.models import AuditEntry


def test_the_export_is_audited_with_the_digest_of_what_was_answered(
    clinic: Any, api: Any, followed: Any, with_events: Any
) -> None:
    pid = followed.patient_id
    answer = api("chen").get(f"/fhir/Patient/{pid}/$everything")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/fhir+json"
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert (entry.action, entry.entity, entry.username) == ("export", "document", "chen")
        assert entry.entity_id.endswith(".fhir.json")
        assert (entry.patient_id, entry.site_id) == (pid, clinic.sites["NORTH"])
        assert entry.new is not None
        assert entry.new["kind"] == "fhir_bundle"
        assert entry.new["format"] == "json"
        assert entry.new["bytes"] == len(answer.content)
        assert entry.new["sha256"] == hashlib.sha256(answer.content).hexdigest()
        assert entry.new["identified"] is True
        assert entry.new["resources"] == len(answer.json()["entry"])
