"""Product labels, chain-of-custody, patient progress, safety and cohort outcomes reports as HTML,
from views.

Rendering is pure: a view in, a string out. The eye-readable DIN, its check character and the
bar code are all worked out here from the DIN alone (alstrack.domain.isbt128), so a label can
never show a check character that does not belong to its bar code. The clinical reports'
figures are drawn here from their views (reports.plots, reports.cohort_plots) and put inline.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from alstrack.domain.isbt128 import check_character, flag, format_din, parse_din
from alstrack.domain.products import State, Step
from alstrack.reports import numbers
from alstrack.reports.barcodes import code128_svg, din_bar_code_data
from alstrack.reports.cohort_plots import event_free_svg, slopes_svg
from alstrack.reports.cohort_views import CohortReportView
from alstrack.reports.patient_views import PatientReportView
from alstrack.reports.plots import measure_svg, safety_svg, survival_svg
from alstrack.reports.progress_plots import stages_svg, subscores_svg
from alstrack.reports.safety_views import SafetyReportView
from alstrack.reports.views import CustodyView, LabelView

__all__ = [
    "cohort_report_html",
    "custody_report_html",
    "label_html",
    "patient_report_html",
    "safety_report_html",
]

_STATES = frozenset(s.value for s in State)
_STEPS = frozenset(s.value for s in Step)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def label_html(view: LabelView) -> str:
    """The label of a vial or bag: bar code, eye-readable DIN with its boxed check character,
    product, expiry (UTC) and whose it is; "FOR AUTOLOGOUS USE ONLY" on autologous products."""
    return _environment().get_template("label.html").render(label=view, din=_din(view.din))


def custody_report_html(view: CustodyView) -> str:
    """The chain-of-custody report: identity, donor or patient, every event, QC, deviations."""
    return (
        _environment()
        .get_template("custody_report.html")
        .render(report=view, label=view.label, din=_din(view.label.din))
    )


def patient_report_html(view: PatientReportView) -> str:
    """The progress report of one patient: each measure observed beside the course expected
    without treatment (plotted, with the doses marked), slopes with their intervals and visit
    counts, observed minus expected with its reading, stages, the ENCALS prognosis or what it
    lacks, and the caveat."""
    # One time axis for every measure, from the first value or dose to the data cut-off.
    months = [p.months for m in view.measures for p in m.points] + list(view.doses_months)
    months_range = (min([0.0, *months]), max([view.cut_off_months, *months]))
    figures = {
        m.key: _inline(
            measure_svg(
                m,
                doses_months=view.doses_months,
                time_origin=view.time_origin,
                months_range=months_range,
                cut_off=view.cut_off,
                software=view.software,
            )
        )
        for m in view.measures
        if m.points
    }
    if view.subscores:
        figures["subscores"] = _inline(subscores_svg(view))
    if view.stages:
        figures["stages"] = _inline(stages_svg(view))
    survival = (
        _inline(survival_svg(view.prognosis, cut_off=view.cut_off, software=view.software))
        if view.prognosis.curve
        else None
    )
    return (
        _environment()
        .get_template("patient_report.html")
        .render(report=view, figures=figures, survival_figure=survival)
    )


def safety_report_html(view: SafetyReportView) -> str:
    """The safety report: counts and exact intervals by route and cell source (tabled and
    plotted), every serious event, the events before treatment, and the caveat."""
    figure = _inline(safety_svg(view)) if view.overall.patients_treated else None
    return _environment().get_template("safety_report.html").render(report=view, figure=figure)


def cohort_report_html(view: CohortReportView) -> str:
    """The cohort outcomes report: the cohort's ALSFRS-R totals with the model's mean line
    (plotted), the change of slope with its intervals and reading or the model's reason for
    none, exploratory groups, responders beside untreated figures, event-free survival beside
    the ENCALS expectation (plotted), matched external controls if named, the safety counts
    (plotted) with every serious event, and the caveats."""
    slopes, survival = view.slopes, view.survival
    figures = {
        "slopes": (
            _inline(slopes_svg(slopes, cut_off=view.cut_off, software=view.software))
            if slopes.trajectories
            else None
        ),
        # Without an event the observed curve is one point: drawn only beside an expected one.
        "survival": (
            _inline(event_free_svg(survival, cut_off=view.cut_off, software=view.software))
            if len(survival.observed) > 1 or survival.expected
            else None
        ),
        "safety": (
            _inline(safety_svg(view.safety)) if view.safety.overall.patients_treated else None
        ),
    }
    return (
        _environment()
        .get_template("cohort_report.html")
        .render(report=view, safety=view.safety, figures=figures)
    )


def _inline(svg: str) -> Markup:
    # Drawn by matplotlib from the view's numbers; it escapes the text it writes: safe inline.
    return Markup(svg)  # noqa: S704


def _din(text: str) -> dict[str, Any]:
    din = parse_din(text)
    return {
        "code": str(din),
        "eye_readable": format_din(din),
        "check_character": check_character(din),
        "flag": flag(din),
        "bar_code_data": din_bar_code_data(din),
        # Made here from a checked DIN only, never from what a user typed: safe to put inline.
        "bar_code_svg": Markup(code128_svg(din_bar_code_data(din))),  # noqa: S704
    }


def _utc(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _celsius(value: float | None) -> str:
    # A true minus sign: "−160.0 °C" does not break across lines the way a hyphen may.
    return "—" if value is None else f"{value:.1f} °C".replace("-", "−")


def _cells(value: float | None) -> str:
    if value is None:
        return "—"
    mantissa, exponent = f"{value:.2e}".split("e")
    return f"{float(mantissa):g} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def _result(value: float | int | str | None) -> str:
    """A QC result as entered: 92 and 92.0 alike print "92", cell counts with separators."""
    if value is None:
        return "—"
    if isinstance(value, bool | str):
        return str(value).replace("_", " ")
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


def _words(value: str | None) -> str:
    """A stored code in words: a state's or step's label, else underscores as spaces."""
    if value is None:
        return "—"
    if value in _STATES:
        return State(value).label
    if value in _STEPS:
        return Step(value).label
    return value.replace("_", " ")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("alstrack.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(utc=_utc, celsius=_celsius, cells=_cells, result=_result, words=_words)
    env.filters.update(
        fixed=numbers.fixed,
        signed=numbers.signed,
        interval=numbers.interval,
        percent=numbers.percent,
        percent_interval=numbers.percent_interval,
    )
    return env
