"""One patient's slopes and expected course: checked against the textbook formulas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from alstrack.analysis.trajectory import (
    Comparison,
    delta_fs_slope,
    expected_course,
    fit_slope,
    observed_minus_expected,
)
from alstrack.services.outcomes import reading

MONTHS = [-9.0, -6.0, -4.0, -2.0, 0.0]
VALUES = [45.0, 41.0, 41.0, 38.0, 37.0]


def test_the_slope_and_its_interval_are_the_least_squares_line_and_its_t_interval() -> None:
    s = fit_slope(MONTHS, VALUES)
    x, y = np.array(MONTHS), np.array(VALUES)
    b, a = np.polyfit(x, y, 1)
    residuals = y - (a + b * x)
    se = np.sqrt(residuals @ residuals / (len(x) - 2) / ((x - x.mean()) ** 2).sum())
    t = stats.t.ppf(0.975, len(x) - 2)
    assert s.per_month == pytest.approx(b)
    assert (s.low, s.high) == (pytest.approx(b - t * se), pytest.approx(b + t * se))
    assert s.n_visits == 5


def test_two_visits_give_a_line_without_an_interval_and_one_gives_none() -> None:
    two = fit_slope([-3.0, 0.0], [40.0, 37.0])
    assert (two.per_month, two.low, two.high) == (pytest.approx(-1.0), None, None)
    assert two.note == "two visits: a line, but no interval"
    one = fit_slope([0.0], [37.0])
    assert (one.per_month, one.n_visits) == (None, 1)
    same_day = fit_slope([0.0, 0.0], [37.0, 38.0])
    assert same_day.per_month is None


def test_the_expected_value_carries_the_prediction_interval_of_one_new_visit() -> None:
    [at_6], how = expected_course(MONTHS, VALUES, [6.0])
    x, y = np.array(MONTHS), np.array(VALUES)
    b, a = np.polyfit(x, y, 1)
    n = len(x)
    s = np.sqrt(((y - (a + b * x)) ** 2).sum() / (n - 2))
    half = (
        stats.t.ppf(0.975, n - 2)
        * s
        * np.sqrt(1 + 1 / n + (6.0 - x.mean()) ** 2 / ((x - x.mean()) ** 2).sum())
    )
    assert at_6.value == pytest.approx(a + 6 * b)
    assert (at_6.low, at_6.high) == (
        pytest.approx(a + 6 * b - half),
        pytest.approx(a + 6 * b + half),
    )
    assert "5 visits before the first dose" in how


def test_too_few_visits_before_the_dose_fall_back_to_delta_fs_without_an_interval() -> None:
    [at_3], how = expected_course([-1.0], [40.0], [3.0], delta_fs=0.8)
    assert (at_3.value, at_3.low, at_3.high) == (pytest.approx(40 - 0.8 * 4), None, None)
    assert how.startswith("ΔFS 0.80 points/month")
    [floor], _ = expected_course([-1.0], [2.0], [12.0], delta_fs=0.8, bounds=(0, 48))
    assert floor.value == 0
    assert expected_course([], [], [3.0])[0] == []
    assert delta_fs_slope(0.8).per_month == pytest.approx(-0.8)


def test_observed_minus_expected_takes_the_visit_nearest_each_horizon() -> None:
    compared = observed_minus_expected(
        MONTHS, VALUES, [1.0, 2.9, 3.4, 6.2], [36.0, 35.0, 34.0, 33.0], horizons=(3, 6, 12)
    )
    three, six, twelve = compared
    assert (three.observed_at_months, three.observed) == (2.9, 35.0)
    [expected], _ = expected_course(MONTHS, VALUES, [2.9])
    assert three.difference == pytest.approx(35.0 - expected.value)
    assert three.low == pytest.approx(35.0 - (expected.high or 0))
    assert six.observed == 33.0
    assert twelve.difference is None
    assert twelve.note == "no visit within 1.5 months of month 12"


@pytest.mark.parametrize(
    ("low", "high", "words"),
    [
        (-1.0, 3.0, "no evidence of a difference from the expected course"),
        (0.0, 3.0, "no evidence of a difference from the expected course"),
        (0.5, 3.0, "above the expected course, beyond its 95% prediction interval"),
        (-3.0, -0.5, "below the expected course, beyond its 95% prediction interval"),
        (None, None, "no interval: the difference cannot be judged"),
    ],
)
def test_the_reading_follows_the_interval_and_never_names_a_cause(
    low: float | None, high: float | None, words: str
) -> None:
    text = reading(Comparison(6, 33.0, 6.0, 31.0, None, None, 2.0, low, high))
    assert text.startswith(words)
    for claim in ("effective", "works", "improved by", "because of", "treatment effect"):
        assert claim not in text


def test_why_there_is_no_expected_course_says_how_many_visits_there_were() -> None:
    assert expected_course([-1.0, 0.0], [40.0, 39.0], [3.0])[1] == (
        "2 visits before the first dose (too few for a line) and no ΔFS: no expected course"
    )
    assert expected_course([], [], [3.0])[1] == (
        "no visit before the first dose and no ΔFS: no expected course"
    )
