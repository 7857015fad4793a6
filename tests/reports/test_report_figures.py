"""The figures, drawn from made-up views without a database: a band only where the expectation
has an interval, the same bytes for the same view, and matplotlib's global settings untouched."""

from __future__ import annotations

from datetime import date

import matplotlib

from alstrack.reports.patient_views import ExpectedPoint, MeasureSection, SlopeLine, ValuePoint
from alstrack.reports.plots import measure_svg

NO_SLOPE = SlopeLine(None, None, None, 0, "least squares over 0 visits", None)


def section(expected: tuple[ExpectedPoint, ...]) -> MeasureSection:
    points = tuple(
        ValuePoint(date(2026, 1, 1), months, value)
        for months, value in ((-2.0, 41.0), (0.0, 40.0), (3.0, 39.0))
    )
    return MeasureSection(
        key="alsfrs_r_total", title="ALSFRS-R total", unit="points", points=points,
        n_before=2, n_after=1, expected=expected, expected_method="made up",
        slope_before=NO_SLOPE, slope_before_from_onset=None, slope_after=NO_SLOPE,
        comparisons=(), comparison_note=None,
    )  # fmt: skip


def draw(view: MeasureSection) -> str:
    return measure_svg(
        view,
        doses_months=(0.0, 1.0),
        time_origin="the first dose (2026-01-01)",
        months_range=(-2.0, 4.0),
        cut_off=date(2026, 5, 1),
        software="alstrack test",
    )


def test_an_expectation_without_an_interval_is_drawn_as_a_line_without_a_band() -> None:
    figure = draw(
        section((ExpectedPoint(0.0, 40.0, None, None), ExpectedPoint(4.0, 37.0, None, None)))
    )
    assert 'id="alsfrs_r_total-expected-course"' in figure
    assert "prediction-band" not in figure
    assert 'id="alsfrs_r_total-dose-1"' in figure
    assert 'id="alsfrs_r_total-dose-2"' in figure
    assert 'id="alsfrs_r_total-cut-off"' in figure


def test_the_band_is_drawn_where_the_expectation_has_its_interval() -> None:
    figure = draw(
        section((ExpectedPoint(0.0, 40.0, 38.0, 42.0), ExpectedPoint(4.0, 37.0, 33.0, 41.0)))
    )
    assert 'id="alsfrs_r_total-prediction-band"' in figure


def test_the_same_view_gives_the_same_svg_and_leaves_matplotlib_settings_as_they_were() -> None:
    before = dict(matplotlib.rcParams)
    view = section((ExpectedPoint(0.0, 40.0, 38.0, 42.0),))
    first = draw(view)
    assert draw(view) == first
    assert first.startswith("<svg")
    assert "<metadata>" not in first
    assert "font-family: 'DejaVu Sans', sans-serif" in first  # the page's own font
    assert dict(matplotlib.rcParams) == before
