"""The reports' figures, drawn by matplotlib as SVG to put inline in the HTML (and so the PDF).

Drawing is deterministic: matplotlib's own defaults (a local matplotlibrc is ignored), text
laid out with its bundled DejaVu Sans, a fixed hash salt for the SVG's ids and no date or other
metadata, so the same view gives the same bytes. The text stays text (svg.fonttype "none"): the
PDF renderer sets it in the DejaVu Sans the page's own text uses (installed with WeasyPrint's
libraries, never fetched), it can be searched and copied, and the PDF takes a third of the time
it takes with every glyph drawn as a path. Each figure's ids carry its own prefix: several
figures share one HTML document. rcParams are global, so figures are drawn one at a time.
"""

from __future__ import annotations

import io
import re
import textwrap
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

from alstrack.reports import event_marks as marks
from alstrack.reports.patient_views import MeasureSection, PrognosisSection
from alstrack.reports.safety_views import ProportionCell, SafetyReportView

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = ["measure_svg", "safety_svg", "survival_svg"]

_LOCK = threading.Lock()
_STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "alstrack-reports",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 7.5,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 7,
    "legend.frameon": False,
}
_WIDTH_IN = 7.0  # the text width of an A4 page with 15 mm margins, a little less
_WIDE_IN = 10.0  # the same of A4 landscape
_OBSERVED, _EXPECTED, _BAND, _DOSE = "#1f4e79", "#555555", "#d9d9d9", "#b2182b"
_IDS = re.compile(r'(\bid="|href="#|url\(#)')
_CLIP_IDS = re.compile(r'(?<=id=")p[0-9a-f]{10}(?=")|(?<=url\(#)p[0-9a-f]{10}(?=\))')
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def measure_svg(
    section: MeasureSection,
    *,
    doses_months: Sequence[float],
    time_origin: str,
    months_range: tuple[float, float],
    cut_off: date,
    software: str,
) -> str:
    """One measure over time: the values, the course expected without treatment with its 95%
    prediction band where it has one, each dose as a vertical line (ids ``dose-1``…), each
    milestone (``milestone-gastrostomy``…), each adverse event at its onset in a strip under the
    axes (``adverse-event-1``, ``serious-adverse-event-2``…) and the data cut-off. Every measure
    of a report shares ``months_range``, so their figures align."""
    events = section.adverse_events
    low, high = marks.months_shown(months_range, section.milestones, events)
    rows = marks.strip_rows(events, (low, high))
    with _drawing() as figure:
        fig = figure(2.9 + marks.strip_height(rows))
        ax, strip = marks.axes_with_strip(fig, rows)
        if section.expected:
            months = [e.months for e in section.expected]
            banded = [
                (e.months, e.low, e.high)
                for e in section.expected
                if e.low is not None and e.high is not None
            ]
            if banded:
                ax.fill_between(
                    [band[0] for band in banded],
                    [band[1] for band in banded],
                    [band[2] for band in banded],
                    color=_BAND,
                    linewidth=0,
                    label="95% prediction interval",
                    gid="prediction-band",
                )
            ax.plot(
                months,
                [e.value for e in section.expected],
                linestyle="--",
                color=_EXPECTED,
                linewidth=1.2,
                label="expected without treatment",
                gid="expected-course",
            )
        ax.plot(
            [p.months for p in section.points],
            [p.value for p in section.points],
            marker="o",
            markersize=3.5,
            color=_OBSERVED,
            linewidth=1.2,
            label="observed",
            gid="observed",
        )
        _doses(ax, doses_months)
        marks.draw_milestones(ax, section.milestones)
        cut = months_range[1]
        ax.axvline(cut, color="black", linewidth=0.8, gid="cut-off", label="data cut-off")
        _strip_guides(strip, doses_months, cut)
        marks.draw_adverse_events(strip, events, rows)
        ax.set_xlim(low - 0.3, high + 0.3)
        ax.set_title(f"{section.title} ({section.unit})", loc="left")
        (strip or ax).set_xlabel(f"months from {time_origin}")
        ax.set_ylabel(section.unit)
        marks.legend(ax, strip)
        _widen(ax, section.axis_min_span, section.scale)
        n = len(section.points)
        split = (
            f"{section.n_before} on or before the first dose, {section.n_after} after"
            if doses_months
            else "no dose given"
        )
        _note(
            fig,
            f"Data cut-off {cut_off.isoformat()} · n = {n} value{'s' if n != 1 else ''} "
            f"({split}) · expected course: {section.expected_method}"
            f"{marks.note(section.milestones, events, shown=section.adverse_events_shown)} · "
            f"{software}",
        )
        return _svg(fig, section.key)


