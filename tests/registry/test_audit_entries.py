"""Every change writes an audit entry: who, when (UTC), what, the old and new values, and why."""

from datetime import UTC, date, datetime, timedelta

import pytest

from alstrack.services import audit_trail, patients, records, sites
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    InstrumentAssessmentIn,
    SpirometryIn,
)
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn
from alstrack.services.patients import (
    HistoryIn,
    IdentityIn,
    IdentityUpdate,
    PatientIn,
    PatientUpdate,
)
from alstrack.services.records import Correction, Void
from alstrack.services.sites import SiteIn, SiteUpdate

ON = date(2024, 3, 5)
ITEMS = {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}


def _entries(clinic, entity, entity_id):
    return audit_trail.for_record(clinic.db, clinic["aude"], entity, str(entity_id))


def _by(entry, actor, action):
    """The entry names who acted, what they did, and when, in UTC, just now."""
    assert (entry.user_id, entry.username, entry.action) == (actor.user_id, actor.username, action)
    assert entry.at.utcoffset() == timedelta(0)
    assert timedelta(0) <= datetime.now(UTC) - entry.at < timedelta(minutes=1)
    return True


def test_opening_and_renaming_a_site_are_audited(clinic):
    adam = clinic["adam"]
    east = sites.create_site(clinic.db, adam, SiteIn(code="EAST", name="Eastfield"))
    sites.update_site(
        clinic.db, adam, east.id, SiteUpdate(name="Eastfield Clinic", version=1, reason="Full name")
    )
    created, renamed = _entries(clinic, "site", east.id)
    assert _by(created, adam, "create")
    assert _by(renamed, adam, "update")
    assert (created.old, created.new, created.reason) == (
        None,
        {"code": "EAST", "name": "Eastfield", "synthetic": False},
        None,
    )
    assert (renamed.old, renamed.new, renamed.reason) == (
        {"name": "Eastfield"},
        {"name": "Eastfield Clinic"},
        "Full name",
    )
    assert renamed.site_id == east.id


def test_registering_a_patient_audits_the_patient_identifiers_and_history_apart(clinic, pat):
    alice = clinic["alice"]
    entries = audit_trail.for_patient(clinic.db, clinic["aude"], pat.id)
    assert [(e.entity, e.action) for e in entries] == [
        ("patient", "create"),
        ("patient_identity", "create"),
        ("als_history", "create"),
    ]
    patient, identity, history = entries
    assert all(_by(e, alice, "create") for e in entries)
    assert patient.new == {
        "study_id": "NORTH-00001",
        "site_id": clinic.sites["NORTH"],
        "sex": "male",
        "synthetic": False,
    }
    assert "Kowalski" not in str(patient.new)
    assert identity.new == {
        "given_name": "Pat",
        "family_name": "Kowalski",
        "date_of_birth": "1958-04-02",
        "record_number": "MRN-4471",
    }
    assert history.new["onset_date"] == "2023-01-16"
    assert history.new["diagnostic_category"] == "probable"
    assert {e.old for e in entries} == {None}


def test_a_change_to_the_patient_is_audited_with_old_and_new_values_and_the_reason(clinic, pat):
    chen = clinic["chen"]
    patients.update_patient(
        clinic.db, chen, pat.id, PatientUpdate(sex="female", version=1, reason="Wrong box ticked")
    )
    entry = _entries(clinic, "patient", pat.id)[-1]
    assert _by(entry, chen, "update")
    assert (entry.old, entry.new, entry.reason) == (
        {"sex": "male"},
        {"sex": "female"},
        "Wrong box ticked",
    )
    assert (entry.patient_id, entry.site_id) == (pat.id, clinic.sites["NORTH"])


def test_identifiers_recorded_changed_and_viewed_are_each_audited(clinic):
    alice, chen = clinic["alice"], clinic["chen"]
    p = patients.register_patient(clinic.db, alice, PatientIn(site_id=clinic.sites["NORTH"]))
    patients.set_identity(
        clinic.db,
        alice,
        p.id,
        IdentityIn(given_name="Ines", family_name="Dubois", date_of_birth=date(1971, 11, 30)),
    )
    patients.set_identity(
        clinic.db,
        chen,
        p.id,
        IdentityUpdate(
            given_name="Inès",
            family_name="Dubois",
            date_of_birth=date(1971, 11, 30),
            version=1,
            reason="Accent",
        ),
    )
    patients.get_identity(clinic.db, chen, p.id)
    created, changed, viewed = _entries(clinic, "patient_identity", p.id)
    assert _by(created, alice, "create")
    assert _by(changed, chen, "update")
    assert _by(viewed, chen, "view")
    assert created.new == {
        "given_name": "Ines",
        "family_name": "Dubois",
        "date_of_birth": "1971-11-30",
        "record_number": None,
    }
    assert (changed.old, changed.new, changed.reason) == (
        {"given_name": "Ines"},
        {"given_name": "Inès"},
        "Accent",
    )
    assert (viewed.old, viewed.new, viewed.patient_id) == (None, None, p.id)


