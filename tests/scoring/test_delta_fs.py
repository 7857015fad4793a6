"""ΔFS (Kimura et al., 2006): points lost per month from symptom onset."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from alstrack.domain.alsfrs import delta_fs, delta_fs_arrays

ONSET = date(2020, 1, 15)


def test_it_gives_the_worked_example_from_the_domain_page() -> None:
    value = delta_fs(36, ONSET, date(2021, 1, 15))
    assert value is not None
    assert round(value, 5) == 0.99795


def test_it_uses_40_as_the_maximum_for_the_original_alsfrs() -> None:
    value = delta_fs(28, ONSET, date(2021, 1, 15), max_score=40)
    assert value == pytest.approx(12 / (366 / 30.4375))


def test_it_is_zero_for_a_full_score() -> None:
    assert delta_fs(48, ONSET, date(2020, 6, 1)) == 0.0


@pytest.mark.parametrize("visit", [ONSET, date(2019, 12, 1)])
def test_it_is_undefined_when_the_visit_is_not_after_onset(visit: date) -> None:
    assert delta_fs(36, ONSET, visit) is None


@pytest.mark.parametrize(
    ("total", "onset", "visit"),
    [(None, ONSET, date(2021, 1, 15)), (36, None, date(2021, 1, 15)), (36, ONSET, None)],
)
def test_it_is_undefined_when_an_input_is_missing(
    total: float | None, onset: date | None, visit: date | None
) -> None:
    assert delta_fs(total, onset, visit) is None


def test_it_computes_each_row_of_a_batch_on_its_own() -> None:
    result = delta_fs_arrays(
        np.array([36.0, 36.0, np.nan, 48.0, 40.0]), np.array([366.0, 0.0, 100.0, 30.0, -5.0])
    )
    assert result[0] == pytest.approx(0.997951, abs=1e-6)
    assert np.isnan(result[1])
    assert np.isnan(result[2])
    assert result[3] == 0.0
    assert np.isnan(result[4])
