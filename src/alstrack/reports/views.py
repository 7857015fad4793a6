"""What a product label and a chain-of-custody report show: plain values, gathered by a service.

The renderers read only these, so they need no database and can be tested with made-up values.
A patient appears by pseudonymous study id only: there is no field for a name, a birth date or
a record number (21 CFR 1271.290).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "CustodyEvent",
    "CustodyView",
    "DeviationLine",
    "LabelView",
    "QcLine",
    "SignatureLine",
]


@dataclass(frozen=True)
class LabelView:
    """The product as its label names it; the check character and flags come from the DIN."""

    din: str  # the 13 characters, as stored
    kind: str  # autologous | allogeneic
    product: str  # the cell source's label, e.g. "Autologous bone-marrow MSC"
    cell_source: str
    specification_version: str
    expires_at: datetime | None
    donor_code: str | None = None
    patient_study_id: str | None = None
    chain_of_identity: str | None = None
    vials: int | None = None
    viable_cells_per_vial: float | None = None

    @property
    def autologous(self) -> bool:
        return self.kind == "autologous"


@dataclass(frozen=True)
class SignatureLine:
    """An electronic signature as 21 CFR 11.50 asks it shown: printed name, time and meaning."""

    display_name: str
    username: str
    role: str
    meaning: str
    signed_at: datetime
    # valid | invalid (the signed content changed since) | unbound (signed before binding)
    status: str = "valid"


@dataclass(frozen=True)
class CustodyEvent:
    step: str  # a lifecycle step, or "register"
    from_state: str | None
    to_state: str
    at: datetime
    by: str  # username
    from_location: str | None
    to_location: str | None
    condition: str | None
    temperature_c: float | None
    note: str | None
    recorded_at: datetime
    signature: SignatureLine | None = None


@dataclass(frozen=True)
class QcLine:
    """One release test: the current result and its judgement against the specification."""

    test: str
    label: str
    value: float | int | str | None
    limit: str
    outcome: str  # pass | fail | missing, or "not judged"
    reason: str
    entered_by: str | None = None
    entered_at: datetime | None = None


@dataclass(frozen=True)
class DeviationLine:
    kind: str
    description: str
    status: str
    opened_by: str
    opened_at: datetime
    disposition: str | None = None
    disposition_reason: str | None = None
    disposed_by: str | None = None
    disposed_at: datetime | None = None
    signature: SignatureLine | None = None


@dataclass(frozen=True)
class BedsideLine:
    """One person's confirmation of patient and product at the bedside."""

    by: str
    at: datetime
    patient_entry: str
    din_entry: str
    dose_volume_ml: float


@dataclass(frozen=True)
class AdministrationLine:
    """The dose as given: the end of the chain of custody."""

    at: datetime
    route: str
    dose_number: int
    cells_administered: float
    volume_ml: float
    given_by: str
    verified_by: tuple[str, str]


@dataclass(frozen=True)
class CustodyView:
    """Everything the chain-of-custody report of one product shows, in the order it shows it."""

    label: LabelView
    state: str
    storage_location: str | None
    created_at: datetime
    donor_eligibility: str | None
    events: tuple[CustodyEvent, ...]
    qc: tuple[QcLine, ...]
    qc_note: str | None  # why the results could not be judged, if they could not
    blockers: tuple[str, ...]
    deviations: tuple[DeviationLine, ...]
    turnaround_days: float | None
    turnaround_note: str  # what the turnaround is, or why there is none
    generated_at: datetime
    generated_by: str
    bedside: tuple[BedsideLine, ...] = ()
    administration: AdministrationLine | None = None
