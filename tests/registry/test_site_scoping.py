"""Staff see their own sites' patients only: another site's patient is 'not found'."""

from datetime import date

import pytest

from alstrack.errors import NotFound
from alstrack.services import audit_trail, patients, records, timeline
from alstrack.services.assessments import BODY_MEASUREMENT, BodyMeasurementIn
from alstrack.services.patients import HistoryIn, IdentityUpdate, PatientIn, PatientUpdate
from alstrack.services.records import Correction, Void

WEIGHED = BodyMeasurementIn(assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=72)


def test_a_coordinator_at_another_site_lists_none_of_its_patients(clinic, pat):
    south = patients.register_patient(
        clinic.db, clinic["sami"], PatientIn(site_id=clinic.sites["SOUTH"])
    )
    assert patients.list_patients(clinic.db, clinic["sami"]) == (1, [south])
    assert patients.list_patients(clinic.db, clinic["sami"], site_id=clinic.sites["NORTH"]) == (
        0,
        [],
    )
    assert [p.id for p in patients.list_patients(clinic.db, clinic["alice"])[1]] == [pat.id]


def test_an_auditor_and_an_admin_see_every_site(clinic, pat):
    patients.register_patient(clinic.db, clinic["sami"], PatientIn(site_id=clinic.sites["SOUTH"]))
    for who in ("aude", "adam"):
        assert patients.list_patients(clinic.db, clinic[who])[0] == 2


READS = {
    "patient": lambda db, a, p: patients.get_patient(db, a, p),
    "identity": lambda db, a, p: patients.get_identity(db, a, p),
    "history": lambda db, a, p: patients.get_history(db, a, p),
    "timeline": lambda db, a, p: timeline.timeline(db, a, p),
    "audit trail": lambda db, a, p: audit_trail.for_patient(db, a, p),
    "records": lambda db, a, p: records.list_for_patient(db, a, BODY_MEASUREMENT, p),
}
WRITES = {
    "patient": lambda db, a, p: patients.update_patient(
        db, a, p, PatientUpdate(sex="female", version=1, reason="r")
    ),
    "identity": lambda db, a, p: patients.set_identity(
        db,
        a,
        p,
        IdentityUpdate(
            given_name="X", family_name="Y", date_of_birth=date(1958, 4, 2), version=1, reason="r"
        ),
    ),
    "history": lambda db, a, p: patients.set_history(db, a, p, HistoryIn(version=1, reason="r")),
    "record": lambda db, a, p: records.add(db, a, BODY_MEASUREMENT, p, WEIGHED),
}


def test_nothing_about_another_sites_patient_can_be_read(clinic, pat):
    for what, read in READS.items():
        with pytest.raises(NotFound):
            read(clinic.db, clinic["sami"], pat.id)
        assert read(clinic.db, clinic["alice"], pat.id) is not None, what


def test_nothing_about_another_sites_patient_can_be_changed(clinic, pat, stored):
    before = stored()
    for change in WRITES.values():
        with pytest.raises(NotFound):
            change(clinic.db, clinic["sami"], pat.id)
    assert stored() == before


def test_another_sites_record_is_not_found_to_read_correct_or_void(clinic, pat, stored):
    r = records.add(clinic.db, clinic["nina"], BODY_MEASUREMENT, pat.id, WEIGHED)
    before = stored()
    sami = clinic["sami"]
    with pytest.raises(NotFound, match=f"No body_measurement {r.id}"):
        records.get(clinic.db, sami, BODY_MEASUREMENT, r.id)
    with pytest.raises(NotFound):
        records.correct(
            clinic.db,
            sami,
            BODY_MEASUREMENT,
            r.id,
            Correction[BodyMeasurementIn](record=WEIGHED, version=1, reason="r"),
        )
    with pytest.raises(NotFound):
        records.void(clinic.db, sami, BODY_MEASUREMENT, r.id, Void(version=1, reason="r"))
    assert stored() == before


def test_another_sites_audit_entries_are_left_out_of_a_records_trail(clinic, pat):
    assert audit_trail.for_record(clinic.db, clinic["sami"], "patient", str(pat.id)) == []
    assert len(audit_trail.for_record(clinic.db, clinic["alice"], "patient", str(pat.id))) == 1
