"""Assessments, dated and attributed: ALSFRS-R with its derived measures, other instruments,
spirometry with its reference equation, weight, height and BMI."""

from datetime import UTC, date, datetime, timedelta

import pytest

from alstrack.errors import InvalidInput
from alstrack.services import patients, records
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    InstrumentAssessmentIn,
    SpirometryIn,
)
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.patients import PatientIn, PatientUpdate

VISIT = date(2024, 3, 5)


def _fields(caught):
    return sorted(f.field for f in caught.value.fields)


def _assess(clinic, pat, form, who="nina"):
    return records.add(clinic.db, clinic[who], INSTRUMENT_ASSESSMENT, pat.id, form)


def _spirometry(clinic, pat, **test):
    test = {"assessed_on": VISIT, "assessed_by": "Nina Okafor"} | test
    return records.add(clinic.db, clinic["nina"], SPIROMETRY, pat.id, SpirometryIn(**test))


def _body(clinic, pat, on=VISIT, **measured):
    return records.add(
        clinic.db,
        clinic["nina"],
        BODY_MEASUREMENT,
        pat.id,
        BodyMeasurementIn(assessed_on=on, assessed_by="Nina Okafor", **measured),
    )


# --- ALSFRS-R ---------------------------------------------------------------------------------


def test_an_alsfrs_r_is_dated_attributed_and_stamped_in_utc(clinic, pat, alsfrs):
    a = _assess(clinic, pat, alsfrs(VISIT, by="Dr Wei Chen"))
    assert (a.assessed_on, a.assessed_by, a.entered_by) == (
        VISIT,
        "Dr Wei Chen",
        clinic["nina"].user_id,
    )
    assert a.entered_at.utcoffset() == timedelta(0)
    assert datetime.now(UTC) - a.entered_at < timedelta(minutes=1)
    assert (a.instrument, a.instrument_version, a.status, a.version) == (
        "alsfrs_r",
        "1.0",
        "current",
        1,
    )


def test_an_alsfrs_r_comes_back_with_its_derived_measures(clinic, pat, alsfrs):
    a = _assess(clinic, pat, alsfrs(VISIT, q1=2, q3=4, q8=1))
    d = a.alsfrs_r
    assert (d.total, d.bulbar, d.fine_motor, d.gross_motor, d.respiratory) == (34, 9, 9, 7, 9)
    # ΔFS = (48 − 34) / months from onset 2023-01-16 to 2024-03-05 (414 days).
    assert d.delta_fs == pytest.approx(14 / (414 / 30.4375))
    assert (d.kings_regions, d.kings_stage, d.kings_4b) == (3, 4, True)
    assert d.mitos_stage == 1
    assert d.mitos_domains["walking_self_care"] is True
    assert d.indeterminate == []
    assert a.scores["q1"] == 2.0


def test_a_partial_alsfrs_r_says_what_it_cannot_score(clinic, pat, alsfrs):
    a = _assess(clinic, pat, alsfrs(VISIT, q10=None))
    assert a.alsfrs_r.total is None
    assert a.alsfrs_r.respiratory is None
    assert a.alsfrs_r.bulbar == 9
    assert any("q10" in r for r in a.alsfrs_r.indeterminate)


def test_delta_fs_is_indeterminate_without_an_onset_date(clinic, alsfrs):
    p = patients.register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"])
    )
    a = _assess(clinic, p, alsfrs(VISIT))
    assert a.alsfrs_r.total == 36
    assert a.alsfrs_r.delta_fs is None
    assert any(r.startswith("delta_fs") for r in a.alsfrs_r.indeterminate)


def test_it_refuses_an_alsfrs_r_item_that_is_not_a_whole_number_0_to_4(
    clinic, pat, alsfrs, subtests
):
    for item, value in [("q3", 5), ("q7", -1), ("q1", 3.5), ("q2", "3")]:
        with subtests.test(item=item):
            with pytest.raises(InvalidInput) as caught:
                _assess(clinic, pat, alsfrs(VISIT, **{item: value}))
            assert _fields(caught) == [item]
            assert "0 to 4" in caught.value.fields[0].message