def survival_svg(prognosis: PrognosisSection, *, cut_off: date, software: str) -> str:
    """The ENCALS expected event-free survival from onset, with the data cut-off and each dose
    marked on it."""
    with _drawing() as figure:
        fig = figure(2.6)
        ax = fig.add_subplot()
        ax.plot(
            [m for m, _ in prognosis.curve],
            [100 * s for _, s in prognosis.curve],
            color=_EXPECTED,
            linewidth=1.4,
            label="expected event-free survival (ENCALS)",
            gid="curve",
        )
        _doses(ax, prognosis.doses_months_from_onset)
        if prognosis.months_from_onset_at_cut_off is not None:
            ax.axvline(
                prognosis.months_from_onset_at_cut_off,
                color="black",
                linewidth=0.8,
                gid="cut-off",
                label="data cut-off",
            )
        ax.set_ylim(0, 100)
        ax.set_xlim(left=0)
        ax.set_title("Expected event-free survival without treatment (%)", loc="left")
        ax.set_xlabel("months from symptom onset")
        ax.set_ylabel("% event-free")
        ax.legend(loc="lower left")
        _note(
            fig,
            f"Data cut-off {cut_off.isoformat()} · n = 1 patient · model {prognosis.model}, "
            "from the data at diagnosis; events: death, tracheostomy, NIV > 23 h/day · "
            f"{software}",
        )
        return _svg(fig, "encals")


def safety_svg(view: SafetyReportView) -> str:
    """Patients with an event among those treated, per route and cell source and overall, each
    with its exact 95% interval (for an A4 landscape page)."""
    rows = [g for g in (view.overall, *view.groups) if g.patients_treated > 0]
    panels = (
        ("any adverse event", [g.any_event for g in rows]),
        ("a serious event", [g.serious_event for g in rows]),
        ("grade 3 or more", [g.grade_3_or_more for g in rows]),
    )
    with _drawing() as figure:
        fig = figure(1.2 + 0.42 * len(rows), width_in=_WIDE_IN)
        axes = fig.subplots(1, 3, sharey=True)
        labels = [
            textwrap.fill(f"{g.label} (n = {g.patients_treated})", 34, break_on_hyphens=False)
            for g in rows
        ]
        for ax, (title, cells) in zip(axes, panels, strict=True):
            _proportions(ax, cells, title)
        axes[0].set_yticks(range(len(rows)), labels)
        axes[0].set_ylim(len(rows) - 0.5, -0.5)
        _note(
            fig,
            f"Data cut-off {view.cut_off.isoformat()} · n = patients treated in each row · "
            "points: % of them with the event; bars: exact (Clopper-Pearson) 95% intervals · "
            f"{view.software}",
        )
        return _svg(fig, "safety")


def _proportions(ax: Axes, cells: Sequence[ProportionCell], title: str) -> None:
    for row, cell in enumerate(cells):
        if cell.proportion is None or cell.low is None or cell.high is None:
            continue
        p = 100 * cell.proportion
        ax.errorbar(
            [p],
            [row],
            xerr=[[p - 100 * cell.low], [100 * cell.high - p]],
            fmt="o",
            markersize=3.5,
            color=_OBSERVED,
            capsize=2.5,
            linewidth=1,
            gid=f"row-{row}",
        )
    ax.set_xlim(-3, 103)
    ax.set_xlabel(f"% with {title}")
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)


