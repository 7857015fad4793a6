"""Data the cohort model cannot use are refused with the argument at fault and what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cohort_cast import COLUMNS, cohort

from alstrack.analysis import PiecewiseSlopeModel
from alstrack.errors import InvalidInput

COHORT = cohort(seed=11, patients=20, visits=5)


def refusal(df: object, **columns: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        PiecewiseSlopeModel().fit(df, **{**COLUMNS, **columns})  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("argument", ["patient", "time", "outcome"])
def test_a_missing_column_is_named_with_its_argument(argument: str) -> None:
    error = refusal(COHORT, **{argument: "no_such_column"})
    assert [f.field for f in error.fields] == [argument]
    assert "'no_such_column' is not in the data" in error.message
    assert "alsfrs_r" in error.message  # the columns there are are listed


def test_something_other_than_a_data_frame_is_refused() -> None:
    error = refusal(COHORT.to_dict("list"))
    assert [f.field for f in error.fields] == ["df"]


@pytest.mark.parametrize(("argument", "column"), [("time", "t_months"), ("outcome", "alsfrs_r")])
def test_non_numeric_values_are_refused(argument: str, column: str) -> None:
    df = COHORT.assign(**{column: COHORT[column].astype(str)})
    error = refusal(df)
    assert [f.field for f in error.fields] == [argument]
    assert "not numbers" in error.message
    assert "to_numeric" in error.message


def test_true_and_false_are_not_scores() -> None:
    error = refusal(COHORT.assign(alsfrs_r=COHORT["alsfrs_r"] > 30))
    assert [f.field for f in error.fields] == ["outcome"]


@pytest.mark.parametrize(("argument", "column"), [("time", "t_months"), ("outcome", "alsfrs_r")])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_rows_with_missing_values_are_refused_not_dropped(
    argument: str, column: str, bad: float
) -> None:
    df = COHORT.copy()
    df.loc[[3, 7], column] = bad
    error = refusal(df)
    assert [f.field for f in error.fields] == [argument]
    assert "2 missing or infinite values (rows 3, 7)" in error.message
    assert "drop or complete" in error.message


def test_a_visit_without_a_patient_is_refused() -> None:
    df = COHORT.copy()
    df.loc[4, "patient_id"] = None
    error = refusal(df)
    assert [f.field for f in error.fields] == ["patient"]
    assert "rows 4" in error.message


def test_one_patient_is_not_a_cohort() -> None:
    error = refusal(COHORT[COHORT["patient_id"] == "P0000"])
    assert [f.field for f in error.fields] == ["patient"]
    assert "at least 2 patients; the data have 1" in error.message


@pytest.mark.parametrize("side", ["before", "after"])
def test_visits_on_one_side_of_the_first_administration_only_are_refused(side: str) -> None:
    t = COHORT["t_months"]
    error = refusal(COHORT[t < 0] if side == "before" else COHORT[t > 0])
    assert [f.field for f in error.fields] == ["time"]
    assert "both before (t < 0) and after (t > 0)" in error.message


def test_two_distinct_times_cannot_give_two_slopes() -> None:
    df = pd.DataFrame(
        {"patient_id": ["a", "a", "b", "b"], "t_months": [-3.0, 3.0] * 2, "alsfrs_r": [40.0] * 4}
    )
    error = refusal(df)
    assert [f.field for f in error.fields] == ["time"]


def test_a_cohort_of_single_visits_is_refused() -> None:
    first_visits = COHORT.groupby("patient_id").head(1)
    first_visits = first_visits.assign(t_months=np.linspace(-6, 6, len(first_visits)))
    error = refusal(first_visits)
    assert [f.field for f in error.fields] == ["patient"]
    assert "two different times" in error.message


def test_a_patient_with_one_visit_is_allowed() -> None:
    df = cohort(seed=11, patients=20, visits=5, single_visit_patients=1)
    model = PiecewiseSlopeModel().fit(df, **COLUMNS)
    assert model.converged_
    assert (model.n_patients_, model.n_obs_) == (20, 19 * 5 + 1)


def test_integer_scores_and_any_patient_labels_are_accepted() -> None:
    df = COHORT.assign(alsfrs_r=COHORT["alsfrs_r"].round().astype(int))
    df["patient_id"] = df["patient_id"].str[1:].astype(int) * 7  # numbers, not in order
    assert PiecewiseSlopeModel().fit(df, **COLUMNS).converged_


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1])
def test_alpha_must_be_a_probability(alpha: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        PiecewiseSlopeModel(alpha=alpha)
    assert [f.field for f in caught.value.fields] == ["alpha"]


@pytest.mark.parametrize(
    "scores",
    [lambda t: np.full(t.shape, 40.0), lambda t: 40.0 - t + 0.5 * np.maximum(t, 0)],
    ids=["constant", "exactly on the population's lines"],
)
def test_scores_without_noise_about_the_population_lines_are_refused(scores: object) -> None:
    t = COHORT["t_months"].to_numpy()
    error = refusal(COHORT.assign(alsfrs_r=scores(t)))  # type: ignore[operator]
    assert [f.field for f in error.fields] == ["outcome"]
    assert "nothing to estimate the noise from" in error.message