def test_it_refuses_an_alsfrs_r_with_both_q5a_and_q5b(clinic, pat, alsfrs):
    with pytest.raises(InvalidInput) as caught:
        _assess(clinic, pat, alsfrs(VISIT, q5b=2))
    assert _fields(caught) == ["q5a", "q5b"]


def test_it_refuses_an_alsfrs_r_item_that_does_not_exist(clinic, pat, alsfrs):
    with pytest.raises(InvalidInput) as caught:
        _assess(clinic, pat, alsfrs(VISIT, q13=4))
    assert _fields(caught) == ["q13"]


def test_it_refuses_an_unknown_instrument_and_lists_the_known_ones(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _assess(
            clinic,
            pat,
            InstrumentAssessmentIn(
                instrument="hads", assessed_on=VISIT, assessed_by="Nina", responses={"a": 1}
            ),
        )
    assert _fields(caught) == ["instrument"]
    assert "alsfrs_r" in caught.value.fields[0].message
    assert "mas" in caught.value.fields[0].message


def test_it_refuses_a_form_with_no_answer(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _assess(
            clinic,
            pat,
            InstrumentAssessmentIn(
                instrument="mas", assessed_on=VISIT, assessed_by="Nina", responses={}
            ),
        )
    assert _fields(caught) == ["responses"]


def test_it_refuses_an_assessment_after_today(clinic, pat, alsfrs, time_machine):
    time_machine.move_to(date(2025, 6, 1))
    with pytest.raises(InvalidInput) as caught:
        _assess(clinic, pat, alsfrs(date(2025, 6, 2)))
    assert _fields(caught) == ["assessed_on"]


def test_it_refuses_an_assessment_before_birth_or_after_death(clinic, pat, alsfrs):
    records.add(
        clinic.db,
        clinic["chen"],
        MILESTONE,
        pat.id,
        MilestoneIn(kind="death", occurred_on=date(2024, 12, 1)),
    )
    for when in (date(1957, 1, 1), date(2024, 12, 2)):
        with pytest.raises(InvalidInput) as caught:
            _assess(clinic, pat, alsfrs(when))
        assert _fields(caught) == ["assessed_on"]


# --- other instruments --------------------------------------------------------------------


def test_a_modified_ashworth_rating_of_1_plus_scores_1_5(clinic, pat):
    a = _assess(
        clinic,
        pat,
        InstrumentAssessmentIn(
            instrument="mas",
            assessed_on=VISIT,
            assessed_by="Dr Wei Chen",
            responses={"left_upper_limb": "1+", "right_lower_limb": "2"},
        ),
    )
    assert a.responses == {"left_upper_limb": "1+", "right_lower_limb": "2"}
    assert a.scores == {
        "left_upper_limb": 1.5,
        "right_upper_limb": None,
        "left_lower_limb": None,
        "right_lower_limb": 2.0,
    }
    assert a.alsfrs_r is None


def test_it_refuses_a_modified_ashworth_rating_that_is_not_on_the_scale(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _assess(
            clinic,
            pat,
            InstrumentAssessmentIn(
                instrument="mas",
                assessed_on=VISIT,
                assessed_by="Nina",
                responses={"left_upper_limb": "5"},
            ),
        )
    assert _fields(caught) == ["left_upper_limb"]
    assert "1+" in caught.value.fields[0].message


def test_a_symptom_rating_is_stored_and_scored(clinic, pat):
    a = _assess(
        clinic,
        pat,
        InstrumentAssessmentIn(
            instrument="als_symptoms",
            assessed_on=VISIT,
            assessed_by="Nina Okafor",
            responses={"cramps": 3, "fatigue": 2},
        ),
    )
    assert (a.scores["cramps"], a.scores["fatigue"], a.scores["pain"]) == (3.0, 2.0, None)


# --- spirometry ---------------------------------------------------------------------------


def test_spirometry_stores_percent_predicted_with_the_equation_it_came_from(clinic, pat):
    s = _spirometry(clinic, pat, fvc_l=3.2, height_cm=178)
    assert s.equation == "GLI-Global"
    assert (s.sex, s.height_cm) == ("male", 178)
    assert s.age_years == pytest.approx((VISIT - date(1958, 4, 2)).days / 365.25)
    assert s.fvc_percent_predicted == pytest.approx(100 * 3.2 / s.predicted_l)
    assert s.fvc_z_score is not None
    assert s.lln_l < s.predicted_l
    again = records.get(clinic.db, clinic["olga"], SPIROMETRY, s.id)
    assert (again.equation, again.fvc_percent_predicted) == (s.equation, s.fvc_percent_predicted)


def test_spirometry_can_name_another_equation(clinic, pat):
    s = _spirometry(
        clinic, pat, fvc_l=3.2, height_cm=178, equation="GLI-2012", ethnicity="caucasian"
    )
    assert (s.equation, s.ethnicity) == ("GLI-2012", "caucasian")


def test_a_slow_vital_capacity_alone_is_read_against_the_fvc_equation(clinic, pat):
    s = _spirometry(clinic, pat, svc_l=2.9, height_cm=178, position="supine")
    assert s.fvc_percent_predicted is None
    assert s.svc_percent_predicted == pytest.approx(100 * 2.9 / s.predicted_l)


def test_spirometry_uses_the_latest_height_recorded_before_it(clinic, pat):
    _body(clinic, pat, on=date(2023, 10, 1), height_cm=181)
    _body(clinic, pat, on=date(2024, 1, 1), height_cm=179)
    _body(clinic, pat, on=date(2024, 6, 1), height_cm=150)
    assert _spirometry(clinic, pat, fvc_l=3.2).height_cm == 179


def test_spirometry_without_a_height_is_refused(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _spirometry(clinic, pat, fvc_l=3.2)
    assert _fields(caught) == ["height_cm"]


def test_spirometry_without_a_date_of_birth_is_refused(clinic):
    p = patients.register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"], sex="female")
    )
    with pytest.raises(InvalidInput) as caught:
        _spirometry(clinic, p, fvc_l=3.2, height_cm=165)
    assert _fields(caught) == ["date_of_birth"]


def test_spirometry_without_the_patients_sex_is_refused(clinic, pat):
    patients.update_patient(
        clinic.db,
        clinic["chen"],
        pat.id,
        PatientUpdate(sex=None, version=1, reason="Not confirmed"),
    )
    with pytest.raises(InvalidInput) as caught:
        _spirometry(clinic, pat, fvc_l=3.2, height_cm=178)
    assert _fields(caught) == ["sex"]


def test_spirometry_without_a_volume_is_refused(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _spirometry(clinic, pat, height_cm=178)
    assert _fields(caught) == ["fvc_l"]


def test_gli_2012_without_an_ethnicity_is_refused(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _spirometry(clinic, pat, fvc_l=3.2, height_cm=178, equation="GLI-2012")
    assert _fields(caught) == ["ethnicity"]


# --- weight, height, BMI ------------------------------------------------------------------


def test_bmi_comes_from_the_weight_and_height_measured_together(clinic, pat):
    b = _body(clinic, pat, weight_kg=70, height_cm=175)
    assert b.bmi == pytest.approx(70 / 1.75**2)


def test_bmi_of_a_weight_alone_uses_the_latest_height(clinic, pat):
    _body(clinic, pat, on=date(2023, 10, 1), height_cm=180)
    b = _body(clinic, pat, weight_kg=81)
    assert (b.height_cm, b.bmi) == (None, pytest.approx(81 / 1.8**2))


def test_a_weight_without_any_height_has_no_bmi(clinic, pat):
    assert _body(clinic, pat, weight_kg=81).bmi is None


def test_it_refuses_an_implausible_weight_or_height(clinic, pat, subtests):
    for field, value in [("weight_kg", 700), ("height_cm", 1.78)]:
        with subtests.test(field=field):
            with pytest.raises(InvalidInput) as caught:
                _body(clinic, pat, **{field: value})
            assert _fields(caught) == [field]


def test_it_refuses_a_body_measurement_with_nothing_measured(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _body(clinic, pat)
    assert _fields(caught) == ["weight_kg"]
