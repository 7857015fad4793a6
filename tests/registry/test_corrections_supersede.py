"""Corrections never overwrite: a corrected record supersedes the old one, with a reason; a record
entered in error is voided. Nothing is deleted."""

from datetime import date

import pytest

from alstrack.errors import Conflict, InvalidInput, StepRefused
from alstrack.services import records
from alstrack.services.assessments import BODY_MEASUREMENT, BodyMeasurementIn
from alstrack.services.records import Correction, Void

WEIGHED = BodyMeasurementIn(
    assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=17.2, height_cm=178
)
REWEIGHED = BodyMeasurementIn(
    assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=72.1, height_cm=178
)


def _weigh(clinic, pat):
    return records.add(clinic.db, clinic["nina"], BODY_MEASUREMENT, pat.id, WEIGHED)


def _correct(clinic, record_id, version=1, reason="Digits transposed", who="nina"):
    return records.correct(
        clinic.db,
        clinic[who],
        BODY_MEASUREMENT,
        record_id,
        Correction[BodyMeasurementIn](record=REWEIGHED, version=version, reason=reason),
    )


def _void(clinic, record_id, version=1, reason="Wrong patient"):
    return records.void(
        clinic.db, clinic["nina"], BODY_MEASUREMENT, record_id, Void(version=version, reason=reason)
    )


def _history(clinic, pat):
    return records.list_for_patient(
        clinic.db, clinic["chen"], BODY_MEASUREMENT, pat.id, include_history=True
    )


def test_a_correction_supersedes_the_old_record_which_stays_linked_to_it(clinic, pat):
    old = _weigh(clinic, pat)
    new = _correct(clinic, old.id)
    assert (new.weight_kg, new.status, new.supersedes_id, new.reason) == (
        72.1,
        "current",
        old.id,
        "Digits transposed",
    )
    kept = records.get(clinic.db, clinic["chen"], BODY_MEASUREMENT, old.id)
    assert (kept.weight_kg, kept.status, kept.superseded_by_id, kept.version) == (
        17.2,
        "superseded",
        new.id,
        2,
    )


def test_only_the_current_record_is_listed_unless_the_history_is_asked_for(clinic, pat):
    old = _weigh(clinic, pat)
    new = _correct(clinic, old.id)
    current = records.list_for_patient(clinic.db, clinic["chen"], BODY_MEASUREMENT, pat.id)
    assert [r.id for r in current] == [new.id]
    assert [(r.id, r.status) for r in _history(clinic, pat)] == [
        (old.id, "superseded"),
        (new.id, "current"),
    ]


def test_a_correction_needs_a_reason(clinic, pat, stored):
    old = _weigh(clinic, pat)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        _correct(clinic, old.id, reason=" ")
    assert [f.field for f in caught.value.fields] == ["reason"]
    assert stored() == before


def test_a_correction_with_invalid_values_leaves_the_old_record_current(clinic, pat, stored):
    old = _weigh(clinic, pat)
    before = stored()
    with pytest.raises(InvalidInput):
        records.correct(
            clinic.db,
            clinic["nina"],
            BODY_MEASUREMENT,
            old.id,
            Correction[BodyMeasurementIn](
                record=BodyMeasurementIn(
                    assessed_on=date(2024, 3, 5), assessed_by="Nina", weight_kg=700
                ),
                version=1,
                reason="r",
            ),
        )
    assert stored() == before
    assert records.get(clinic.db, clinic["nina"], BODY_MEASUREMENT, old.id).status == "current"


def test_voiding_marks_the_record_entered_in_error_and_keeps_it(clinic, pat):
    old = _weigh(clinic, pat)
    voided = _void(clinic, old.id)
    assert (voided.status, voided.void_reason, voided.weight_kg, voided.version) == (
        "entered_in_error",
        "Wrong patient",
        17.2,
        2,
    )
    assert records.list_for_patient(clinic.db, clinic["chen"], BODY_MEASUREMENT, pat.id) == []
    assert [r.status for r in _history(clinic, pat)] == ["entered_in_error"]


def test_voiding_needs_a_reason(clinic, pat):
    old = _weigh(clinic, pat)
    with pytest.raises(InvalidInput) as caught:
        _void(clinic, old.id, reason="")
    assert [f.field for f in caught.value.fields] == ["reason"]


def test_correcting_a_superseded_record_is_refused(clinic, pat):
    old = _weigh(clinic, pat)
    _correct(clinic, old.id)
    with pytest.raises(StepRefused, match="superseded"):
        _correct(clinic, old.id, version=2)


def test_correcting_a_voided_record_is_refused(clinic, pat):
    old = _weigh(clinic, pat)
    _void(clinic, old.id)
    with pytest.raises(StepRefused, match="entered in error"):
        _correct(clinic, old.id, version=2)


def test_voiding_a_record_twice_is_refused(clinic, pat):
    old = _weigh(clinic, pat)
    _void(clinic, old.id)
    with pytest.raises(StepRefused):
        _void(clinic, old.id, version=2)


@pytest.mark.parametrize("change", [_correct, _void])
def test_a_change_with_a_stale_version_is_a_conflict_and_changes_nothing(
    clinic, pat, stored, change
):
    old = _weigh(clinic, pat)
    before = stored()
    with pytest.raises(Conflict):
        change(clinic, old.id, version=7)
    assert stored() == before
    assert records.get(clinic.db, clinic["nina"], BODY_MEASUREMENT, old.id).status == "current"


def test_a_correction_of_a_correction_keeps_the_whole_chain(clinic, pat):
    first = _weigh(clinic, pat)
    second = _correct(clinic, first.id)
    third = _correct(clinic, second.id, reason="Scale recalibrated")
    chain = {r.id: (r.status, r.supersedes_id, r.superseded_by_id) for r in _history(clinic, pat)}
    assert chain == {
        first.id: ("superseded", None, second.id),
        second.id: ("superseded", first.id, third.id),
        third.id: ("current", second.id, None),
    }


def test_nothing_is_deleted_by_corrections_or_voids(clinic, pat, stored):
    before = stored()
    old = _weigh(clinic, pat)
    _void(clinic, _correct(clinic, old.id).id, version=1)
    after = stored()
    assert after["body_measurements"] == before["body_measurements"] + 2
    # create, correct, supersede (on the old record's trail), void
    assert after["audit_log"] == before["audit_log"] + 4
    assert all(after[t] >= n for t, n in before.items())
