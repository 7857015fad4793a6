"""Patients: a pseudonymous study identifier per site, a versioned record, changes with a reason."""

from datetime import date

import pytest

from alstrack.errors import Conflict, InvalidInput
from alstrack.services import patients
from alstrack.services.patients import IdentityIn, PatientIn, PatientUpdate


def _register(clinic, who="alice", site="NORTH", **kw):
    return patients.register_patient(
        clinic.db, clinic[who], PatientIn(site_id=clinic.sites[site], **kw)
    )


def test_each_new_patient_gets_the_next_study_id_of_their_site(clinic):
    ids = [
        _register(clinic).study_id,
        _register(clinic).study_id,
        _register(clinic, "sami", "SOUTH").study_id,
    ]
    assert ids == ["NORTH-00001", "NORTH-00002", "SOUTH-00001"]


def test_the_study_id_is_not_derived_from_the_name_or_record_number(clinic):
    p = _register(
        clinic,
        identity=IdentityIn(
            given_name="Pat",
            family_name="Kowalski",
            date_of_birth=date(1958, 4, 2),
            record_number="MRN-4471",
        ),
    )
    assert p.study_id == "NORTH-00001"


def test_a_patient_can_be_registered_before_identifiers_or_history_are_known(clinic):
    p = _register(clinic)
    assert (p.sex, p.history, p.version, p.synthetic) == (None, None, 1, False)
    assert p.created_at == p.updated_at


def test_it_refuses_to_register_a_patient_at_a_site_the_user_does_not_work_at(clinic):
    with pytest.raises(InvalidInput) as caught:
        _register(clinic, who="sami", site="NORTH")
    assert [f.field for f in caught.value.fields] == ["site_id"]


def test_a_change_of_sex_is_saved_with_a_new_version(clinic, pat):
    changed = patients.update_patient(
        clinic.db,
        clinic["chen"],
        pat.id,
        PatientUpdate(sex="female", version=1, reason="Entered for the wrong patient"),
    )
    assert (changed.sex, changed.version) == ("female", 2)
    assert changed.updated_at >= pat.updated_at
    assert patients.get_patient(clinic.db, clinic["nina"], pat.id).sex == "female"


def test_a_change_with_a_stale_version_is_a_conflict(clinic, pat):
    patients.update_patient(
        clinic.db, clinic["chen"], pat.id, PatientUpdate(sex="female", version=1, reason="typo")
    )
    with pytest.raises(Conflict):
        patients.update_patient(
            clinic.db, clinic["alice"], pat.id, PatientUpdate(sex=None, version=1, reason="unsure")
        )
    assert patients.get_patient(clinic.db, clinic["alice"], pat.id).sex == "female"


def test_a_change_needs_a_reason(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        patients.update_patient(
            clinic.db, clinic["chen"], pat.id, PatientUpdate(sex="female", version=1, reason="")
        )
    assert [f.field for f in caught.value.fields] == ["reason"]


def test_the_list_counts_all_visible_patients_and_pages_them(clinic):
    for _ in range(3):
        _register(clinic)
    total, page = patients.list_patients(clinic.db, clinic["alice"], limit=2, offset=1)
    assert total == 3
    assert [p.study_id for p in page] == ["NORTH-00002", "NORTH-00003"]


def test_an_update_that_changes_nothing_keeps_the_version_and_writes_no_audit(clinic, pat, stored):
    before = stored()
    same = patients.update_patient(
        clinic.db, clinic["alice"], pat.id,
        PatientUpdate(sex=pat.sex, version=pat.version, reason="checked"),
    )  # fmt: skip
    assert same.version == pat.version
    assert stored() == before
