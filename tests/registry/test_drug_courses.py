"""Drug courses: riluzole, edaravone, tofersen or another named drug, with start and stop dates."""

from datetime import date

import pytest
from pydantic import ValidationError

from alstrack.errors import InvalidInput
from alstrack.services import records
from alstrack.services.milestones import DRUG_COURSE, DrugCourseIn
from alstrack.services.records import Correction


def _add(clinic, pat, **course):
    return records.add(clinic.db, clinic["chen"], DRUG_COURSE, pat.id, DrugCourseIn(**course))


def _fields(caught):
    return [f.field for f in caught.value.fields]


def test_a_course_of_each_listed_drug_is_recorded_with_its_dates(clinic, pat):
    for drug in ("riluzole", "edaravone", "tofersen"):
        course = _add(
            clinic, pat, drug=drug, start_date=date(2023, 10, 1), stop_date=date(2024, 4, 1)
        )
        assert (course.drug, course.drug_name, course.start_date, course.stop_date) == (
            drug,
            None,
            date(2023, 10, 1),
            date(2024, 4, 1),
        )


def test_a_course_still_running_has_no_stop_date(clinic, pat):
    assert _add(clinic, pat, drug="riluzole", start_date=date(2023, 10, 1)).stop_date is None


def test_another_drug_is_recorded_by_name(clinic, pat):
    course = _add(clinic, pat, drug="other", drug_name="Masitinib", start_date=date(2024, 2, 1))
    assert (course.drug, course.drug_name) == ("other", "Masitinib")


def test_another_drug_needs_its_name(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _add(clinic, pat, drug="other", start_date=date(2024, 2, 1))
    assert _fields(caught) == ["drug_name"]


def test_it_refuses_a_stop_before_the_start(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _add(
            clinic, pat, drug="edaravone", start_date=date(2024, 2, 1), stop_date=date(2024, 1, 31)
        )
    assert _fields(caught) == ["stop_date"]


def test_it_refuses_a_course_date_after_today(clinic, pat, time_machine, subtests):
    for field in ["start_date", "stop_date"]:
        with subtests.test(field=field):
            time_machine.move_to(date(2025, 6, 1))
            dates = {"start_date": date(2025, 5, 1)} | {field: date(2025, 6, 2)}
            with pytest.raises(InvalidInput) as caught:
                _add(clinic, pat, drug="riluzole", **dates)
            assert _fields(caught) == [field]


def test_it_refuses_an_unlisted_drug_code():
    with pytest.raises(ValidationError, match="riluzole"):
        DrugCourseIn(drug="masitinib", start_date=date(2024, 1, 1))


def test_a_stop_date_added_later_is_a_correction_of_the_course(clinic, pat):
    open_course = _add(clinic, pat, drug="tofersen", start_date=date(2024, 1, 10))
    stopped = records.correct(
        clinic.db,
        clinic["chen"],
        DRUG_COURSE,
        open_course.id,
        Correction[DrugCourseIn](
            record=DrugCourseIn(
                drug="tofersen", start_date=date(2024, 1, 10), stop_date=date(2024, 7, 3)
            ),
            version=1,
            reason="Stopped after lumbar puncture complications",
        ),
    )
    listed = records.list_for_patient(clinic.db, clinic["olga"], DRUG_COURSE, pat.id)
    assert [(c.id, c.stop_date) for c in listed] == [(stopped.id, date(2024, 7, 3))]
