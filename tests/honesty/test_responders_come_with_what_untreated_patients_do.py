"""Responders are counted by a stated threshold, beside how often untreated patients meet the
same definitions: in a cohort with no true change some patients still "respond"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from honest_cohorts import cohort

from alstrack.errors import InvalidInput
from alstrack.services.cohort_responders import RESPONDER_THRESHOLD, responders


def test_with_no_true_change_some_patients_still_meet_the_responder_definition() -> None:
    found = responders(cohort(0, slope_change=0.0))
    assert found.threshold_points_per_month == RESPONDER_THRESHOLD == 1.25
    assert found.responders.count > 0
    assert found.responders.of > 180
    assert found.untreated_comparison.startswith("27.7% met this definition in the NurOwn")
    six = found.no_decline[0]
    assert (six.horizon_months, six.untreated_percent) == (6, 25.0)
    assert six.patients.count > 0
    assert "Bedlack" in six.untreated_source


def test_the_counts_are_those_of_each_patients_own_lines() -> None:
    # A: -1/month before, +0.5 after (change 1.5: responds); B: -1 then -0.5 (0.5: does not);
    # C: one visit before (no slope before: not counted).
    df = pd.DataFrame(
        {
            "patient_id": [1] * 5 + [2] * 5 + [3] * 3,
            "t_months": [-6, -3, 0, 3, 6] * 2 + [0, 3, 6],
            "alsfrs_r": [46, 43, 40, 41.5, 43, 46, 43, 40, 38.5, 37, 40, 39, 38],
        }
    )
    found = responders(df)
    assert (found.responders.count, found.responders.of) == (1, 2)
    assert [n.patients.count for n in found.no_decline] == [1, 0, 0]
    assert [n.patients.of for n in found.no_decline] == [3, 0, 0]
    stricter = responders(df, threshold=2.0)
    assert stricter.responders.count == 0
    assert stricter.untreated_comparison.startswith("no published untreated figure for 2")


@pytest.mark.parametrize("threshold", [0.0, -1.0, 49.0, float(np.nan)])
def test_a_threshold_that_is_not_a_positive_amount_is_refused(threshold: float) -> None:
    with pytest.raises(InvalidInput, match="responder_threshold"):
        responders(cohort(0, slope_change=0.0, patients=10), threshold=threshold)
