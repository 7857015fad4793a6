"""The cohort's change of ALSFRS-R slope, read from the registry: every current total of the
treated patients in months from their first dose, the model fitted to it, exploratory groups,
responders, and a refusal naming why when too little is there."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest
from treated_cast import AFTER, BEFORE, DOSE_DAY, LATER, alsfrs_form

from alstrack import __version__
from alstrack.analysis import PiecewiseSlopeModel
from alstrack.errors import InvalidInput
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.cohort_outcomes import (
    CAVEAT,
    COLUMNS,
    GROUPS_NOTE,
    cohort_outcomes,
    cohort_visits,
)
from alstrack.services.cohort_responders import responders
from alstrack.services.records import Correction, Void

RESAMPLES = 200  # enough for the tests; the report's default is 1000


def expected_frame(treated: list[Any]) -> pd.DataFrame:
    rows = [
        (p.patient_id, (on - DOSE_DAY).days / 30.4375, float(total))
        for p in treated
        for on, total in zip(BEFORE + AFTER, p.totals, strict=True)
    ]
    return pd.DataFrame(rows, columns=["patient_id", "t_months", "alsfrs_r"])


def test_the_model_is_fitted_to_every_current_total_in_months_from_the_first_dose(
    clinic: Any, treated: list[Any]
) -> None:
    first = treated[0].patient_id
    wrong = records.add(
        clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, first, alsfrs_form(date(2027, 8, 1), 20)
    )
    records.void(
        clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, wrong.id,
        Void(version=wrong.version, reason="Entered on the wrong patient"),
    )  # fmt: skip
    typo = records.add(
        clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, first, alsfrs_form(date(2027, 8, 2), 20)
    )
    records.correct(
        clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, typo.id,
        Correction(record=alsfrs_form(date(2027, 8, 2), 33), version=typo.version,
                   reason="Item 7 misread"),
    )  # fmt: skip
    data = cohort_visits(clinic.db, clinic["olga"], on=LATER.date())
    added = pd.DataFrame(
        [(first, (date(2027, 8, 2) - DOSE_DAY).days / 30.4375, 33.0)],
        columns=list(COLUMNS.values()),
    )
    want = pd.concat([expected_frame(treated), added]).sort_values(["patient_id", "t_months"])
    pd.testing.assert_frame_equal(
        data.frame.sort_values(["patient_id", "t_months"]).reset_index(drop=True),
        want.reset_index(drop=True),
    )
    out = cohort_outcomes(clinic.db, clinic["olga"], bootstrap_resamples=RESAMPLES)
    model = PiecewiseSlopeModel().fit(data.frame, **COLUMNS)
    assert (out.n_patients, out.n_obs) == (5, 36)
    assert out.estimate.slope_change == pytest.approx(model.params_["slope_change"])
    assert out.estimate.slope_before == pytest.approx(model.params_["slope_before"])
    wald = model.conf_int_["slope_change"]
    assert (out.estimate.wald.low, out.estimate.wald.high) == pytest.approx(wald)


def test_the_report_states_its_model_cut_off_intervals_reading_and_caveat(
    clinic: Any, treated: list[Any]
) -> None:
    out = cohort_outcomes(clinic.db, clinic["olga"], bootstrap_resamples=RESAMPLES)
    assert out.on == LATER.date()
    assert (out.model, out.model_version) == ("alstrack.analysis.PiecewiseSlopeModel", __version__)
    assert "β2·max(t, 0)" in out.formula
    estimate = out.estimate
    assert (estimate.bootstrap_resamples, estimate.bootstrap_seed) == (RESAMPLES, 6)
    assert estimate.bootstrap is not None
    assert estimate.robust is not None
    intervals = [estimate.wald, estimate.robust, estimate.bootstrap]
    if any(i.low <= 0 <= i.high for i in intervals):
        assert estimate.reading.startswith("no evidence of a difference in slope")
    else:
        assert "An association in a cohort without controls" in estimate.reading
    assert out.caveat == CAVEAT
    assert out.left_out == {}
    assert out.visits_at_scale_bounds == 0
    assert out.responders == responders(expected_frame(treated))


def test_the_same_data_and_seed_give_the_same_report(clinic: Any, treated: list[Any]) -> None:
    once = cohort_outcomes(clinic.db, clinic["olga"], bootstrap_resamples=RESAMPLES, seed=11)
    again = cohort_outcomes(clinic.db, clinic["aude"], bootstrap_resamples=RESAMPLES, seed=11)
    assert once == again


def test_groups_by_cell_source_route_and_dose_are_exploratory_and_say_why_one_has_no_estimate(
    clinic: Any, treated: list[Any]
) -> None:
    out = cohort_outcomes(clinic.db, clinic["olga"], bootstrap_resamples=RESAMPLES)
    assert out.groups_note == GROUPS_NOTE
    assert [(g.by, g.value, g.n_patients, g.n_obs) for g in out.groups] == [
        ("cell_source", "allogeneic_uc_msc", 3, 21),
        ("cell_source", "allogeneic_wj_msc", 2, 14),
        ("route", "intrathecal", 2, 14),
        ("route", "intravenous", 3, 21),
        ("dose", "1×10^6 cells/kg", 4, 28),
        ("dose", "2×10^6 cells/kg", 1, 7),
    ]
    assert all(g.exploratory for g in out.groups)
    single = out.groups[-1]
    assert single.estimate is None
    assert single.not_estimable == "a mixed model needs at least 2 patients; the data have 1"
    for group in out.groups[:-1]:
        assert group.estimate is not None, group.not_estimable
        assert group.estimate.reading.startswith("EXPLORATORY, not a finding: ")
        assert group.estimate.bootstrap is None
        subset = expected_frame([p for p in treated if _member(p, group.by, group.value)])
        model = PiecewiseSlopeModel().fit(subset, **COLUMNS)
        assert group.estimate.slope_change == pytest.approx(model.params_["slope_change"])


def _member(patient: Any, by: str, value: str) -> bool:
    if by == "dose":
        return value == ("1×10^6 cells/kg" if patient.cells_per_kg == 1e6 else "2×10^6 cells/kg")
    return bool(getattr(patient, by) == value)


def test_a_cut_off_before_any_visit_after_the_dose_is_refused_naming_why(
    clinic: Any, treated: list[Any]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        cohort_outcomes(clinic.db, clinic["olga"], on=date(2026, 11, 30))
    assert refused.value.message.startswith(
        "The cohort model cannot be fitted to the 5 treated patients with 15 ALSFRS-R totals on "
        "or before 2026-11-30: column 't_months' needs visits both before (t < 0) and after"
    )
    assert refused.value.fields[0].field == "cohort"
    with pytest.raises(InvalidInput, match="0 treated patients with 0 ALSFRS-R totals"):
        cohort_outcomes(clinic.db, clinic["olga"], on=date(2026, 10, 31))
