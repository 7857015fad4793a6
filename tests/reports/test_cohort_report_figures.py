"""The cohort report's figures, drawn from made-up views without a database: the model's mean
line only where the model was fitted, the reason in its place where it was not, the expected
survival curve beside the observed ones, and the same bytes for the same view."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import matplotlib
from report_reading import words

from alstrack.reports.cohort_plots import event_free_svg, slopes_svg
from alstrack.reports.cohort_views import (
    MeanLine,
    SlopeChangeLine,
    SlopeSection,
    SurvivalPoint,
    SurvivalSection,
)

CUT_OFF = date(2027, 6, 30)
REFUSED = (
    "The cohort model cannot be fitted to the 1 treated patient with 3 ALSFRS-R totals on or "
    "before 2027-06-30: a mixed model needs at least 2 patients; the data have 1"
)
FITTED = SlopeSection(
    trajectories=(((-3.0, 44.0), (0.0, 41.0), (3.0, 39.0)), ((-2.0, 40.0), (0.0, 38.0))),
    n_patients=2, n_obs=5, n_before=4, n_after=1, left_out=(), population="made up",
    model="alstrack.analysis.PiecewiseSlopeModel", model_version="9.9", formula="made up",
    estimate=SlopeChangeLine(2, 5, -1.0, -1.5, -0.5, 0.25, (), True, False, "made up"),
    mean_line=MeanLine(40.0, -1.0, 0.25), refused=None, notes=(), visits_at_scale_bounds=0,
    groups_note="made up", groups=(),
)  # fmt: skip
SURVIVAL = SurvivalSection(
    population="treated", patients=3, events=2, left_out=(),
    observed=(
        SurvivalPoint(4.0, 1.0, 1.0, 1.0, 3), SurvivalPoint(20.0, 0.67, 0.05, 0.95, 3),
        SurvivalPoint(30.0, 0.33, 0.01, 0.77, 2),
    ),
    median_months_observed=30.0, patients_with_prognosis=2,
    observed_with_prognosis=(SurvivalPoint(4.0, 1.0, 1.0, 1.0, 2),
                             SurvivalPoint(20.0, 0.5, 0.01, 0.91, 2)),
    expected=tuple(SurvivalPoint(4.0 + m, 0.98**m, None, None, None) for m in range(30)),
    model="encals-survival 2018-public-code.1", provenance="made up", caveat="made up",
)  # fmt: skip


def svg_text(figure: str) -> str:
    return words(" ".join(re.findall(r">([^<]*)</text>", figure)))


def test_the_mean_line_is_drawn_with_its_slopes_where_the_model_was_fitted() -> None:
    figure = slopes_svg(FITTED, cut_off=CUT_OFF, software="alstrack test")
    assert 'id="cohort-alsfrs-mean-line"' in figure
    assert 'id="cohort-alsfrs-patient-1"' in figure
    text = svg_text(figure)
    assert "model mean: −1.00 points/month before the first dose, −0.75 after" in text
    assert (
        "Data cut-off 2027-06-30 · n = 2 patients, 5 ALSFRS-R totals (4 on or before the first "
        "dose, 1 after) · model alstrack.analysis.PiecewiseSlopeModel, version 9.9: made up · "
        "alstrack test" in text
    )


def test_where_the_model_was_refused_the_figure_says_why_and_draws_no_line() -> None:
    refused = replace(FITTED, estimate=None, mean_line=None, refused=REFUSED)
    figure = slopes_svg(refused, cut_off=CUT_OFF, software="alstrack test")
    assert "mean-line" not in figure
    assert f"version 9.9 not fitted: {REFUSED} · alstrack test" in svg_text(figure)


def test_a_fit_that_did_not_converge_draws_no_line_and_says_so() -> None:
    figure = slopes_svg(replace(FITTED, mean_line=None), cut_off=CUT_OFF, software="test")
    assert "mean-line" not in figure
    assert "the fit did not converge, no mean line drawn" in svg_text(figure)


def test_the_expected_curve_is_drawn_beside_the_observed_curves() -> None:
    figure = event_free_svg(SURVIVAL, cut_off=CUT_OFF, software="alstrack test")
    for part in ("observed", "observed-band", "observed-with-prognosis", "expected"):
        assert f'id="cohort-survival-{part}"' in figure
    text = svg_text(figure)
    assert "Data cut-off 2027-06-30 · n = 3 patients, 2 events" in text
    assert "2 with an ENCALS prediction" in text
    assert "Ederer II mean of model encals-survival 2018-public-code.1 · alstrack test" in text


def test_the_same_view_gives_the_same_svg_and_leaves_matplotlib_settings_as_they_were() -> None:
    before = dict(matplotlib.rcParams)
    first = slopes_svg(FITTED, cut_off=CUT_OFF, software="alstrack test")
    assert slopes_svg(FITTED, cut_off=CUT_OFF, software="alstrack test") == first
    survival = event_free_svg(SURVIVAL, cut_off=CUT_OFF, software="alstrack test")
    assert event_free_svg(SURVIVAL, cut_off=CUT_OFF, software="alstrack test") == survival
    assert first.startswith("<svg")
    assert "<metadata>" not in first
    assert dict(matplotlib.rcParams) == before