def _widen(ax: Axes, span: float, scale: tuple[float, float] | None) -> None:
    """Let the value axis span at least ``span``, kept within ``scale``."""
    low, high = ax.get_ylim()
    if high - low >= span:
        return
    middle = (low + high) / 2
    low, high = middle - span / 2, middle + span / 2
    if scale is not None:
        shift = max(scale[0] - low, 0.0) - max(high - scale[1], 0.0)
        low, high = max(low + shift, scale[0]), min(high + shift, scale[1])
    ax.set_ylim(low, high)


def _doses(ax: Axes, months: Sequence[float], *, gid: str = "dose", labelled: bool = True) -> None:
    """Each dose as a dotted vertical line (ids ``dose-1``… or ``{gid}-1``… where a figure has
    several axes), labelled at the top of the axes."""
    for number, at in enumerate(months, start=1):
        ax.axvline(
            at,
            color=_DOSE,
            linestyle=":",
            linewidth=1.3,
            gid=f"{gid}-{number}",
            label="dose" if number == 1 else None,
        )
        if labelled:
            ax.text(
                at,
                1.0,
                f" dose {number}",
                transform=ax.get_xaxis_transform(),
                color=_DOSE,
                fontsize=6.5,
                va="top",
                ha="left",
            )


def _strip_guides(strip: Axes | None, doses_months: Sequence[float], cut_off: float) -> None:
    """The doses and the data cut-off carried down, faint, through a strip of adverse events."""
    if strip is None:
        return
    for at in doses_months:
        strip.axvline(at, color=_DOSE, linestyle=":", linewidth=0.8)
    strip.axvline(cut_off, color="black", linewidth=0.6)


def _note(fig: Figure, text: str) -> None:
    """The figure's own statement of cut-off, n and method, in a strip kept under the axes."""
    # About as many characters of 6-point DejaVu Sans as an inch holds: more ran off the edge.
    wrapped = textwrap.fill(text, round(21 * fig.get_figwidth()))
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    strip = (0.06 + 0.11 * (wrapped.count("\n") + 1)) / fig.get_figheight()
    fig.set_layout_engine(ConstrainedLayoutEngine(rect=(0, strip, 1, 1 - strip)))
    fig.text(0.005, 0.01, wrapped, fontsize=6, color="#333333", va="bottom")


@contextmanager
def _drawing() -> Iterator[Any]:
    """A figure factory under the reports' style; matplotlib is imported here, as WeasyPrint
    is in pdf.py, so commands that draw nothing do not load it."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def figure(height_in: float, width_in: float = _WIDTH_IN) -> Figure:
        fig = Figure(figsize=(width_in, height_in), layout="constrained")
        FigureCanvasAgg(fig)  # the non-interactive canvas; savefig switches to SVG to print
        return fig

    with _LOCK, matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(_STYLE)
        yield figure


def _svg(fig: Figure, prefix: str) -> str:
    """The figure as an inline <svg> element, its ids prefixed so that figures sharing a page
    do not collide."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    svg = text[text.index("<svg") :]  # inline SVG takes no XML declaration or doctype
    svg = _METADATA.sub("", svg)  # the RDF block says who drew it: nothing a reader sees
    # matplotlib names a clip path by hashing its box, and the constrained layout of a figure
    # of several axes can leave the box's last bits differing between two draws of one view
    # (the printed coordinates do not): named in order of appearance, they are the same.
    clips: dict[str, str] = {}
    svg = _CLIP_IDS.sub(lambda m: clips.setdefault(m.group(), f"clip{len(clips) + 1}"), svg)
    svg = svg.replace("font-family: 'DejaVu Sans'", "font-family: 'DejaVu Sans', sans-serif")
    return _IDS.sub(rf"\g<1>{prefix}-", svg).strip()
