"""The cohort outcomes report's figures: the cohort's ALSFRS-R totals over time from each
patient's first dose with the model's mean line, and event-free survival beside the ENCALS
expectation. Drawn as the other reports' figures are (reports.plots: the same style, lock,
deterministic SVG and id prefixes), for an A4 landscape page; each states in the figure itself
the data cut-off, n, the model and its version.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from alstrack.reports.cohort_views import SlopeSection, SurvivalPoint, SurvivalSection
from alstrack.reports.numbers import signed
from alstrack.reports.plots import (
    _BAND,
    _DOSE,
    _EXPECTED,
    _OBSERVED,
    _WIDE_IN,
    _drawing,
    _svg,
    _widen,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["event_free_svg", "slopes_svg"]

_PATIENT = "#9db8d2"  # each patient's own totals, behind the model's mean line
_ALSFRS_BOUNDS = (0.0, 48.0)
_ALSFRS_MIN_SPAN = 12.0  # as the progress report's ALSFRS-R figure: a year's typical decline
# Characters of the 6 pt note per inch of figure: about 22 fit (DejaVu Sans), fewer than the
# 24 that plots._note allows, whose longest lines run past the edge of a 10-inch figure.
_NOTE_CHARS_PER_INCH = 20


def slopes_svg(section: SlopeSection, *, cut_off: date, software: str) -> str:
    """Every treated patient's ALSFRS-R totals over months from their first dose (one thin
    line each), the first dose at t = 0 and, where the model was fitted and converged, its
    mean line with the slopes before and after."""
    with _drawing() as figure:
        fig = figure(3.4, width_in=_WIDE_IN)
        ax = fig.add_subplot()
        for number, visits in enumerate(section.trajectories):
            ax.plot(
                [t for t, _ in visits],
                [v for _, v in visits],
                marker="o",
                markersize=2.5,
                linewidth=0.7,
                color=_PATIENT,
                label=_legend("observed (one line per patient)") if number == 0 else None,
                gid=f"patient-{number}",
            )
        line = section.mean_line
        if line is not None and section.trajectories:
            months = [t for visits in section.trajectories for t, _ in visits]
            grid = sorted({min(months), 0.0, max(months)})
            ax.plot(
                grid,
                [line.at(t) for t in grid],
                color=_OBSERVED,
                linewidth=2.2,
                label=_legend(
                    f"model mean: {signed(line.slope_before)} points/month before the first "
                    f"dose, {signed(line.slope_before + line.slope_change)} after"
                ),
                gid="mean-line",
            )
        ax.axvline(0.0, color=_DOSE, linestyle=":", linewidth=1.3, gid="first-dose",
                   label="first dose (t = 0)")  # fmt: skip
        ax.set_title("ALSFRS-R total of the treated patients (points)", loc="left")
        ax.set_xlabel("months from each patient's first dose")
        ax.set_ylabel("points")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        _widen(ax, _ALSFRS_MIN_SPAN, _ALSFRS_BOUNDS)
        _note(fig, _slopes_note(section, cut_off, software))
        return _svg(fig, "cohort-alsfrs")


def _slopes_note(section: SlopeSection, cut_off: date, software: str) -> str:
    n, obs = section.n_patients, section.n_obs
    model = f"model {section.model}, version {section.model_version}"
    if section.estimate is None:
        fitted = f"{model} not fitted: {section.refused}"
    elif section.mean_line is None:
        fitted = f"{model}: the fit did not converge, no mean line drawn"
    else:
        fitted = f"{model}: {section.formula}"
    return (
        f"Data cut-off {cut_off.isoformat()} · n = {n} patient{'s' if n != 1 else ''}, {obs} "
        f"ALSFRS-R total{'s' if obs != 1 else ''} ({section.n_before} on or before the first "
        f"dose, {section.n_after} after) · {fitted} · {software}"
    )


def event_free_svg(section: SurvivalSection, *, cut_off: date, software: str) -> str:
    """Observed event-free survival from onset (Kaplan-Meier with delayed entry and its
    pointwise 95% band), the same for the patients with an ENCALS prediction where they are
    fewer, and the mean ENCALS-expected curve of those patients."""
    with _drawing() as figure:
        fig = figure(3.2, width_in=_WIDE_IN)
        ax = fig.add_subplot()
        _band(ax, section.observed)
        _steps(ax, section.observed, "observed", "-",
               _legend(f"observed, Kaplan-Meier ({section.patients} patients)"))  # fmt: skip
        m = section.patients_with_prognosis
        if 0 < m < section.patients:
            _steps(ax, section.observed_with_prognosis, "observed-with-prognosis", "-.",
                   _legend(f"observed, the {m} with an ENCALS prediction"))  # fmt: skip
        if section.expected:
            ax.plot(
                [p.months for p in section.expected],
                [100 * p.survival for p in section.expected],
                linestyle="--",
                color=_EXPECTED,
                linewidth=1.4,
                label=_legend(
                    f"expected without treatment: mean ENCALS curve of the {m} "
                    f"patient{'s' if m != 1 else ''} with a prediction"
                ),
                gid="expected",
            )
        ax.set_ylim(0, 102)
        ax.set_xlim(left=0)
        ax.set_title("Event-free survival from symptom onset (%)", loc="left")
        ax.set_xlabel("months from symptom onset")
        ax.set_ylabel("% event-free")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        n, events = section.patients, section.events
        _note(
            fig,
            f"Data cut-off {cut_off.isoformat()} · n = {n} patient{'s' if n != 1 else ''}, "
            f"{events} event{'s' if events != 1 else ''} (death, tracheostomy or NIV > 23 "
            f"h/day, whichever first); {m} with an ENCALS prediction · Kaplan-Meier with delayed "
            "entry, pointwise 95% intervals, drawn to the last event · expected: Ederer II mean "
            f"of model {section.model} · {software}",
        )
        return _svg(fig, "cohort-survival")


def _steps(ax: Axes, points: Sequence[SurvivalPoint], gid: str, style: str, label: str) -> None:
    if not points:
        return
    ax.step(
        [p.months for p in points],
        [100 * p.survival for p in points],
        where="post",
        linestyle=style,
        color=_OBSERVED,
        linewidth=1.4,
        marker="o" if len(points) == 1 else None,  # no event: the curve's start only
        markersize=3.5,
        label=label,
        gid=gid,
    )


def _band(ax: Axes, points: Sequence[SurvivalPoint]) -> None:
    banded = [p for p in points if p.low is not None and p.high is not None]
    if len(banded) < 2:
        return
    ax.fill_between(
        [p.months for p in banded],
        [100 * (p.low or 0.0) for p in banded],
        [100 * (p.high or 0.0) for p in banded],
        step="post",
        color=_BAND,
        linewidth=0,
        label=_legend("95% interval (observed, all patients)"),
        gid="observed-band",
    )


def _legend(text: str) -> str:
    return textwrap.fill(text, 34, break_on_hyphens=False)


def _note(fig: Figure, text: str) -> None:
    """The figure's own statement of cut-off, n and model, in a strip under the axes: as
    plots._note, wrapped to lines that fit a landscape figure."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    wrapped = textwrap.fill(
        text, _NOTE_CHARS_PER_INCH * round(fig.get_figwidth()), break_on_hyphens=False
    )
    strip = (0.06 + 0.11 * (wrapped.count("\n") + 1)) / fig.get_figheight()
    fig.set_layout_engine(ConstrainedLayoutEngine(rect=(0, strip, 1, 1 - strip)))
    fig.text(0.005, 0.01, wrapped, fontsize=6, color="#333333", va="bottom")
