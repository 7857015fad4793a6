"""A patient's timeline: every current record in date order, with derived measures."""

from datetime import date

from alstrack.services import patients, records, timeline
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    SpirometryIn,
)
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn
from alstrack.services.patients import PatientIn
from alstrack.services.records import Correction, Void


def _add(clinic, pat, kind, data, who="chen"):
    return records.add(clinic.db, clinic[who], kind, pat.id, data)


def test_everything_recorded_comes_in_date_order(clinic, pat, alsfrs):
    _add(clinic, pat, MILESTONE, MilestoneIn(kind="niv_start", occurred_on=date(2024, 6, 30)))
    _add(clinic, pat, INSTRUMENT_ASSESSMENT, alsfrs(date(2024, 3, 5)))
    _add(
        clinic,
        pat,
        DRUG_COURSE,
        DrugCourseIn(drug="riluzole", start_date=date(2023, 10, 1), stop_date=date(2024, 4, 1)),
    )
    _add(
        clinic,
        pat,
        BODY_MEASUREMENT,
        BodyMeasurementIn(
            assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=72, height_cm=178
        ),
    )
    _add(
        clinic,
        pat,
        SPIROMETRY,
        SpirometryIn(assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", fvc_l=3.2),
    )
    events = timeline.timeline(clinic.db, clinic["olga"], pat.id).events
    assert [(e.date, e.type) for e in events] == [
        (date(2023, 1, 16), "symptom_onset"),
        (date(2023, 9, 4), "diagnosis"),
        (date(2023, 10, 1), "drug_start"),
        (date(2024, 3, 5), "instrument_assessment"),
        (date(2024, 3, 5), "spirometry_test"),
        (date(2024, 3, 5), "body_measurement"),
        (date(2024, 4, 1), "drug_stop"),
        (date(2024, 6, 30), "milestone"),
    ]


def test_the_timeline_carries_the_derived_measures(clinic, pat, alsfrs):
    _add(clinic, pat, INSTRUMENT_ASSESSMENT, alsfrs(date(2024, 3, 5)))
    _add(
        clinic,
        pat,
        BODY_MEASUREMENT,
        BodyMeasurementIn(
            assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=70, height_cm=175
        ),
    )
    _add(
        clinic,
        pat,
        SPIROMETRY,
        SpirometryIn(assessed_on=date(2024, 3, 6), assessed_by="Nina Okafor", fvc_l=3.2),
    )
    by_type = {e.type: e for e in timeline.timeline(clinic.db, clinic["chen"], pat.id).events}
    alsfrs_r = by_type["instrument_assessment"]
    assert alsfrs_r.record.alsfrs_r.total == 36
    assert alsfrs_r.record.alsfrs_r.delta_fs > 0
    assert alsfrs_r.summary.startswith("ALSFRS-R 36/48, King's stage 4, MiToS 0")
    assert by_type["body_measurement"].record.bmi == 70 / 1.75**2
    spirometry = by_type["spirometry_test"].record
    assert spirometry.fvc_percent_predicted > 0
    assert spirometry.equation == "GLI-Global"
    assert "GLI-Global" in by_type["spirometry_test"].summary


def test_superseded_and_voided_records_are_left_out(clinic, pat, alsfrs):
    wrong = _add(clinic, pat, INSTRUMENT_ASSESSMENT, alsfrs(date(2024, 3, 5), q1=0))
    right = records.correct(
        clinic.db,
        clinic["chen"],
        INSTRUMENT_ASSESSMENT,
        wrong.id,
        Correction(record=alsfrs(date(2024, 3, 5)), version=1, reason="q1"),
    )
    mistaken = _add(clinic, pat, MILESTONE, MilestoneIn(kind="death", occurred_on=date(2024, 5, 1)))
    records.void(
        clinic.db,
        clinic["chen"],
        MILESTONE,
        mistaken.id,
        Void(version=1, reason="Another patient's death"),
    )
    events = timeline.timeline(clinic.db, clinic["chen"], pat.id).events
    recorded = [e.record.id for e in events if e.record is not None]
    assert recorded == [right.id]
    assert [e.type for e in events] == ["symptom_onset", "diagnosis", "instrument_assessment"]


def test_a_patient_with_nothing_recorded_has_an_empty_timeline(clinic):
    p = patients.register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"])
    )
    t = timeline.timeline(clinic.db, clinic["alice"], p.id)
    assert (t.patient.study_id, t.events) == (p.study_id, [])
