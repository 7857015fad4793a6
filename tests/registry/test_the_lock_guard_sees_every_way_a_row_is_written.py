"""The lock is kept by the session, not by each service: whatever writes a locked patient's rows
(an object, an UPDATE statement, an INSERT statement, a row that is the patient's through a
screening) is refused, and so is moving another patient's row into the locked record."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from alstrack.errors import StepRefused
from alstrack.services import patients, record_locks, records
from alstrack.services.assessments import BODY_MEASUREMENT, BodyMeasurementIn
from alstrack.services.patients import PatientIn
from alstrack.services.record_locks import LockIn
from alstrack.services.screenings import ScreeningIn, screen_patient
from alstrack.store.models import BodyMeasurement, Patient, ScreeningReview
from signing_cast import SECRET

WEIGHED = BodyMeasurementIn(assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=72)


@pytest.fixture
def screened(clinic: Any, pat: Any, consented: Any) -> int:
    """Pat, consented and screened, before the record is locked: the screening's id."""
    consented(pat.id)
    return screen_patient(clinic.db, clinic["alice"], pat.id, ScreeningIn()).id


def _lock(clinic: Any, patient_id: int) -> None:
    record_locks.lock(clinic.db, clinic["chen"], patient_id, LockIn(password=SECRET))


def test_an_object_changed_in_a_session_is_refused(clinic: Any, pat: Any) -> None:
    _lock(clinic, pat.id)
    with pytest.raises(StepRefused, match="locked"), clinic.db.transaction() as session:
        session.get_one(Patient, pat.id).sex = "female"
    assert patients.get_patient(clinic.db, clinic["alice"], pat.id).sex == "male"


def test_update_and_insert_statements_are_refused(clinic: Any, pat: Any) -> None:
    weighed = records.add(clinic.db, clinic["nina"], BODY_MEASUREMENT, pat.id, WEIGHED)
    _lock(clinic, pat.id)
    with pytest.raises(StepRefused, match="locked"), clinic.db.transaction() as session:
        session.execute(update(BodyMeasurement).values(weight_kg=90))
    row = {
        "patient_id": pat.id,
        "assessed_on": date(2024, 4, 1),
        "assessed_by": "Nina Okafor",
        "weight_kg": 70.0,
        "status": "current",
        "entered_by": clinic["nina"].user_id,
        "entered_at": datetime.now(UTC),
        "version": 1,
    }
    with pytest.raises(StepRefused, match="locked"), clinic.db.transaction() as session:
        session.execute(insert(BodyMeasurement), [row])
    with clinic.db.read() as session:
        assert session.scalars(select(BodyMeasurement.weight_kg)).all() == [weighed.weight_kg]


def test_moving_another_patients_row_into_the_locked_record_is_refused(
    clinic: Any, pat: Any
) -> None:
    other = patients.register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"])
    ).id
    weighed = records.add(clinic.db, clinic["nina"], BODY_MEASUREMENT, other, WEIGHED)
    _lock(clinic, pat.id)
    with pytest.raises(StepRefused, match="locked"), clinic.db.transaction() as session:
        session.execute(
            update(BodyMeasurement)
            .where(BodyMeasurement.id == weighed.id)
            .values(patient_id=pat.id)
        )


def test_a_row_that_is_the_patients_through_a_screening_is_refused(
    clinic: Any, pat: Any, screened: int
) -> None:
    _lock(clinic, pat.id)
    review = ScreeningReview(
        screening_id=screened,
        criterion_id="EXC-ANY",
        decision="met",
        reason="Reviewed",
        signature_id=1,
        decided_by=clinic["chen"].user_id,
        decided_at=datetime.now(UTC),
    )
    with pytest.raises(StepRefused, match="locked"), clinic.db.transaction() as session:
        session.add(review)
    with pytest.raises(StepRefused, match="locked"):
        screen_patient(clinic.db, clinic["alice"], pat.id, ScreeningIn())
