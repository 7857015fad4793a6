"""An import stores and audits each record as entering it alone would, and refuses a bad record.

`records.add_many` checks plain ALSFRS-R batches together and writes the audit entries by
column; any other batch is checked record by record. Both must store and audit the same things.
"""

from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
from sqlalchemy import text

from alstrack.errors import InvalidInput
from alstrack.services import audit_trail, records
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    BodyMeasurementIn,
    InstrumentAssessmentIn,
)
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn

ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12")
RATER = "Dr Wei Chen"


def _visit(on: date, **items: object) -> InstrumentAssessmentIn:
    responses = {k: 3 for k in ITEMS} | items
    return InstrumentAssessmentIn(
        instrument="alsfrs_r", assessed_on=on, assessed_by=RATER, responses=responses
    )


def _created(clinic, entity, record_id):
    (entry,) = audit_trail.for_record(clinic.db, clinic["aude"], entity, str(record_id))
    return entry


def _assert_created_by_system(clinic, pat, entry, record_id, entered_at):
    system = clinic.system
    assert (entry.user_id, entry.username, entry.action) == (
        system.user_id,
        system.username,
        "create",
    )
    assert (entry.entity_id, entry.patient_id, entry.site_id) == (
        str(record_id),
        pat.id,
        clinic.sites["NORTH"],
    )
    assert (entry.old, entry.reason) == (None, None)
    assert entry.at == entered_at
    assert entry.at.utcoffset() == timedelta(0)
    assert timedelta(0) <= datetime.now(UTC) - entry.at < timedelta(minutes=1)


def test_an_import_stores_each_visit_with_one_create_entry_of_its_values(clinic, pat):
    visits = [_visit(date(2024, 3, d), q1=d % 5) for d in (1, 2, 3)]
    records.add_many(clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, [(pat.id, v) for v in visits])

    stored = records.list_for_patient(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id)
    assert [s.responses for s in stored] == [v.responses for v in visits]
    for visit, record in zip(visits, stored, strict=True):
        entry = _created(clinic, "instrument_assessment", record.id)
        _assert_created_by_system(clinic, pat, entry, record.id, record.entered_at)
        new = {
            "instrument": "alsfrs_r",
            "instrument_version": record.instrument_version,
            "assessed_on": visit.assessed_on.isoformat(),
            "assessed_by": RATER,
            "responses": visit.responses,
            "patient_id": pat.id,
            "status": "current",
            "entered_by": clinic.system.user_id,
        }
        assert entry.new == new
        if clinic.db.dialect == "sqlite":  # the text every writer stores: keys sorted, as hashed
            with clinic.db.read() as session:
                stored_text = session.scalar(
                    text("SELECT new FROM audit_log WHERE id = :id"), {"id": entry.id}
                )
            assert stored_text == orjson.dumps(new, option=orjson.OPT_SORT_KEYS).decode()


# Ways of writing the same form that the record-by-record check accepts and normalises.
SAME_FORM = {
    "whole points in the form's order": {k: 3 for k in ITEMS},
    "items out of order": {k: 3 for k in reversed(ITEMS)},
    "whole points as floats": {k: 3.0 for k in ITEMS},
    "an unscored item given as None": {k: 3 for k in ITEMS} | {"q5b": None},
}


@pytest.mark.parametrize("written", SAME_FORM)
def test_an_imported_form_is_stored_and_audited_alike_however_its_items_are_written(
    clinic, pat, written
):
    form = InstrumentAssessmentIn(
        instrument="alsfrs_r",
        assessed_on=date(2024, 3, 5),
        assessed_by=RATER,
        responses=SAME_FORM[written],
    )
    records.add_many(clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, [(pat.id, form)])

    (record,) = records.list_for_patient(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id)
    canonical = {k: 3 for k in ITEMS}
    assert record.responses == canonical
    assert all(type(v) is int for v in record.responses.values())
    if clinic.db.dialect == "sqlite":  # PostgreSQL's jsonb keeps no key order
        assert list(record.responses) == list(ITEMS)
    entry = _created(clinic, "instrument_assessment", record.id)
    assert entry.new is not None
    assert entry.new["responses"] == canonical


BAD_RECORDS = {
    "a score of True": ({"q3": True}, "q3"),
    "a score above 4": ({"q3": 5}, "q3"),
    "a half point": ({"q3": 2.5}, "q3"),
    "an unknown item": ({"q13": 1}, "q13"),
    "both 5a and 5b": ({"q5b": 2}, "q5a"),
    "no item scored": ({k: None for k in ITEMS}, "responses"),
}


@pytest.mark.parametrize("bad", BAD_RECORDS)
def test_an_import_with_one_bad_form_is_refused_naming_the_record_and_item(
    clinic, pat, stored, bad
):
    items, field = BAD_RECORDS[bad]
    visits = [_visit(date(2024, 3, d)) for d in (1, 2, 3, 4)]
    visits[2] = _visit(date(2024, 3, 3), **items)
    before = stored()
    with pytest.raises(InvalidInput) as refused:
        records.add_many(
            clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, [(pat.id, v) for v in visits]
        )
    assert refused.value.message.startswith("Record 3: ")
    assert field in [f.field for f in refused.value.fields]
    assert stored() == before


def test_an_import_with_a_visit_outside_the_patients_life_is_refused(clinic, pat, stored):
    before = stored()
    for on in (date(1958, 4, 1), datetime.now(UTC).date() + timedelta(days=2)):
        visits = [_visit(date(2024, 3, 1)), _visit(on)]
        with pytest.raises(InvalidInput) as refused:
            records.add_many(
                clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, [(pat.id, v) for v in visits]
            )
        assert refused.value.message.startswith("Record 2: ")
        assert refused.value.fields[0].field == "assessed_on"
    assert stored() == before


def test_an_import_scoring_5a_after_a_gastrostomy_is_refused(clinic, pat, stored):
    peg = MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 2, 1))
    records.add(clinic.db, clinic["chen"], MILESTONE, pat.id, peg)
    before = stored()
    visits = [_visit(date(2024, 1, 15)), _visit(date(2024, 2, 15))]
    with pytest.raises(InvalidInput) as refused:
        records.add_many(
            clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, [(pat.id, v) for v in visits]
        )
    assert refused.value.message.startswith("Record 2: ")
    assert refused.value.fields[0].field == "q5a"
    assert stored() == before


EDARAVONE = DrugCourseIn(drug="other", drug_name="Edaravone 'oral'", start_date=date(2023, 10, 1))
WEIGHED = BodyMeasurementIn(
    assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=72.0, height_cm=178.5
)
OTHER_KINDS = [
    (MILESTONE, MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 5, 7))),
    (DRUG_COURSE, EDARAVONE),
    (BODY_MEASUREMENT, WEIGHED),
]


def test_imported_milestones_drug_courses_and_weights_are_each_audited_with_their_values(
    clinic, pat
):
    system = clinic.system
    meta = {"patient_id": pat.id, "status": "current", "entered_by": system.user_id}
    for kind, data in OTHER_KINDS:
        records.add_many(clinic.db, system, kind, [(pat.id, data)])
        (record,) = records.list_for_patient(clinic.db, clinic["chen"], kind, pat.id)
        entry = _created(clinic, kind.name, record.id)
        _assert_created_by_system(clinic, pat, entry, record.id, record.entered_at)
        values = data.model_dump(mode="json")
        if kind is BODY_MEASUREMENT:
            values["bmi"] = record.bmi
        assert entry.new == values | meta
