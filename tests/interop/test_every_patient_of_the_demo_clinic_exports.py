"""Every patient of the synthetic demo clinic exports as a Bundle the R4B models and the code
table accept: natural history of every onset region and diagnostic category, and the treated
patient with consent, plan, product, dose and follow-up. Each is tagged as test data (HTEST)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from fhir.resources.R4B.bundle import Bundle
from fhir_reading import references
from sqlalchemy import select

from alstrack.config import get_settings
from alstrack.interop.fhir.codes import unknown_codings
from alstrack.services import demo, users
from alstrack.services.fhir_export import patient_everything
from alstrack.store.models import Patient

DAY = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_every_demo_patient_exports_with_known_codes(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")  # the demo makes products only with one
    get_settings.cache_clear()
    with time_machine.travel(DAY, tick=False):
        demo.load_demo(db, users.system_actor(db), patients=60, seed=1, today=DAY.date())
        system = users.system_actor(db)
        with db.read() as session:
            ids = session.scalars(select(Patient.id).order_by(Patient.id)).all()
        kinds: Counter[str] = Counter()
        for patient_id in ids:
            content = patient_everything(db, system, patient_id).content
            bundle = Bundle.model_validate_json(content).model_dump(mode="json", exclude_none=True)
            assert unknown_codings(bundle) == [], patient_id
            urls = {e["fullUrl"] for e in bundle["entry"]}
            assert set(references(bundle)) <= urls, patient_id
            patient = bundle["entry"][0]["resource"]
            assert patient["meta"]["tag"][0]["code"] == "HTEST"
            kinds.update(e["resource"]["resourceType"] for e in bundle["entry"])
    get_settings.cache_clear()
    assert kinds["Patient"] == len(ids)
    assert kinds["QuestionnaireResponse"] > len(ids)
    for treated in ("CarePlan", "BiologicallyDerivedProduct", "Procedure", "Consent"):
        assert kinds[treated] >= 1, treated
