"""What the safety report shows: plain values, gathered by a service.

Patients appear by pseudonymous study id only. Nothing here summarises a serious event away:
the view lists each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

__all__ = ["ProportionCell", "SafetyGroupLine", "SafetyReportView", "SeriousEventLine"]


@dataclass(frozen=True)
class ProportionCell:
    """Patients with an event among those treated, with the exact (Clopper-Pearson) 95%
    interval; ``proportion`` is None when none were treated."""

    count: int
    of: int
    proportion: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class SafetyGroupLine:
    label: str  # "intrathecal · Allogeneic umbilical-cord MSC", or "All treated patients"
    route: str | None  # None in the overall row
    cell_source: str | None
    patients_treated: int
    doses: int
    events: int
    serious_events: int
    susars: int
    any_event: ProportionCell
    serious_event: ProportionCell
    grade_3_or_more: ProportionCell


@dataclass(frozen=True)
class SeriousEventLine:
    patient_study_id: str
    site_code: str
    term: str
    onset_date: date
    grade: int
    serious_criteria: tuple[str, ...]
    related_to_procedure: str
    related_to_product: str
    expectedness: str
    susar: bool
    outcome: str
    route: str | None
    cell_source: str | None
    dose_number: int | None


@dataclass(frozen=True)
class SafetyReportView:
    cut_off: date  # events with onset on or before this day
    site_code: str | None  # None: every site the user sees
    synthetic: bool  # any patient counted is synthetic demo data
    overall: SafetyGroupLine
    groups: tuple[SafetyGroupLine, ...]
    serious_events: tuple[SeriousEventLine, ...]
    events_before_treatment: int
    caveat: str
    generated_at: datetime
    generated_by: str
    software: str
