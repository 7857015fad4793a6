"""Every document taken from alstrack is audited: the patient's progress report, the safety and
cohort reports, a product's label and custody report, in HTML or PDF, through the API. The entry
names who took it, the file, its format, size and SHA-256 (so a copy can be matched to its
entry), and the patient and site it is about. A refused request records nothing."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.store.models import AuditEntry, Product


def _last(clinic: Any) -> AuditEntry:
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        session.expunge(entry)
        return entry


def _exports(clinic: Any) -> int:
    with clinic.db.read() as session:
        return len(
            session.scalars(select(AuditEntry.id).where(AuditEntry.action == "export")).all()
        )


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_each_report_and_product_document_taken_is_audited_with_its_digest(
    api: Any, clinic: Any, followed: Any, fmt: str
) -> None:
    with clinic.db.read() as session:
        din = session.scalars(select(Product.din)).one()
    pid = followed.patient_id
    taken = [
        ("olga", f"/patients/{pid}/report.{fmt}", "patient_report", pid),
        ("olga", f"/safety/report.{fmt}", "safety_report", None),
        ("olga", f"/cohort/report.{fmt}", "cohort_report", None),
        ("ben", f"/products/{din}/label.{fmt}", "product_label", pid),
        ("ben", f"/products/{din}/custody-report.{fmt}", "custody_report", pid),
    ]
    for username, url, kind, patient_id in taken:
        answer = api(username).get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
        entry = _last(clinic)
        assert (entry.action, entry.entity, entry.username) == ("export", "document", username)
        assert entry.entity_id.endswith(f".{fmt}")
        assert entry.new is not None
        assert entry.new["kind"] == kind
        assert entry.new["format"] == fmt
        assert entry.new["bytes"] == len(answer.content)
        assert entry.new["sha256"] == hashlib.sha256(answer.content).hexdigest()
        assert entry.patient_id == patient_id
        if patient_id is not None:
            assert entry.site_id == clinic.sites["NORTH"]


def test_a_refused_or_unknown_document_records_no_export(
    api: Any, clinic: Any, followed: Any
) -> None:
    before = _exports(clinic)
    assert api("sami").get(f"/patients/{followed.patient_id}/report.html").status_code == 404
    assert api("ben").get(f"/patients/{followed.patient_id}/report.html").status_code == 403
    assert api("ben").get("/products/W000099999999/label.html").status_code in (404, 422)
    assert _exports(clinic) == before
