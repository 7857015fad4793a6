"""How registry facts become data elements: age, El Escorial codes, lead-in slope, drug courses."""

from __future__ import annotations

from datetime import date

import pytest

from alstrack.domain.eligibility.inputs import (
    DrugCourse,
    age_in_full_years,
    decline_per_month,
    drug_on,
    el_escorial_code,
    last_taken,
    parameters,
)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1976, 3, 10), date(2026, 3, 9), 49),
        (date(1976, 3, 10), date(2026, 3, 10), 50),
        (date(1980, 2, 29), date(2026, 2, 28), 45),
        (date(1980, 2, 29), date(2026, 3, 1), 46),
    ],
)
def test_age_counts_completed_years_from_the_birthday(born: date, on: date, age: int) -> None:
    assert age_in_full_years(born, on) == age


def test_the_registry_category_is_spelled_as_the_rules_spell_it() -> None:
    assert el_escorial_code("revised_el_escorial", "probable_laboratory_supported") == (
        "probable_lab_supported"
    )
    assert el_escorial_code("revised_el_escorial", "definite") == "definite"
    assert el_escorial_code("gold_coast", "als") is None


def test_the_lead_in_window_is_17_weeks_as_in_alsummit() -> None:
    assert parameters().alsfrs_r_slope.lead_in_days == 119


def test_a_decline_is_positive_points_per_month_over_the_lead_in() -> None:
    visits = [(date(2026, 7, 10), 44.0), (date(2026, 10, 29), 40.0)]
    found = decline_per_month(visits, date(2026, 11, 1))
    assert found.decline == pytest.approx(4 / (111 / 30.4375))
    assert (found.visits, found.first, found.last) == (2, date(2026, 7, 10), date(2026, 10, 29))


def test_visits_before_the_lead_in_window_are_left_out() -> None:
    on = date(2026, 11, 1)
    visits = [(date(2026, 7, 4), 46.0), (date(2026, 7, 5), 44.0), (date(2026, 10, 29), 40.0)]
    assert decline_per_month(visits, on).first == date(2026, 7, 5)  # 119 days before 1 November


def test_one_visit_or_visits_too_close_together_give_no_slope_and_say_why() -> None:
    on = date(2026, 11, 1)
    one = decline_per_month([(date(2026, 10, 29), 40.0)], on)
    assert one.decline is None
    assert one.reason == "1 ALSFRS-R visit(s) in the 119 days to 2026-11-01; at least 2 needed"
    close = decline_per_month([(date(2026, 10, 1), 41.0), (date(2026, 10, 28), 40.0)], on)
    assert close.decline is None
    assert (
        close.reason == "the visits in the 119 days to 2026-11-01 span 27 days; at least 84 needed"
    )


def test_a_flat_course_is_a_decline_of_zero() -> None:
    flat = decline_per_month(
        [(date(2026, 7, 15), 40.0), (date(2026, 10, 30), 40.0)], date(2026, 11, 1)
    )
    assert flat.decline == 0.0


COURSES = [
    DrugCourse("riluzole", date(2025, 1, 1), date(2025, 6, 30)),
    DrugCourse("riluzole", date(2026, 2, 1), None),
    DrugCourse("edaravone", date(2026, 1, 1), date(2026, 9, 15)),
]


def test_the_course_that_covers_a_day_is_found_and_a_stopped_one_is_not() -> None:
    found = drug_on(COURSES, "riluzole", date(2026, 11, 1))
    assert found is not None
    assert found.start == date(2026, 2, 1)
    assert drug_on(COURSES, "riluzole", date(2025, 12, 1)) is None
    assert drug_on(COURSES, "riluzole", date(2025, 6, 30)) is not None  # the stop day counts


def test_the_last_day_taken_is_the_stop_day_or_the_day_itself_while_a_course_runs() -> None:
    assert last_taken(COURSES, "edaravone", date(2026, 11, 1)) == date(2026, 9, 15)
    assert last_taken(COURSES, "edaravone", date(2026, 5, 1)) == date(2026, 5, 1)
    assert last_taken(COURSES, "edaravone", date(2025, 12, 31)) is None
    assert last_taken(COURSES, "tofersen", date(2026, 11, 1)) is None
