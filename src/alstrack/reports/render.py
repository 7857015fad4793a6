"""Product labels and chain-of-custody reports as HTML, from the views in reports.views.

Rendering is pure: a view in, a string out. The eye-readable DIN, its check character and the
bar code are all worked out here from the DIN alone (alstrack.domain.isbt128), so a label can
never show a check character that does not belong to its bar code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from alstrack.domain.isbt128 import check_character, flag, format_din, parse_din
from alstrack.domain.products import State, Step
from alstrack.reports.barcodes import code128_svg, din_bar_code_data
from alstrack.reports.views import CustodyView, LabelView

__all__ = ["custody_report_html", "label_html"]

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
    return env
