"""What a patient's progress report shows: plain values, gathered by a service.

The renderer reads only these, so it needs no database and can be tested with made-up values;
the two figures drawn before rendering are held as markup drawn from the same values.
The patient appears by pseudonymous study id only: there is no field for a name, a birth date or
a record number. Time is in months from the first dose (30.4375 days), negative before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "AdverseEventMark",
    "ComparisonLine",
    "ExpectedPoint",
    "MeasureSection",
    "MilestoneMark",
    "PatientReportView",
    "PrognosisSection",
    "SlopeLine",
    "StageLine",
    "SubscorePoint",
    "ValuePoint",
]


@dataclass(frozen=True)
class ValuePoint:
    on: date
    months: float  # from the first dose; from the first value when no dose was given
    value: float


@dataclass(frozen=True)
class ExpectedPoint:
    """The value expected without treatment at ``months``, with its 95% prediction interval
    where the expectation has one."""

    months: float
    value: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class SlopeLine:
    per_month: float | None
    low: float | None
    high: float | None
    n_visits: int
    method: str
    note: str | None


@dataclass(frozen=True)
class ComparisonLine:
    """Observed minus expected at one horizon, with the reading generated from its numbers."""

    horizon_months: int
    observed: float | None
    observed_at_months: float | None
    expected: float | None
    expected_low: float | None
    expected_high: float | None
    difference: float | None
    low: float | None
    high: float | None
    reading: str
    note: str | None


@dataclass(frozen=True)
class MilestoneMark:
    """A milestone, marked on the figures as a dash-dot vertical line."""

    kind: str  # gastrostomy | niv_start | niv_over_23h | tracheostomy | death: names its mark
    label: str  # e.g. "NIV > 23 h/day"
    on: date
    months: float


@dataclass(frozen=True)
class AdverseEventMark:
    """An adverse event at its onset, marked on the figures by its number: "AE 1", or "SAE 2"
    when it is serious (ICH E2A), drawn filled."""

    number: int  # 1, 2… by onset
    term: str
    on: date  # the onset
    months: float
    grade: int  # CTCAE
    serious: bool
    serious_criteria: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{'SAE' if self.serious else 'AE'} {self.number}"


@dataclass(frozen=True)
class MeasureSection:
    """One measure: its values, the course expected without treatment, slopes, comparisons."""

    key: str  # alsfrs_r_total | fvc_percent_predicted | weight_kg: names the plot's elements
    title: str  # e.g. "ALSFRS-R total"
    unit: str
    points: tuple[ValuePoint, ...]
    n_before: int  # values on or before the day of the first dose
    n_after: int
    expected: tuple[ExpectedPoint, ...]  # empty: no expected course
    expected_method: str  # how the expected course was obtained, or why there is none
    slope_before: SlopeLine
    slope_before_from_onset: SlopeLine | None
    slope_after: SlopeLine
    comparisons: tuple[ComparisonLine, ...]
    comparison_note: str | None
    # The value axis spans at least this much (in ``unit``), within ``scale`` where the measure
    # has one (0 to 48 for ALSFRS-R): a change of one point must not fill the figure.
    axis_min_span: float = 0.0
    scale: tuple[float, float] | None = None
    # The report's milestones and adverse events, marked on the measure's figure too, and
    # whether the reader may see adverse events at all (the figure says so when not).
    milestones: tuple[MilestoneMark, ...] = ()
    adverse_events: tuple[AdverseEventMark, ...] = ()
    adverse_events_shown: bool = True


@dataclass(frozen=True)
class StageLine:
    on: date
    kings_stage: int | None
    mitos_stage: int | None
    months: float


@dataclass(frozen=True)
class SubscorePoint:
    """The four ALSFRS-R subscores of one visit (0–12 each); None where an item is missing."""

    on: date
    months: float
    bulbar: float | None
    fine_motor: float | None
    gross_motor: float | None
    respiratory: float | None


@dataclass(frozen=True)
class PrognosisSection:
    """The ENCALS survival expected from the data at diagnosis, or what the record lacks."""

    model: str  # name and version
    provenance: str
    missing: tuple[str, ...]
    inputs: tuple[tuple[str, str], ...]  # (predictor, value as shown)
    linear_predictor: float | None
    median_months_from_onset: float | None
    survival: tuple[tuple[int, float], ...]  # (months from onset, probability event-free)
    curve: tuple[tuple[float, float], ...]  # the survival curve to draw; empty: none
    months_from_onset_at_cut_off: float | None
    doses_months_from_onset: tuple[float, ...]


@dataclass(frozen=True)
class PatientReportView:
    """Everything the progress report of one patient shows, in the order it shows it."""

    study_id: str
    site_code: str
    synthetic: bool
    cut_off: date  # the data cut-off: records up to this day
    first_dose_on: date | None
    doses_on: tuple[date, ...]
    doses_months: tuple[float, ...]  # each dose in months from the time origin
    time_origin: str  # what month 0 of the plots is, e.g. "the first dose (2026-11-01)"
    cut_off_months: float  # the data cut-off in months from the time origin
    measures: tuple[MeasureSection, ...]
    stages: tuple[StageLine, ...]
    prognosis: PrognosisSection
    caveat: str
    generated_at: datetime
    generated_by: str
    software: str  # "alstrack 0.1.0": the version whose methods produced the numbers
    milestones: tuple[MilestoneMark, ...] = ()
    adverse_events: tuple[AdverseEventMark, ...] = ()
    # Why no adverse event is shown when the reader may not read them; None when they may.
    adverse_events_withheld: str | None = None
    subscores: tuple[SubscorePoint, ...] = ()
