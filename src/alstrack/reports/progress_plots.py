"""The progress report's figures of the ALSFRS-R subscores and of King's and MiToS stages.

Drawn as reports.plots draws the measures' figures (its style, ids prefixed per figure, the
note of cut-off, n and version), over the same months, with the same marks.
"""

from __future__ import annotations

from collections.abc import Sequence

from alstrack.reports import event_marks as marks
from alstrack.reports.patient_views import PatientReportView
from alstrack.reports.plots import _OBSERVED, _doses, _drawing, _note, _strip_guides, _svg

__all__ = ["stages_svg", "subscores_svg"]

# Okabe & Ito's colour-blind-safe colours, and a marker each for grey print.
_SUBSCORES = (
    ("bulbar", "bulbar", "#0072b2", "o"),
    ("fine_motor", "fine motor", "#d55e00", "s"),
    ("gross_motor", "gross motor", "#009e73", "D"),
    ("respiratory", "respiratory", "#cc79a7", "P"),
)


def subscores_svg(view: PatientReportView) -> str:
    """The four ALSFRS-R subscores over time (0–12 each, a line each: ``bulbar``,
    ``fine_motor``, ``gross_motor``, ``respiratory``), with the doses, milestones, adverse
    events and the data cut-off marked as on the measures' figures."""
    points, events = view.subscores, view.adverse_events
    low, high = marks.months_shown(_months_range(view), view.milestones, events)
    rows = marks.strip_rows(events, (low, high))
    with _drawing() as figure:
        fig = figure(2.9 + marks.strip_height(rows))
        ax, strip = marks.axes_with_strip(fig, rows)
        for key, label, colour, marker in _SUBSCORES:
            drawn = [(p.months, getattr(p, key)) for p in points if getattr(p, key) is not None]
            ax.plot(
                [m for m, _ in drawn],
                [v for _, v in drawn],
                marker=marker,
                markersize=3.5,
                color=colour,
                linewidth=1.1,
                label=label,
                gid=key,
            )
        _doses(ax, view.doses_months)
        marks.draw_milestones(ax, view.milestones)
        cut = view.cut_off_months
        ax.axvline(cut, color="black", linewidth=0.8, gid="cut-off", label="data cut-off")
        _strip_guides(strip, view.doses_months, cut)
        marks.draw_adverse_events(strip, events, rows)
        ax.set_xlim(low - 0.3, high + 0.3)
        ax.set_ylim(-0.5, 12.5)
        ax.set_yticks(range(0, 13, 3))
        ax.set_title("ALSFRS-R subscores (points, 0–12 each)", loc="left")
        (strip or ax).set_xlabel(f"months from {view.time_origin}")
        ax.set_ylabel("points")
        marks.legend(ax, strip)
        n = len(points)
        _note(
            fig,
            f"Data cut-off {view.cut_off.isoformat()} · n = {n} ALSFRS-R assessment"
            f"{'s' if n != 1 else ''} ({_split(view, [p.months for p in points])}) · "
            "subscores as in Cedarbaum et al. 1999, each drawn where its items are complete"
            f"{marks.note(view.milestones, events, shown=view.adverse_events_withheld is None)} · "
            f"{view.software}",
        )
        return _svg(fig, "alsfrs_r_subscores")


def stages_svg(view: PatientReportView) -> str:
    """King's and MiToS stages over time, a panel each (``kings``, ``mitos``), as steps from
    one ALSFRS-R to the next, with the doses (``kings-dose-1``…) and the data cut-off."""
    stages = view.stages
    with _drawing() as figure:
        fig = figure(2.7)
        axes = fig.subplots(2, 1, sharex=True)
        # The months of the other figures, milestones and adverse events included, to align.
        low, high = marks.months_shown(_months_range(view), view.milestones, view.adverse_events)
        panels = (
            ("kings", "King's stage", [s.kings_stage for s in stages]),
            ("mitos", "MiToS stage", [s.mitos_stage for s in stages]),
        )
        for ax, (key, title, values) in zip(axes, panels, strict=True):
            ax.step(
                [s.months for s in stages],
                [float("nan") if v is None else v for v in values],
                where="post",
                marker="o",
                markersize=3.5,
                color=_OBSERVED,
                linewidth=1.2,
                gid=key,
            )
            _doses(ax, view.doses_months, gid=f"{key}-dose", labelled=key == "kings")
            ax.axvline(view.cut_off_months, color="black", linewidth=0.8, gid=f"{key}-cut-off")
            ax.set_ylim(-0.4, 5.4)
            ax.set_yticks(range(6))
            ax.set_ylabel(title)
            ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        axes[0].set_xlim(low - 0.3, high + 0.3)
        axes[0].set_title("King's and MiToS stages (5: death)", loc="left")
        axes[1].set_xlabel(f"months from {view.time_origin}")
        n = len(stages)
        _note(
            fig,
            f"Data cut-off {view.cut_off.isoformat()} · n = {n} ALSFRS-R assessment"
            f"{'s' if n != 1 else ''} ({_split(view, [s.months for s in stages])}) · "
            "King's stage estimated from ALSFRS-R (Balendra et al. 2014), MiToS (Chiò et al. "
            "2015); each stage is drawn until the next assessment, none after the last · "
            f"dotted lines: doses; solid: data cut-off · {view.software}",
        )
        return _svg(fig, "stages")


def _months_range(view: PatientReportView) -> tuple[float, float]:
    """The time axis of a progress report's figures: from month 0 or the first value or dose
    to the data cut-off or the last value, as reports.render gives the measures' figures (the
    subscores' and stages' visits are the ALSFRS-R total's, or a few more)."""
    months = [p.months for m in view.measures for p in m.points] + list(view.doses_months)
    months += [p.months for p in view.subscores] + [s.months for s in view.stages]
    return min([0.0, *months]), max([view.cut_off_months, *months])


def _split(view: PatientReportView, months: Sequence[float]) -> str:
    if not view.doses_months:
        return "no dose given"
    before = sum(1 for m in months if m <= 0.0)
    return f"{before} on or before the first dose, {len(months) - before} after"
