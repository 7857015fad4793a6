"""Direct identifiers live apart from clinical data: their own endpoint, every view audited."""

from datetime import UTC, date, datetime, timedelta

import pytest

from alstrack.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from alstrack.services import audit_trail, patients, records, timeline
from alstrack.services.assessments import BODY_MEASUREMENT, BodyMeasurementIn
from alstrack.services.patients import IdentityIn, IdentityUpdate, PatientIn

IDENTIFIERS = ("Pat", "Kowalski", "1958-04-02", "MRN-4471")


def test_the_patient_record_carries_no_direct_identifier(clinic, pat):
    shown = patients.get_patient(clinic.db, clinic["olga"], pat.id).model_dump_json()
    listed = patients.list_patients(clinic.db, clinic["olga"])[1][0].model_dump_json()
    for text in (pat.model_dump_json(), shown, listed):
        assert not any(value in text for value in IDENTIFIERS)


def test_the_timeline_carries_no_direct_identifier(clinic, pat):
    records.add(
        clinic.db,
        clinic["nina"],
        BODY_MEASUREMENT,
        pat.id,
        BodyMeasurementIn(
            assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=72, height_cm=178
        ),
    )
    text = timeline.timeline(clinic.db, clinic["olga"], pat.id).model_dump_json()
    assert not any(value in text for value in IDENTIFIERS)


def test_the_identity_has_its_own_read_which_returns_the_identifiers(clinic, pat):
    identity = patients.get_identity(clinic.db, clinic["chen"], pat.id)
    assert (
        identity.given_name,
        identity.family_name,
        identity.date_of_birth,
        identity.record_number,
        identity.version,
    ) == ("Pat", "Kowalski", date(1958, 4, 2), "MRN-4471", 1)


def test_every_view_of_the_identity_is_audited_with_who_and_when(clinic, pat):
    patients.get_identity(clinic.db, clinic["chen"], pat.id)
    patients.get_identity(clinic.db, clinic["aude"], pat.id)
    views = [
        e for e in audit_trail.for_patient(clinic.db, clinic["aude"], pat.id) if e.action == "view"
    ]
    assert [(e.username, e.entity, e.entity_id) for e in views] == [
        ("chen", "patient_identity", str(pat.id)),
        ("aude", "patient_identity", str(pat.id)),
    ]
    for e in views:
        assert e.at.tzinfo is not None
        assert e.at.utcoffset() == timedelta(0)
        assert datetime.now(UTC) - e.at < timedelta(minutes=1)


def test_a_data_analyst_cannot_read_the_identity(clinic, pat):
    with pytest.raises(PermissionDenied):
        patients.get_identity(clinic.db, clinic["olga"], pat.id)


def test_reading_identifiers_never_recorded_is_not_found_and_not_audited(clinic, stored):
    p = patients.register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"])
    )
    before = stored()
    with pytest.raises(NotFound):
        patients.get_identity(clinic.db, clinic["chen"], p.id)
    assert stored() == before


def test_identifiers_recorded_after_registration_need_no_reason(clinic):
    p = patients.register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"])
    )
    identity = patients.set_identity(
        clinic.db,
        clinic["alice"],
        p.id,
        IdentityIn(given_name="Ines", family_name="Dubois", date_of_birth=date(1971, 11, 30)),
    )
    assert (identity.given_name, identity.version) == ("Ines", 1)


def test_changing_identifiers_needs_the_version_read(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        patients.set_identity(
            clinic.db,
            clinic["alice"],
            pat.id,
            IdentityIn(
                given_name="Patrick", family_name="Kowalski", date_of_birth=date(1958, 4, 2)
            ),
        )
    assert [f.field for f in caught.value.fields] == ["version"]


def test_changing_identifiers_needs_a_reason(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        patients.set_identity(
            clinic.db,
            clinic["alice"],
            pat.id,
            IdentityUpdate(
                given_name="Patrick",
                family_name="Kowalski",
                date_of_birth=date(1958, 4, 2),
                version=1,
            ),
        )
    assert [f.field for f in caught.value.fields] == ["reason"]


def test_a_change_of_identifiers_with_a_stale_version_is_a_conflict(clinic, pat):
    change = IdentityUpdate(
        given_name="Patrick",
        family_name="Kowalski",
        date_of_birth=date(1958, 4, 2),
        version=1,
        reason="Full given name",
    )
    assert patients.set_identity(clinic.db, clinic["alice"], pat.id, change).version == 2
    with pytest.raises(Conflict):
        patients.set_identity(clinic.db, clinic["chen"], pat.id, change)


def test_it_refuses_a_date_of_birth_in_the_future_or_before_1900(clinic, subtests):
    for born in [date(2999, 1, 1), date(1899, 12, 31)]:
        with subtests.test(born=born):
            with pytest.raises(InvalidInput) as caught:
                patients.register_patient(
                    clinic.db,
                    clinic["alice"],
                    PatientIn(
                        site_id=clinic.sites["NORTH"],
                        identity=IdentityIn(given_name="A", family_name="B", date_of_birth=born),
                    ),
                )
            assert [f.field for f in caught.value.fields] == ["date_of_birth"]


def test_an_admin_reading_the_audit_trail_sees_which_identifiers_changed_but_not_their_values(
    clinic, pat
):
    patients.set_identity(
        clinic.db,
        clinic["alice"],
        pat.id,
        IdentityUpdate(
            given_name="Patrick",
            family_name="Kowalski",
            date_of_birth=date(1958, 4, 2),
            record_number="MRN-4471",
            version=1,
            reason="Full given name",
        ),
    )
    entries = [
        e
        for e in audit_trail.for_patient(clinic.db, clinic["adam"], pat.id)
        if e.entity == "patient_identity"
    ]
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].old == {"given_name": "[redacted]"}
    assert entries[1].reason == "Full given name"
    text = "".join(e.model_dump_json() for e in entries)
    assert not any(value in text for value in (*IDENTIFIERS, "Patrick"))
    by_record = audit_trail.for_record(clinic.db, clinic["adam"], "patient_identity", str(pat.id))
    assert "Kowalski" not in "".join(e.model_dump_json() for e in by_record)


def test_a_physician_reading_the_audit_trail_sees_the_old_and_new_identifiers(clinic, pat):
    patients.set_identity(
        clinic.db,
        clinic["alice"],
        pat.id,
        IdentityUpdate(
            given_name="Patrick",
            family_name="Kowalski",
            date_of_birth=date(1958, 4, 2),
            record_number="MRN-4471",
            version=1,
            reason="Full given name",
        ),
    )
    update = audit_trail.for_patient(clinic.db, clinic["chen"], pat.id)[-1]
    assert (update.old, update.new) == ({"given_name": "Pat"}, {"given_name": "Patrick"})
