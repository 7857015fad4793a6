"""The values of one patient that the research exports write (plain values, no database): the
service gathers them, the writers (tidy_csv, proact_export) turn them into files. Dates go in
here; the writers give them out only as day offsets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

__all__ = [
    "AGE_CAP",
    "ALSFRS_ITEMS",
    "AdverseEventFacts",
    "AlsfrsFacts",
    "BodyFacts",
    "DoseFacts",
    "DrugFacts",
    "MilestoneFacts",
    "SpirometryFacts",
    "Subject",
    "capped_age",
]

# Ages above 89 are written as 90 (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)(C)).
AGE_CAP = 90
ALSFRS_ITEMS = ("q1", "q2", "q3", "q4", "q5a", "q5b", "q6", "q7", "q8", "q9", "q10", "q11", "q12")


@dataclass(frozen=True)
class AlsfrsFacts:
    assessed_on: date
    instrument_version: str
    items: Mapping[str, float | None]
    total: float | None = None
    bulbar: float | None = None
    fine_motor: float | None = None
    gross_motor: float | None = None
    respiratory: float | None = None
    delta_fs: float | None = None
    kings_stage: int | None = None
    kings_4a: bool | None = None
    kings_4b: bool | None = None
    mitos_stage: int | None = None
    half_points: bool = False


@dataclass(frozen=True)
class SpirometryFacts:
    assessed_on: date
    position: str
    fvc_l: float | None
    svc_l: float | None = None
    predicted_l: float | None = None
    lln_l: float | None = None
    fvc_percent_predicted: float | None = None
    fvc_z_score: float | None = None
    svc_percent_predicted: float | None = None
    equation: str | None = None
    age_years: float | None = None
    height_cm: float | None = None


@dataclass(frozen=True)
class BodyFacts:
    assessed_on: date
    weight_kg: float | None
    height_cm: float | None = None
    bmi: float | None = None


@dataclass(frozen=True)
class MilestoneFacts:
    kind: str
    occurred_on: date


@dataclass(frozen=True)
class DrugFacts:
    drug: str
    drug_name: str | None
    start_date: date
    stop_date: date | None = None


@dataclass(frozen=True)
class DoseFacts:
    given_on: date  # the clinic's day
    dose_number: int
    route: str
    cell_source: str | None
    cells_administered: float
    volume_ml: float


@dataclass(frozen=True)
class AdverseEventFacts:
    term: str
    meddra_code: str | None
    onset_date: date
    resolution_date: date | None
    grade: int
    serious_criteria: tuple[str, ...]
    related_to_procedure: str
    related_to_product: str
    expectedness: str
    action_taken: str
    outcome: str
    dose_number: int | None


@dataclass(frozen=True)
class Subject:
    """One patient's current records, as the export service gathered them."""

    study_id: str
    site: str
    sex: str | None
    synthetic: bool
    onset_date: date | None = None
    onset_region: str | None = None
    diagnosis_date: date | None = None
    diagnostic_criteria: str | None = None
    diagnostic_category: str | None = None
    genetics: tuple[str, ...] = ()
    ftd: str | None = None
    family_history: str | None = None
    alsfrs: tuple[AlsfrsFacts, ...] = ()
    spirometry: tuple[SpirometryFacts, ...] = ()
    body: tuple[BodyFacts, ...] = ()
    milestones: tuple[MilestoneFacts, ...] = ()
    drugs: tuple[DrugFacts, ...] = ()
    doses: tuple[DoseFacts, ...] = ()
    adverse_events: tuple[AdverseEventFacts, ...] = ()

    @property
    def first_dose(self) -> date | None:
        return min((d.given_on for d in self.doses), default=None)

    @property
    def death_date(self) -> date | None:
        return next((m.occurred_on for m in self.milestones if m.kind == "death"), None)


def capped_age(years: float | None) -> int | None:
    """Whole years, 90 for anyone older than 89."""
    return None if years is None else min(int(years), AGE_CAP)
