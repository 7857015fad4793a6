"""Milestones and adverse events as the progress report's figures over time mark them.

A milestone is a dash-dot vertical line named along it. Adverse events sit at their onset in a
strip under the values, so that no marker hides a value, stacked in rows where their labels
would overlap; a serious one (ICH E2A) is filled and named "SAE". Every figure of a report
widens its time axis alike to show them all. Figures call these inside reports.plots' drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from alstrack.reports.patient_views import AdverseEventMark, MilestoneMark

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "axes_with_strip",
    "draw_adverse_events",
    "draw_milestones",
    "legend",
    "months_shown",
    "note",
    "strip_height",
    "strip_rows",
]

MILESTONE, ADVERSE = "#5e3c99", "#8c510a"
STRIP_ROWS = 4  # rows of adverse events under a figure before their labels may overlap


def draw_milestones(ax: Axes, milestones: Sequence[MilestoneMark]) -> None:
    """Each milestone as a dash-dot vertical line (``milestone-{kind}``: each happens once),
    named along it (``milestone-{kind}-label``), below the doses' labels."""
    for index, m in enumerate(milestones):
        ax.axvline(
            m.months,
            color=MILESTONE,
            linestyle="-.",
            linewidth=1.1,
            gid=f"milestone-{m.kind}",
            label="milestone" if index == 0 else None,
        )
        ax.text(
            m.months,
            0.9,
            f"{m.label} ",
            gid=f"milestone-{m.kind}-label",
            transform=ax.get_xaxis_transform(),
            rotation=90,
            color=MILESTONE,
            fontsize=6.5,
            va="top",
            ha="right",
        )


def strip_height(rows: Sequence[int]) -> float:
    """The height of the adverse events' strip under the axes, in inches (none without)."""
    return 0.2 + 0.15 * (max(rows) + 1) if rows else 0.0


def strip_rows(events: Sequence[AdverseEventMark], span: tuple[float, float]) -> list[int]:
    """The row of each event (by onset) in the strip: the first row whose last label it would
    not overlap (about 7% of the months shown), at most four rows deep, then in turn."""
    gap = 0.07 * max(span[1] - span[0], 1.0)
    last: list[float] = []
    rows: list[int] = []
    for index, e in enumerate(events):
        free = [row for row, at in enumerate(last) if e.months - at >= gap]
        if free:
            row = free[0]
        elif len(last) < STRIP_ROWS:
            row = len(last)
            last.append(e.months)
        else:
            row = index % STRIP_ROWS
        last[row] = e.months
        rows.append(row)
    return rows


def axes_with_strip(fig: Figure, rows: Sequence[int]) -> tuple[Axes, Axes | None]:
    """The figure's axes and, when there are adverse events to mark (their ``rows``), a strip
    under it that shares its time axis, so that no marker hides a value."""
    if not rows:
        return fig.add_subplot(), None
    ax, strip = fig.subplots(2, 1, sharex=True, height_ratios=[2.9, strip_height(rows)])
    strip.set_ylim(max(rows) + 0.6, -0.6)
    strip.set_yticks([])
    strip.spines["left"].set_visible(False)
    strip.set_ylabel("AEs", rotation=0, ha="right", va="center")
    return ax, strip


def draw_adverse_events(
    strip: Axes | None, events: Sequence[AdverseEventMark], rows: Sequence[int]
) -> None:
    """Each adverse event at its onset in the strip, numbered as in the report's table: an open
    triangle ``adverse-event-{n}`` labelled "AE n" (``adverse-event-{n}-label``), or, when
    serious, a larger filled one ``serious-adverse-event-{n}`` labelled "SAE n"."""
    if strip is None:
        return
    labelled: set[bool] = set()
    for e, row in zip(events, rows, strict=True):
        kind = "serious adverse event" if e.serious else "adverse event"
        gid = f"{kind.replace(' ', '-')}-{e.number}"
        strip.plot(
            [e.months],
            [row],
            linestyle="none",
            marker="^",
            markersize=6.5 if e.serious else 5.5,
            markeredgecolor=ADVERSE,
            markerfacecolor=ADVERSE if e.serious else "white",
            markeredgewidth=1.0,
            gid=gid,
            label=f"{kind} (onset)" if e.serious not in labelled else None,
        )
        labelled.add(e.serious)
        strip.text(
            e.months,
            row,
            f"  {e.label}",
            gid=f"{gid}-label",
            color=ADVERSE,
            fontsize=6,
            fontweight="bold" if e.serious else "normal",
            va="center",
            ha="left",
        )


def legend(ax: Axes, strip: Axes | None) -> None:
    """One legend for the axes and its strip of adverse events."""
    handles, labels = ax.get_legend_handles_labels()
    if strip is not None:
        more, named = strip.get_legend_handles_labels()
        handles, labels = handles + more, labels + named
    ax.legend(handles, labels, loc="best", ncols=2 if len(handles) > 5 else 1)


def months_shown(
    months_range: tuple[float, float],
    milestones: Sequence[MilestoneMark],
    events: Sequence[AdverseEventMark],
) -> tuple[float, float]:
    """The months to show: the report's range, widened to every milestone and adverse event
    (alike in every figure of a report, as they all mark the same ones)."""
    marks = [m.months for m in milestones] + [e.months for e in events]
    return min([months_range[0], *marks]), max([months_range[1], *marks])


def note(
    milestones: Sequence[MilestoneMark], events: Sequence[AdverseEventMark], *, shown: bool
) -> str:
    """What the figure marks besides the doses, for its note."""
    parts = []
    if milestones:
        parts.append(f"{len(milestones)} milestone{'s' if len(milestones) != 1 else ''}")
    if not shown:
        parts.append("adverse events not shown for this role")
    elif events:
        serious = sum(1 for e in events if e.serious)
        parts.append(
            f"{len(events)} adverse event{'s' if len(events) != 1 else ''} ({serious} serious)"
        )
    return f" · marked: {', '.join(parts)}" if parts else ""
