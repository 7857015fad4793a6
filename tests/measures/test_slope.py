"""Least-squares slope of a score over visits, in points per month."""

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alstrack.domain.progression import DAYS_PER_MONTH, slope
from alstrack.errors import InvalidInput

# Alice's ALSFRS-R totals at her follow-up visits.
ALICE = [
    (date(2024, 1, 10), 40.0),
    (date(2024, 2, 12), 39.0),
    (date(2024, 4, 8), 38.0),
    (date(2024, 7, 1), 35.0),
    (date(2024, 10, 3), 33.0),
]


def polyfit_slope(points: list[tuple[date, float]]) -> float:
    days = np.array([(visit - points[0][0]).days for visit, _ in points], dtype=float)
    scores = np.array([score for _, score in points])
    return float(np.polyfit(days / DAYS_PER_MONTH, scores, 1)[0])


def test_it_agrees_with_numpy_polyfit() -> None:
    result = slope(ALICE)
    assert result.points_per_month == pytest.approx(polyfit_slope(ALICE), rel=1e-12)
    assert result.n_visits == 5
    assert (result.first, result.last) == (date(2024, 1, 10), date(2024, 10, 3))
    assert result.reason is None


def test_a_loss_of_48_points_in_four_years_is_one_point_a_month() -> None:
    # 2020-01-01 to 2024-01-01 is 1461 days, exactly 48 months of 30.4375 days.
    points = [(date(2020, 1, 1), 48.0), (date(2024, 1, 1), 0.0)]
    assert slope(points).points_per_month == pytest.approx(-1.0, rel=1e-12)


def test_it_uses_only_the_visits_inside_the_window_ends_included() -> None:
    result = slope(ALICE, start=date(2024, 2, 12), end=date(2024, 7, 1))
    assert result.n_visits == 3
    assert (result.first, result.last) == (date(2024, 2, 12), date(2024, 7, 1))
    assert result.points_per_month == pytest.approx(polyfit_slope(ALICE[1:4]), rel=1e-12)


def test_the_order_of_the_visits_does_not_matter() -> None:
    assert slope(list(reversed(ALICE))) == slope(ALICE)


def test_it_gives_no_slope_without_visits_in_the_window() -> None:
    result = slope(ALICE, start=date(2025, 1, 1))
    assert result.points_per_month is None
    assert result.n_visits == 0
    assert (result.first, result.last) == (None, None)
    assert result.reason == "no visits in the window"


def test_it_gives_no_slope_from_one_visit() -> None:
    result = slope(ALICE[:1])
    assert result.points_per_month is None
    assert result.n_visits == 1
    assert result.reason == "only one visit in the window"


def test_it_gives_no_slope_when_all_visits_are_on_one_day() -> None:
    result = slope([(date(2024, 3, 1), 40.0), (date(2024, 3, 1), 38.0)])
    assert result.points_per_month is None
    assert result.n_visits == 2
    assert result.reason == "all visits in the window are on one day"


def test_it_refuses_a_window_that_ends_before_it_starts() -> None:
    with pytest.raises(InvalidInput) as caught:
        slope(ALICE, start=date(2024, 5, 1), end=date(2024, 4, 1))
    assert caught.value.fields[0].field == "start"


def test_it_refuses_a_score_that_is_not_a_number() -> None:
    with pytest.raises(InvalidInput) as caught:
        slope([(date(2024, 1, 1), 40.0), (date(2024, 2, 1), float("nan"))])
    assert "2024-02-01" in caught.value.fields[0].message


visits = st.lists(
    st.tuples(
        st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31)),
        st.integers(min_value=0, max_value=48).map(float),
    ),
    min_size=2,
    max_size=20,
)


@given(visits)
def test_it_agrees_with_numpy_polyfit_on_any_visits(points: list[tuple[date, float]]) -> None:
    result = slope(points)
    if len({visit for visit, _ in points}) < 2:
        assert result.points_per_month is None
        return
    ordered = sorted(points)
    assert result.points_per_month == pytest.approx(polyfit_slope(ordered), rel=1e-6, abs=1e-9)
