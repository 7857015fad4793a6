"""The reliability tests' clinic: Pat with one record of every kind, and the ids to aim at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from alstrack.services import patients, records, users
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventIn
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    SpirometryIn,
)
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn
from alstrack.services.patients import PatientIn
from alstrack.store.models import ApiToken

HEADACHE: dict[str, Any] = {
    "term": "Post-lumbar puncture headache",
    "onset_date": date(2024, 3, 3),
    "aware_on": date(2024, 3, 4),
    "grade": 2,
    "related_to_procedure": "probable",
    "related_to_product": "unlikely",
    "expectedness": "expected",
    "action_taken": "medication_given",
    "outcome": "recovering",
}


@dataclass
class Seeded:
    """The ids of what the seeded clinic holds, by the path parameter that names each."""

    patient_id: int
    other_site_patient_id: int
    records: dict[str, int] = field(default_factory=dict)  # URL collection → record id
    ids: dict[str, int] = field(default_factory=dict)  # path parameter name → id


@pytest.fixture
def seeded(clinic: Any, pat: Any, consented: Any, alsfrs: Any) -> Seeded:
    """Pat (NORTH) with a consent and one record of every dated kind; Sam at SOUTH; and Quinn,
    who works in QA at NORTH (the shared cast has no QA user)."""
    alice, chen = clinic["alice"], clinic["chen"]
    clinic.join("quinn", "Quinn Adler", "qa", ["NORTH"])
    # A token the fuzzing may revoke (POST /tokens/{token_id}/revoke), not one it sends.
    users.issue_token(clinic.db, clinic.system, "olga", "to revoke")
    with clinic.db.read() as session:
        spare_token_id = session.scalar(select(func.max(ApiToken.id)))
    sam = patients.register_patient(
        clinic.db, clinic["sami"], PatientIn(site_id=clinic.sites["SOUTH"], sex="female")
    )
    consent = consented(pat.id)
    made = {
        "assessments": records.add(
            clinic.db, alice, INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 3, 5))
        ),
        "spirometry": records.add(
            clinic.db,
            alice,
            SPIROMETRY,
            pat.id,
            SpirometryIn(
                assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", fvc_l=3.1, height_cm=178
            ),
        ),
        "body-measurements": records.add(
            clinic.db,
            alice,
            BODY_MEASUREMENT,
            pat.id,
            BodyMeasurementIn(
                assessed_on=date(2024, 3, 5), assessed_by="Nina", weight_kg=72, height_cm=178
            ),
        ),
        "milestones": records.add(
            clinic.db,
            alice,
            MILESTONE,
            pat.id,
            MilestoneIn(kind="niv_start", occurred_on=date(2024, 2, 1)),
        ),
        "drug-courses": records.add(
            clinic.db,
            alice,
            DRUG_COURSE,
            pat.id,
            DrugCourseIn(drug="riluzole", start_date=date(2023, 10, 1)),
        ),
        "adverse-events": records.add(
            clinic.db, chen, ADVERSE_EVENT, pat.id, AdverseEventIn(**HEADACHE)
        ),
    }
    seeded = Seeded(patient_id=pat.id, other_site_patient_id=sam.id)
    seeded.records = {collection: out.id for collection, out in made.items()}
    seeded.records["consents"] = consent.id
    seeded.ids = {
        "patient_id": pat.id,
        "site_id": clinic.sites["NORTH"],
        "consent_id": consent.id,
        "document_id": consent.document_id,
        "event_id": made["adverse-events"].id,
        "token_id": spare_token_id,
    }
    return seeded


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: a reliability test that takes tens of seconds (fuzzing, killing a server); "
        "`make test` runs them, `-m 'not slow'` leaves them out",
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures the reliability tests record (docs/reliability.md), after every run."""
    figures = [
        str(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        for name, value in getattr(report, "user_properties", ())
        if name == "figures" and getattr(report, "when", "") == "call"
    ]
    if figures:
        terminalreporter.section("reliability figures")
        for line in figures:
            terminalreporter.line(line)
