"""Another site's patient is "not found" to the FHIR export, as everywhere: 404, nothing
exported and nothing audited; a role that may not read assessments is refused (403)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from alstrack.errors import NotFound
from alstrack.services.fhir_export import patient_everything
from alstrack.store.models import AuditEntry


def _entries(clinic: Any) -> int:
    with clinic.db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_sami_at_south_does_not_find_pat_at_north(clinic: Any, pat: Any, api: Any) -> None:
    before = _entries(clinic)
    answer = api("sami").get(f"/fhir/Patient/{pat.id}/$everything")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    assert pat.study_id not in answer.text
    with pytest.raises(NotFound):
        patient_everything(clinic.db, clinic["sami"], pat.id)
    assert _entries(clinic) == before


def test_a_patient_that_does_not_exist_is_not_found(clinic: Any, pat: Any, api: Any) -> None:
    assert api("chen").get(f"/fhir/Patient/{pat.id + 1}/$everything").status_code == 404


def test_the_lab_may_not_export_a_patient(clinic: Any, pat: Any, api: Any) -> None:
    before = _entries(clinic)
    answer = api("ben").get(f"/fhir/Patient/{pat.id}/$everything")
    assert answer.status_code == 403
    assert "assessments.read" in answer.json()["error"]["message"]
    assert api(None).get(f"/fhir/Patient/{pat.id}/$everything").status_code == 401
    assert _entries(clinic) == before
