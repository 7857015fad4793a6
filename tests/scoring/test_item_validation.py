"""Item validation: names, ranges, half points, 5a/5b, and what the error says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alstrack.domain.alsfrs import ITEMS, score, score_arrays, validate_items
from alstrack.errors import InvalidInput


def fields(error: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {f.field: f.message for f in error.value.fields}


def test_it_returns_every_item_with_none_where_missing() -> None:
    values = validate_items({"q1": 3, "q5b": 2})
    assert set(values) == set(ITEMS)
    assert values["q1"] == 3.0
    assert values["q5b"] == 2.0
    assert values["q2"] is None


def test_it_rejects_an_unknown_item_and_lists_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_items({"q5": 3})
    assert "q5a" in fields(error)["q5"]
    assert error.value.code == "invalid_input"


@pytest.mark.parametrize("value", [5, -1, 4.01, math.inf])
def test_it_rejects_a_value_outside_0_to_4(value: float) -> None:
    with pytest.raises(InvalidInput) as error:
        validate_items({"q3": value})
    assert "whole number 0 to 4" in fields(error)["q3"]


def test_it_rejects_half_points_unless_allowed() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_items({"q3": 2.5})
    assert "whole number" in fields(error)["q3"]
    assert validate_items({"q3": 2.5}, allow_half_points=True)["q3"] == 2.5


def test_it_rejects_quarter_points_even_when_half_points_are_allowed() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_items({"q3": 2.25}, allow_half_points=True)
    assert "steps of 0.5" in fields(error)["q3"]


@pytest.mark.parametrize("value", [True, False, np.bool_(True), "3", [3]])
def test_it_rejects_booleans_and_non_numbers(value: object) -> None:
    with pytest.raises(InvalidInput) as error:
        validate_items({"q1": value})
    assert "q1" in fields(error)


def test_it_accepts_numpy_numbers_and_treats_nan_as_missing() -> None:
    values = validate_items({"q1": np.int64(3), "q2": np.float64(4.0), "q3": math.nan})
    assert values["q1"] == 3.0
    assert values["q2"] == 4.0
    assert values["q3"] is None


def test_it_rejects_both_5a_and_5b_and_says_to_give_one() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_items({"q5a": 3, "q5b": 2})
    message = "give q5a (no gastrostomy) or q5b (gastrostomy), not both"
    assert fields(error) == {"q5a": message, "q5b": message}


def test_it_reports_every_field_at_fault_at_once() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_items({"q1": 7, "q2": "x", "q13": 1})
    assert set(fields(error)) == {"q1", "q2", "q13"}


def test_score_validates_before_scoring() -> None:
    with pytest.raises(InvalidInput):
        score({"q8": 6})


def test_score_arrays_rejects_unknown_items_and_ragged_arrays() -> None:
    with pytest.raises(InvalidInput):
        score_arrays({"q5": np.array([1.0])})
    with pytest.raises(InvalidInput):
        score_arrays({"q1": np.array([1.0]), "q2": np.array([1.0, 2.0])})


def test_score_arrays_treats_a_row_with_both_5a_and_5b_as_unknown_item_5() -> None:
    items = {k: np.array([4.0]) for k in ITEMS}
    result = score_arrays(items)
    assert np.isnan(result["total"][0])
    assert np.isnan(result["kings_4a"][0])
