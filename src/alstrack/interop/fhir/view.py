"""What a patient's FHIR export is built from: plain values, gathered by services.fhir_export.

The FHIR writers read nothing else (no database, no clock, no settings), so they are tested with
plain values and the internal model stays independent of FHIR versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

__all__ = [
    "AdverseEventFacts",
    "AlsfrsVisit",
    "BodyFacts",
    "CollectionFacts",
    "ConsentFacts",
    "DoseFacts",
    "Identity",
    "PatientFacts",
    "PatientRecord",
    "PlanFacts",
    "ProductFacts",
    "SpirometryFacts",
]


@dataclass(frozen=True)
class Identity:
    """Direct identifiers: only in an export made by a role that may read them."""

    given_name: str
    family_name: str
    date_of_birth: date
    record_number: str | None


@dataclass(frozen=True)
class PatientFacts:
    id: int
    study_id: str
    sex: str | None
    synthetic: bool
    onset_date: date | None = None
    onset_region: str | None = None
    diagnosis_date: date | None = None
    diagnostic_category: str | None = None
    identity: Identity | None = None


@dataclass(frozen=True)
class AlsfrsVisit:
    """One ALSFRS-R assessment: the answers and what alstrack derived from them."""

    id: int
    assessed_on: date
    instrument_version: str
    responses: Mapping[str, Any]
    # total, bulbar, fine_motor, gross_motor, respiratory, delta_fs: None where indeterminate.
    measures: Mapping[str, float | None]
    kings_stage: int | None = None
    kings_4a: bool | None = None
    kings_4b: bool | None = None
    mitos_stage: int | None = None


@dataclass(frozen=True)
class SpirometryFacts:
    id: int
    assessed_on: date
    position: str
    fvc_l: float | None
    predicted_l: float
    fvc_percent_predicted: float | None


@dataclass(frozen=True)
class BodyFacts:
    id: int
    assessed_on: date
    weight_kg: float | None
    bmi: float | None


@dataclass(frozen=True)
class ConsentFacts:
    id: int
    document_version: str
    title: str
    consented_on: date
    signed_by: str
    withdrawn_on: date | None = None


@dataclass(frozen=True)
class PlanFacts:
    """A treatment plan as its current version stands."""

    id: int
    status: str  # draft | approved | closed
    version: int
    cell_source: str
    route: str
    administrations: int
    interval_days: int | None
    dose_cells: float | None
    created_at: datetime
    approved_at: datetime | None = None


@dataclass(frozen=True)
class ProductFacts:
    id: int
    din: str
    cell_source: str
    state: str
    chain_of_identity: str | None = None
    plan_id: int | None = None


@dataclass(frozen=True)
class CollectionFacts:
    """The patient's own tissue collected for an autologous product."""

    product_id: int
    at: datetime
    tissue: str | None


@dataclass(frozen=True)
class DoseFacts:
    id: int
    product_id: int
    plan_id: int
    dose_number: int
    route: str
    cells_administered: float
    volume_ml: float
    at: datetime


@dataclass(frozen=True)
class AdverseEventFacts:
    id: int
    term: str
    meddra_code: str | None
    onset_date: date
    aware_on: date
    grade: int
    serious_criteria: tuple[str, ...]
    related_to_procedure: str
    related_to_product: str
    outcome: str
    recorded_at: datetime
    administration_id: int | None = None


@dataclass(frozen=True)
class PatientRecord:
    """Everything exported about one patient; the pathway's parts only as far as the user who
    asked may read them (an empty tuple otherwise)."""

    patient: PatientFacts
    exported_at: datetime
    alsfrs: tuple[AlsfrsVisit, ...] = ()
    spirometry: tuple[SpirometryFacts, ...] = ()
    body: tuple[BodyFacts, ...] = ()
    consents: tuple[ConsentFacts, ...] = ()
    plans: tuple[PlanFacts, ...] = ()
    products: tuple[ProductFacts, ...] = ()
    collections: tuple[CollectionFacts, ...] = ()
    doses: tuple[DoseFacts, ...] = ()
    adverse_events: tuple[AdverseEventFacts, ...] = ()
