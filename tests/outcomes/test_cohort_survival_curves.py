"""Kaplan-Meier with delayed entry and the Ederer II expected curve, against hand computation."""

from __future__ import annotations

import math

import pytest

from alstrack.analysis.survival import ederer_expected, kaplan_meier


def test_without_delayed_entry_the_curve_is_the_product_limit_by_hand() -> None:
    # Exits 3 (event), 5 (censored), 7 (event), 9 (event): S = 3/4, then 3/4 * 1/2, then 0.
    curve = kaplan_meier([3, 5, 7, 9], [True, False, True, True], [0, 0, 0, 0])
    assert [(p.months, round(p.survival, 4), p.at_risk) for p in curve] == [
        (0.0, 1.0, 4), (3.0, 0.75, 4), (7.0, 0.375, 2), (9.0, 0.0, 1),
    ]  # fmt: skip


def test_a_patient_is_at_risk_only_from_entry() -> None:
    # Entered at 6: not at risk at 3, so the first event removes 1 of 2, not 1 of 3.
    curve = kaplan_meier([3, 8, 10], [True, True, False], [0, 6, 0])
    assert [(p.months, round(p.survival, 4), p.at_risk) for p in curve[1:]] == [
        (3.0, 0.5, 2), (8.0, 0.25, 2),
    ]  # fmt: skip


def test_the_interval_is_the_log_minus_log_one_around_greenwood() -> None:
    curve = kaplan_meier([2, 4, 6, 8, 10], [True, True, False, True, False], [0] * 5)
    point = curve[2]  # after two events of five: S = 0.6
    greenwood = math.sqrt(0.6**2 * (1 / (5 * 4) + 1 / (4 * 3)))
    spread = 1.959963984540054 * greenwood / (0.6 * abs(math.log(0.6)))
    assert point.survival == pytest.approx(0.6)
    assert (point.low, point.high) == (
        pytest.approx(0.6 ** math.exp(spread)), pytest.approx(0.6 ** math.exp(-spread)),
    )  # fmt: skip


def test_the_expected_curve_of_identical_patients_is_their_conditional_survival() -> None:
    def s(t: float) -> float:
        return math.exp(-((t / 30) ** 1.5))

    curve = ederer_expected([6, 6, 6], [24, 24, 24], [s, s, s])
    assert curve[0].months == 6
    for point in curve:
        assert point.survival == pytest.approx(s(point.months) / s(6))


def test_the_expected_curve_follows_those_still_at_risk() -> None:
    def fast(t: float) -> float:
        return math.exp(-t / 5)

    def slow(t: float) -> float:
        return math.exp(-t / 50)

    curve = ederer_expected([0, 0], [2, 4], [fast, slow])
    # Months 0-2: the mean of both; 2-4: the slow patient alone.
    both = (fast(1) / fast(0) + slow(1) / slow(0)) / 2
    assert curve[1].survival == pytest.approx(both)
    assert curve[3].survival / curve[2].survival == pytest.approx(slow(3) / slow(2))
    assert [p.at_risk for p in curve] == [2, 2, 1, 1, 0]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="every exit must come after its entry"):
        kaplan_meier([3], [True], [3])
    assert kaplan_meier([], [], []) == []
    assert ederer_expected([], [], []) == []
