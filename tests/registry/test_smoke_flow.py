from datetime import date

from alstrack.services import patients, records, timeline
from alstrack.services.assessments import (
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    InstrumentAssessmentIn,
    SpirometryIn,
)
from alstrack.services.patients import HistoryIn, IdentityIn, PatientIn


def test_a_registered_patient_gets_scored_assessments_on_the_timeline(clinic):
    alice = clinic["alice"]
    p = patients.register_patient(
        clinic.db,
        alice,
        PatientIn(
            site_id=clinic.sites["NORTH"],
            sex="male",
            identity=IdentityIn(
                given_name="Jon", family_name="Doe", date_of_birth=date(1960, 3, 1)
            ),
            history=HistoryIn(
                onset_date=date(2020, 1, 15),
                onset_region="bulbar",
                diagnostic_criteria="revised_el_escorial",
                diagnostic_category="probable",
            ),
        ),
    )
    items = {f"q{i}": 3 for i in range(1, 13) if i != 5} | {"q5a": 3}
    a = records.add(
        clinic.db,
        alice,
        INSTRUMENT_ASSESSMENT,
        p.id,
        InstrumentAssessmentIn(
            instrument="alsfrs_r",
            assessed_on=date(2021, 1, 15),
            assessed_by="Dr Chen",
            responses=items,
        ),
    )
    assert a.alsfrs_r.total == 36
    assert round(a.alsfrs_r.delta_fs, 5) == 0.99795
    s = records.add(
        clinic.db,
        alice,
        SPIROMETRY,
        p.id,
        SpirometryIn(assessed_on=date(2021, 1, 15), assessed_by="Nina", fvc_l=3.5, height_cm=175),
    )
    assert s.fvc_percent_predicted > 50
    t = timeline.timeline(clinic.db, alice, p.id)
    assert [e.type for e in t.events][:2] == ["symptom_onset", "instrument_assessment"]