def test_a_history_recorded_and_changed_is_audited(clinic):
    alice, chen = clinic["alice"], clinic["chen"]
    p = patients.register_patient(clinic.db, alice, PatientIn(site_id=clinic.sites["NORTH"]))
    patients.set_history(clinic.db, alice, p.id, HistoryIn(onset_date=date(2023, 2, 1)))
    patients.set_history(
        clinic.db,
        chen,
        p.id,
        HistoryIn(
            onset_date=date(2023, 1, 2), onset_region="upper_limb", version=1, reason="GP letter"
        ),
    )
    created, changed = _entries(clinic, "als_history", p.id)
    assert _by(created, alice, "create")
    assert _by(changed, chen, "update")
    assert created.new["onset_date"] == "2023-02-01"
    assert created.new["genetics"] == ["not_tested"]
    assert (changed.old, changed.new, changed.reason) == (
        {"onset_date": "2023-02-01", "onset_region": None},
        {"onset_date": "2023-01-02", "onset_region": "upper_limb"},
        "GP letter",
    )


# Each kind of record: what is first entered, what corrects it, and the field that differs.
KINDS = {
    "instrument_assessment": (
        INSTRUMENT_ASSESSMENT,
        InstrumentAssessmentIn(
            instrument="alsfrs_r", assessed_on=ON, assessed_by="Dr Wei Chen", responses=ITEMS
        ),
        InstrumentAssessmentIn(
            instrument="alsfrs_r",
            assessed_on=ON,
            assessed_by="Dr Wei Chen",
            responses=ITEMS | {"q1": 2},
        ),
        "responses",
    ),
    "spirometry_test": (
        SPIROMETRY,
        SpirometryIn(assessed_on=ON, assessed_by="Nina Okafor", fvc_l=3.2, height_cm=178),
        SpirometryIn(assessed_on=ON, assessed_by="Nina Okafor", fvc_l=2.3, height_cm=178),
        "fvc_l",
    ),
    "body_measurement": (
        BODY_MEASUREMENT,
        BodyMeasurementIn(assessed_on=ON, assessed_by="Nina Okafor", weight_kg=17.2),
        BodyMeasurementIn(assessed_on=ON, assessed_by="Nina Okafor", weight_kg=72.1),
        "weight_kg",
    ),
    "milestone": (
        MILESTONE,
        MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 5, 7)),
        MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 5, 17)),
        "occurred_on",
    ),
    "drug_course": (
        DRUG_COURSE,
        DrugCourseIn(drug="riluzole", start_date=date(2023, 10, 1)),
        DrugCourseIn(drug="riluzole", start_date=date(2023, 10, 1), stop_date=date(2024, 4, 1)),
        "stop_date",
    ),
}


@pytest.mark.parametrize("name", KINDS)
def test_adding_correcting_and_voiding_each_kind_of_record_are_audited(clinic, pat, name):
    kind, entered, corrected, field = KINDS[name]
    chen = clinic["chen"]
    first = records.add(clinic.db, chen, kind, pat.id, entered)
    second = records.correct(
        clinic.db,
        chen,
        kind,
        first.id,
        Correction[type(entered)](record=corrected, version=1, reason="Misread the form"),
    )
    records.void(clinic.db, chen, kind, second.id, Void(version=1, reason="Wrong patient"))

    added, superseded = _entries(clinic, name, first.id)
    fixed, voided = _entries(clinic, name, second.id)
    assert _by(added, chen, "create")
    assert _by(superseded, chen, "supersede")
    assert superseded.new == {"status": "superseded", "superseded_by_id": second.id}
    assert _by(fixed, chen, "correct")
    assert _by(voided, chen, "void")
    assert all(
        e.patient_id == pat.id and e.site_id == clinic.sites["NORTH"]
        for e in (added, fixed, voided)
    )

    assert added.old is None
    assert added.reason is None
    assert added.new["id"] == first.id
    assert added.new["status"] == "current"
    entered_value = added.new[field]

    assert fixed.reason == "Misread the form"
    assert (fixed.old["id"], fixed.old[field]) == (first.id, entered_value)
    assert (fixed.new["id"], fixed.new["supersedes_id"]) == (second.id, first.id)
    assert fixed.new[field] != entered_value

    assert (voided.old, voided.new, voided.reason) == (
        {"status": "current"},
        {"status": "entered_in_error"},
        "Wrong patient",
    )
