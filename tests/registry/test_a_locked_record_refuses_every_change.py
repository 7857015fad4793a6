"""While a patient's record is locked, every change to it is refused with 409 naming who locked
it and when, and nothing is stored: through the services, the API and bulk imports. Reads go on,
other patients are not held, and an unlock with a reason opens the record again."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from alstrack.errors import StepRefused
from alstrack.services import patients, record_locks, records
from alstrack.services.assessments import BODY_MEASUREMENT, BodyMeasurementIn
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.patients import IdentityIn, PatientIn
from alstrack.services.record_locks import LockIn
from alstrack.store.models import Base
from alstrack.store.record_locks import LINKED, NOT_A_PATIENTS, patient_tables
from signing_cast import SECRET

WEIGHED = BodyMeasurementIn(assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=72)
ALSFRS = {
    "instrument": "alsfrs_r",
    "assessed_on": "2024-03-05",
    "assessed_by": "Dr Wei Chen",
    "responses": {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3},
}


@pytest.fixture
def weighed(clinic: Any, pat: Any) -> Any:
    """Pat weighed by Nina before the record is locked."""
    return records.add(clinic.db, clinic["nina"], BODY_MEASUREMENT, pat.id, WEIGHED)


@pytest.fixture
def locked(clinic: Any, pat: Any, weighed: Any) -> Any:
    """Pat's record, reviewed and locked by Dr Chen."""
    return record_locks.lock(clinic.db, clinic["chen"], pat.id, LockIn(password=SECRET))


def _refused(answer: Any) -> None:
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "step_refused"
    assert "locked" in error["message"]
    assert "Dr Wei Chen (chen)" in error["message"]


def test_a_locked_record_refuses_a_new_assessment_naming_who_locked_it_and_when(
    api: Any, pat: Any, locked: Any, stored: Any
) -> None:
    before = stored()
    answer = api("chen").post(f"/patients/{pat.id}/assessments", json=ALSFRS)
    _refused(answer)
    assert locked.locked_at.isoformat(timespec="minutes")[:16] in answer.json()["error"]["message"]
    assert stored() == before


def test_a_locked_record_refuses_a_correction_and_a_void(
    api: Any, pat: Any, weighed: Any, locked: Any, stored: Any
) -> None:
    before = stored()
    body = {
        "record": WEIGHED.model_dump(mode="json") | {"weight_kg": 71},
        "version": 1,
        "reason": "Scale was not zeroed",
    }
    _refused(api("nina").post(f"/body-measurements/{weighed.id}/corrections", json=body))
    void = {"version": 1, "reason": "Wrong patient"}
    _refused(api("nina").post(f"/body-measurements/{weighed.id}/void", json=void))
    assert stored() == before


def test_a_locked_record_refuses_a_change_of_identifiers_sex_or_history(
    api: Any, pat: Any, locked: Any, stored: Any
) -> None:
    before = stored()
    identity = api("alice").get(f"/patients/{pat.id}/identity").json()
    change = {
        "given_name": "Patrick",
        "family_name": "Kowalski",
        "date_of_birth": "1958-04-02",
        "record_number": "MRN-4471",
        "version": identity["version"],
        "reason": "Name as on the passport",
    }
    _refused(api("alice").put(f"/patients/{pat.id}/identity", json=change))
    patient = api("alice").get(f"/patients/{pat.id}").json()
    sex = {"sex": "female", "version": patient["version"], "reason": "Entered wrongly"}
    _refused(api("alice").patch(f"/patients/{pat.id}", json=sex))
    assert stored()["patient_identities"] == before["patient_identities"]
    assert stored()["patients"] == before["patients"]
    assert api("alice").get(f"/patients/{pat.id}/identity").json()["given_name"] == "Pat"


def test_a_locked_record_refuses_a_milestone(clinic: Any, pat: Any, locked: Any) -> None:
    with pytest.raises(StepRefused, match="locked"):
        records.add(
            clinic.db,
            clinic["alice"],
            MILESTONE,
            pat.id,
            MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 5, 1)),
        )
    assert records.list_for_patient(clinic.db, clinic["alice"], MILESTONE, pat.id) == []


def test_an_import_batch_with_a_record_of_a_locked_patient_stores_nothing_of_the_batch(
    clinic: Any, pat: Any, locked: Any, stored: Any
) -> None:
    other = _another_patient(clinic)
    before = stored()
    batch = [
        (other, MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 5, 1))),
        (pat.id, MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 5, 1))),
    ]
    with pytest.raises(StepRefused, match="locked"):
        records.add_many(clinic.db, clinic.system, MILESTONE, batch)
    assert stored() == before


def test_every_read_of_a_locked_record_answers_as_before(
    api: Any, pat: Any, weighed: Any, locked: Any
) -> None:
    chen = api("chen")
    schema = chen.get("/openapi.json").json()
    reads = [
        path
        for path, item in schema["paths"].items()
        if "get" in item and re.fullmatch(r"[^{}]*\{patient_id\}[^{}]*", path)
    ]
    assert len(reads) > 10
    for path in reads:
        answer = chen.get(path.replace("{patient_id}", str(pat.id)))
        assert answer.status_code == 200, (path, answer.text)
    assert chen.get(f"/body-measurements/{weighed.id}").json()["weight_kg"] == 72


def test_another_patient_is_not_held_by_pats_lock(clinic: Any, pat: Any, locked: Any) -> None:
    other = _another_patient(clinic)
    records.add(clinic.db, clinic["nina"], BODY_MEASUREMENT, other, WEIGHED)
    records.add_many(
        clinic.db,
        clinic.system,
        MILESTONE,
        [(other, MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 5, 1)))],
    )
    assert len(records.list_for_patient(clinic.db, clinic["alice"], MILESTONE, other)) == 1


def test_an_unlock_with_a_reason_opens_the_record_again(
    api: Any, clinic: Any, pat: Any, locked: Any
) -> None:
    opened = api("chen").post(
        f"/patients/{pat.id}/unlock",
        json={
            "reason": "Query from the monitor on the March visit",
            "password": SECRET.get_secret_value(),
        },
    )
    assert opened.status_code == 200, opened.text
    answer = api("chen").post(f"/patients/{pat.id}/assessments", json=ALSFRS)
    assert answer.status_code == 201, answer.text
    state = api("alice").get(f"/patients/{pat.id}/lock").json()
    assert state["locked"] is False
    assert state["locks"][0]["unlock_reason"] == "Query from the monitor on the March visit"


def test_every_table_is_part_of_a_patients_record_or_named_as_not() -> None:
    """A new table must say whether the lock guards it (store/record_locks.py)."""
    tables = {t.name for t in Base.metadata.sorted_tables}
    guarded = set(patient_tables())
    assert guarded | NOT_A_PATIENTS == tables
    assert not guarded & NOT_A_PATIENTS
    assert {"patients", "patient_identities", "als_histories", *LINKED} <= guarded


def _another_patient(clinic: Any) -> int:
    return patients.register_patient(
        clinic.db,
        clinic["alice"],
        PatientIn(
            site_id=clinic.sites["NORTH"],
            identity=IdentityIn(
                given_name="Ana", family_name="Silva", date_of_birth=date(1966, 2, 3)
            ),
        ),
    ).id
