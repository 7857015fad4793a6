"""The figures, drawn from made-up views without a database: a band only where the expectation
has an interval, milestones and adverse events marked (a serious one apart), the subscores and
the stages over time, the same bytes for the same view, and matplotlib's global settings
untouched."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import matplotlib

from alstrack.reports.patient_views import (
    AdverseEventMark,
    ExpectedPoint,
    MeasureSection,
    MilestoneMark,
    PatientReportView,
    PrognosisSection,
    SlopeLine,
    StageLine,
    SubscorePoint,
    ValuePoint,
)
from alstrack.reports.plots import measure_svg
from alstrack.reports.progress_plots import stages_svg, subscores_svg

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


NIV = MilestoneMark("niv_start", "NIV start", date(2026, 2, 1), 1.0)
FALL = AdverseEventMark(1, "Fall", date(2025, 12, 20), -0.4, 2, False, ())
PNEUMONIA = AdverseEventMark(2, "Pneumonia", date(2026, 3, 1), 2.0, 3, True, ("hospitalisation",))


def drawn_words(figure: str) -> str:
    """The words a figure draws, its note included (wrapped over several lines)."""
    return " ".join(" ".join(re.findall(r">([^<>]+)<", figure)).split())


def marked(figure: str, prefix: str, gid: str) -> str:
    found = re.search(rf'<g id="{prefix}-{gid}">(.*?)</g>', figure, flags=re.DOTALL)
    assert found is not None, gid
    return found.group(1)


def report_view(**changes: object) -> PatientReportView:
    """Three visits, a dose at month 0 and another at month 1, a milestone and two adverse
    events, one of them serious; keywords change fields."""
    made = PatientReportView(
        study_id="NORTH-00001", site_code="NORTH", synthetic=False, cut_off=date(2026, 5, 1),
        first_dose_on=date(2026, 1, 1), doses_on=(date(2026, 1, 1), date(2026, 2, 1)),
        doses_months=(0.0, 1.0), time_origin="the first dose (2026-01-01)", cut_off_months=4.0,
        measures=(), prognosis=PrognosisSection("m", "p", (), (), None, None, (), (), None, ()),
        stages=(
            StageLine(date(2025, 11, 1), 1, 0, -2.0), StageLine(date(2026, 1, 1), 2, None, 0.0),
            StageLine(date(2026, 4, 1), 3, 1, 3.0),
        ),
        subscores=(
            SubscorePoint(date(2025, 11, 1), -2.0, 11, 10, 9, 12),
            SubscorePoint(date(2026, 1, 1), 0.0, 10, 9, None, 12),
            SubscorePoint(date(2026, 4, 1), 3.0, 10, 8, 8, 11),
        ),
        caveat="made up", generated_at=datetime(2026, 5, 1, tzinfo=UTC), generated_by="chen",
        software="alstrack test", milestones=(NIV,), adverse_events=(FALL, PNEUMONIA),
    )  # fmt: skip
    return replace(made, **changes)  # type: ignore[arg-type]


def test_each_milestone_and_adverse_event_is_marked_and_a_serious_one_drawn_filled() -> None:
    figure = draw(replace(section(()), milestones=(NIV,), adverse_events=(FALL, PNEUMONIA)))
    assert "NIV start" in marked(figure, "alsfrs_r_total", "milestone-niv_start-label")
    assert "AE 1" in marked(figure, "alsfrs_r_total", "adverse-event-1-label")
    assert "SAE 2" in marked(figure, "alsfrs_r_total", "serious-adverse-event-2-label")
    assert "fill: #ffffff" in marked(figure, "alsfrs_r_total", "adverse-event-1")
    assert "fill: #8c510a" in marked(figure, "alsfrs_r_total", "serious-adverse-event-2")
    assert 'id="alsfrs_r_total-adverse-event-2"' not in figure
    ids = re.findall(r'\bid="([^"]+)"', figure)
    assert len(ids) == len(set(ids))


def test_the_subscores_are_four_lines_with_the_doses_marked_and_the_data_stated() -> None:
    figure = subscores_svg(report_view())
    for key in ("bulbar", "fine_motor", "gross_motor", "respiratory"):
        assert f'id="alsfrs_r_subscores-{key}"' in figure
    assert 'id="alsfrs_r_subscores-dose-2"' in figure
    assert 'id="alsfrs_r_subscores-milestone-niv_start"' in figure
    assert 'id="alsfrs_r_subscores-serious-adverse-event-2"' in figure
    assert 'id="alsfrs_r_subscores-cut-off"' in figure
    text = drawn_words(figure)
    assert "Data cut-off 2026-05-01" in text
    assert "n = 3 ALSFRS-R assessments (2 on or before the first dose, 1 after)" in text
    assert "marked: 1 milestone, 2 adverse events (1 serious)" in text
    assert "alstrack test" in text


def test_the_stages_are_steps_in_two_panels_each_with_the_doses() -> None:
    figure = stages_svg(report_view())
    for panel in ("kings", "mitos"):
        assert f'id="stages-{panel}"' in figure
        assert f'id="stages-{panel}-dose-1"' in figure
        assert f'id="stages-{panel}-dose-2"' in figure
        assert f'id="stages-{panel}-cut-off"' in figure
    ids = re.findall(r'\bid="([^"]+)"', figure)
    assert len(ids) == len(set(ids))
    text = drawn_words(figure)
    assert "Data cut-off 2026-05-01 · n = 3 ALSFRS-R assessments" in text
    assert "alstrack test" in text


def test_the_subscores_and_stages_are_the_same_svg_for_the_same_view() -> None:
    view = report_view()
    assert subscores_svg(view) == subscores_svg(view)
    assert stages_svg(view) == stages_svg(view)


def test_a_figure_whose_reader_may_not_see_adverse_events_says_so() -> None:
    withheld = report_view(adverse_events=(), adverse_events_withheld="not shown")
    figure = subscores_svg(withheld)
    assert "adverse-event" not in figure
    assert "adverse events not shown for this role" in drawn_words(figure)
