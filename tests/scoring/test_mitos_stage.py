"""MiToS stage (Chiò et al., JNNP 2015, Table 1), per row, with missing items."""

from __future__ import annotations

import numpy as np
import pytest

from alstrack.domain.alsfrs import score, score_arrays

NORMAL: dict[str, object] = {f"q{i}": 4 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)}
NORMAL |= {"q5a": 4}


def test_it_gives_stage_0_with_no_domain_lost() -> None:
    result = score(NORMAL)
    assert result.mitos_stage == 0
    assert set(result.mitos_domains.values()) == {False}


@pytest.mark.parametrize(("item", "value"), [("q8", 1), ("q6", 1), ("q8", 0)])
def test_it_counts_walking_self_care_lost_from_walking_or_dressing(item: str, value: int) -> None:
    result = score(NORMAL | {item: value})
    assert result.mitos_domains["walking_self_care"] is True
    assert result.mitos_stage == 1


def test_it_keeps_walking_self_care_at_2() -> None:
    assert score(NORMAL | {"q8": 2, "q6": 2}).mitos_stage == 0


def test_it_counts_swallowing_lost_at_1_or_below() -> None:
    assert score(NORMAL | {"q3": 1}).mitos_domains["swallowing"] is True
    assert score(NORMAL | {"q3": 2}).mitos_domains["swallowing"] is False


def test_it_needs_both_speech_and_handwriting_lost_for_communicating() -> None:
    assert score(NORMAL | {"q1": 1}).mitos_domains["communicating"] is False
    assert score(NORMAL | {"q4": 0}).mitos_domains["communicating"] is False
    assert score(NORMAL | {"q1": 1, "q4": 1}).mitos_domains["communicating"] is True


@pytest.mark.parametrize(("item", "value"), [("q10", 1), ("q12", 2)])
def test_it_counts_breathing_lost_from_dyspnea_or_respiratory_insufficiency(
    item: str, value: int
) -> None:
    assert score(NORMAL | {item: value}).mitos_domains["breathing"] is True


def test_it_keeps_breathing_with_intermittent_bipap() -> None:
    assert score(NORMAL | {"q12": 3}).mitos_domains["breathing"] is False


def test_it_gives_stage_4_with_every_domain_lost() -> None:
    assert score(NORMAL | {"q8": 0, "q3": 0, "q1": 0, "q4": 0, "q10": 0}).mitos_stage == 4


def test_it_gives_stage_5_at_death_even_with_items_missing() -> None:
    assert score({"q1": 2}, dead=True).mitos_stage == 5


def test_it_counts_a_domain_lost_whatever_its_other_item_when_one_rule_holds() -> None:
    result = score(NORMAL | {"q8": 1, "q6": None})
    assert result.mitos_domains["walking_self_care"] is True
    assert result.mitos_stage == 1


def test_it_counts_communicating_kept_when_one_item_is_above_1_and_the_other_is_missing() -> None:
    result = score(NORMAL | {"q1": 3, "q4": None})
    assert result.mitos_domains["communicating"] is False
    assert result.mitos_stage == 0


def test_it_leaves_the_stage_indeterminate_when_a_missing_item_could_change_it() -> None:
    result = score(NORMAL | {"q3": None})
    assert result.mitos_domains["swallowing"] is None
    assert result.mitos_stage is None
    assert "mitos_stage: swallowing domain needs q3, which is missing" in result.reasons


def test_it_stages_each_row_of_a_batch_on_its_own_items() -> None:
    nan = np.nan
    items = {k: np.full(3, 4.0) for k in NORMAL}
    items["q3"] = np.array([1.0, nan, 4.0])
    items["q12"] = np.array([2.0, 4.0, 4.0])
    result = score_arrays(items, dead=np.array([False, False, True]))
    np.testing.assert_array_equal(result["mitos_stage"], [2.0, nan, 5.0])
