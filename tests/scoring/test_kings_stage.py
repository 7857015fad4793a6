"""King's stage from ALSFRS-R (Roche 2012; Balendra 2014), per row, with missing items."""

from __future__ import annotations

import numpy as np
import pytest

from alstrack.domain.alsfrs import score, score_arrays

# Items 6, 7, 9 and 11 are left out on purpose: King's does not use them.
NORMAL: dict[str, object] = {"q1": 4, "q2": 4, "q3": 4, "q4": 4, "q5a": 4, "q8": 4}
NORMAL |= {"q10": 4, "q12": 4}


def test_it_gives_stage_1_to_a_diagnosed_patient_with_no_region_captured() -> None:
    result = score(NORMAL)
    assert result.kings_regions == 0
    assert result.kings_stage == 1


@pytest.mark.parametrize("item", ["q1", "q2", "q3"])
def test_it_counts_the_bulbar_region_when_any_of_items_1_to_3_is_below_4(item: str) -> None:
    result = score(NORMAL | {item: 3})
    assert result.kings_regions == 1
    assert result.kings_stage == 1


@pytest.mark.parametrize(("item", "value"), [("q4", 3), ("q5a", 3)])
def test_it_counts_the_upper_limb_region_from_item_4_or_5(item: str, value: int) -> None:
    assert score(NORMAL | {"q1": 3, item: value}).kings_stage == 2


def test_it_counts_the_upper_limb_region_from_item_5b() -> None:
    items = {k: v for k, v in NORMAL.items() if k != "q5a"} | {"q5b": 3}
    assert score(items).kings_regions == 1


def test_it_counts_the_lower_limb_region_from_walking() -> None:
    assert score(NORMAL | {"q8": 3}).kings_regions == 1


def test_it_gives_stage_3_with_all_three_regions_involved() -> None:
    result = score(NORMAL | {"q2": 2, "q4": 1, "q8": 0})
    assert result.kings_regions == 3
    assert result.kings_stage == 3


def test_it_ignores_items_6_7_9_and_11() -> None:
    result = score(NORMAL | {"q6": 0, "q7": 0, "q9": 0, "q11": 0})
    assert result.kings_stage == 1


@pytest.mark.parametrize(("item", "value"), [("q10", 0), ("q12", 3), ("q12", 0)])
def test_it_gives_stage_4b_when_ventilation_is_needed(item: str, value: int) -> None:
    result = score(NORMAL | {item: value})
    assert result.kings_4b is True
    assert result.kings_4a is False
    assert result.kings_stage == 4


def test_it_does_not_give_4b_for_dyspnea_above_0() -> None:
    assert score(NORMAL | {"q10": 1}).kings_4b is False


def test_it_gives_stage_4a_when_item_5b_was_scored() -> None:
    items = {k: v for k, v in NORMAL.items() if k != "q5a"} | {"q5b": 4}
    result = score(items)
    assert result.kings_4a is True
    assert result.kings_stage == 4


def test_it_reports_both_flags_when_4a_and_4b_hold() -> None:
    items = {k: v for k, v in NORMAL.items() if k != "q5a"} | {"q5b": 2, "q12": 1}
    result = score(items)
    assert (result.kings_4a, result.kings_4b, result.kings_stage) == (True, True, 4)


def test_it_gives_stage_5_at_death_even_with_every_item_missing() -> None:
    result = score({}, dead=True)
    assert result.kings_stage == 5
    assert not any(r.startswith("kings_stage") for r in result.reasons)


def test_it_gives_stage_4b_when_dyspnea_is_zero_even_if_q12_is_missing() -> None:
    result = score(NORMAL | {"q10": 0, "q12": None})
    assert result.kings_4b is True
    assert result.kings_stage == 4


def test_it_leaves_4b_indeterminate_when_dyspnea_is_above_0_and_q12_is_missing() -> None:
    result = score(NORMAL | {"q10": 2, "q12": None})
    assert result.kings_4b is None
    assert result.kings_stage is None
    assert "kings_4b: 4B (ventilation) needs q12, which is missing" in result.reasons


def test_it_counts_a_region_with_one_item_below_4_whatever_the_missing_ones() -> None:
    result = score(NORMAL | {"q1": 3, "q2": None, "q3": None})
    assert result.kings_regions == 1


def test_it_does_not_count_an_empty_item_as_not_involved() -> None:
    result = score(NORMAL | {"q1": 3, "q4": 3, "q8": None})
    assert result.kings_regions is None
    assert result.kings_stage is None
    assert "kings_stage: lower-limb region needs q8, which is missing" in result.reasons


def test_it_gives_stage_1_when_the_only_unknown_region_could_not_raise_it() -> None:
    result = score(NORMAL | {"q8": None})
    assert result.kings_regions is None
    assert result.kings_stage == 1


def test_it_leaves_the_stage_indeterminate_when_the_gastrostomy_is_unknown() -> None:
    result = score({k: v for k, v in NORMAL.items() if k != "q5a"} | {"q4": 3})
    assert result.kings_4a is None
    assert result.kings_stage is None
    assert any("4A (gastrostomy) needs q5a or q5b" in r for r in result.reasons)


def test_it_stages_each_row_of_a_batch_on_its_own_items() -> None:
    nan = np.nan
    items = {k: np.full(4, 4.0) for k in ("q1", "q2", "q3", "q4", "q5a", "q8", "q10", "q12")}
    items["q1"] = np.array([3.0, 4.0, 4.0, 4.0])
    items["q8"] = np.array([4.0, nan, 3.0, 4.0])
    items["q10"] = np.array([4.0, 4.0, 4.0, 0.0])
    result = score_arrays(items, dead=np.array([False, False, False, False]))
    np.testing.assert_array_equal(result["kings_regions"], [1.0, nan, 1.0, 0.0])
    np.testing.assert_array_equal(result["kings_stage"], [1.0, 1.0, 1.0, 4.0])
    np.testing.assert_array_equal(result["kings_4b"], [0.0, 0.0, 0.0, 1.0])
