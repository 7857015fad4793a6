"""ALSFRS-R total and subscores (Cedarbaum 1999): all their items, item 5 counted once."""

from __future__ import annotations

import numpy as np
import pytest

from alstrack.domain.alsfrs import score, score_arrays

NORMAL = {f"q{i}": 4 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 4}


def test_it_gives_48_for_a_visit_with_every_item_normal() -> None:
    result = score(NORMAL)
    assert result.total == 48.0
    assert (result.bulbar, result.fine_motor, result.gross_motor, result.respiratory) == (
        12.0,
        12.0,
        12.0,
        12.0,
    )
    assert result.reasons == ()


def test_it_sums_each_subscore_from_its_own_items() -> None:
    items = NORMAL | {"q1": 3, "q2": 2, "q4": 1, "q7": 0, "q12": 2}
    result = score(items)
    assert result.bulbar == 9.0
    assert result.fine_motor == 9.0
    assert result.gross_motor == 8.0
    assert result.respiratory == 10.0
    assert result.total == 36.0


def test_it_counts_item_5b_as_item_5_for_a_patient_with_a_gastrostomy() -> None:
    items = {k: v for k, v in NORMAL.items() if k != "q5a"} | {"q5b": 2}
    assert score(items).fine_motor == 10.0
    assert score(items).total == 46.0


def test_it_leaves_the_total_indeterminate_and_says_which_item_is_missing() -> None:
    result = score(NORMAL | {"q7": None})
    assert result.total is None
    assert result.gross_motor is None
    assert result.bulbar == 12.0
    assert "total: item q7 missing" in result.reasons
    assert "gross_motor: item q7 missing" in result.reasons


def test_it_treats_a_visit_with_neither_5a_nor_5b_as_missing_item_5() -> None:
    items = {k: v for k, v in NORMAL.items() if k != "q5a"}
    result = score(items)
    assert result.total is None
    assert result.fine_motor is None
    assert "fine_motor: item q5a/q5b missing" in result.reasons


def test_it_never_treats_a_missing_item_as_4_or_as_0() -> None:
    result = score({"q1": 4, "q2": 4})
    assert result.bulbar is None
    assert result.total is None


def test_it_keeps_half_points_and_marks_them() -> None:
    result = score(NORMAL | {"q3": 2.5}, allow_half_points=True)
    assert result.total == 46.5
    assert result.bulbar == 10.5
    assert result.half_points is True
    assert score(NORMAL).half_points is False


def test_it_scores_each_row_of_a_batch_on_its_own_items() -> None:
    nan = np.nan
    items = {k: np.array([4.0, 4.0, 3.0]) for k in NORMAL}
    items["q7"] = np.array([4.0, nan, 2.0])
    result = score_arrays(items)
    np.testing.assert_array_equal(result["total"], [48.0, nan, 35.0])
    np.testing.assert_array_equal(result["gross_motor"], [12.0, nan, 8.0])
    np.testing.assert_array_equal(result["bulbar"], [12.0, 12.0, 9.0])


@pytest.mark.parametrize("missing", ["q1", "q5a", "q9", "q12"])
def test_it_needs_every_item_for_the_total(missing: str) -> None:
    assert score(NORMAL | {missing: None}).total is None
