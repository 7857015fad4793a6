"""Constants of the product service tests: the time they stand at and passing QC results."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOW = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)  # an hour after Maria's screening

# Results of an allogeneic UC-MSC lot that pass every test of its specification.
PASSING: dict[str, Any] = {
    "cd73_pct": 98.5,
    "cd90_pct": 99.1,
    "cd105_pct": 97.0,
    "cd45_pct": 0.4,
    "cd34_pct": 0.3,
    "cd14_or_cd11b_pct": 0.5,
    "cd79a_or_cd19_pct": 0.2,
    "hla_dr_pct": 0.6,
    "viability_pct": 92.0,
    "post_thaw_viability_pct": 88.0,
    "sterility_culture": "no_growth_final",
    "gram_stain": "no_organisms_seen",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.1,
    "karyotype": "normal",
    "passage_number": 4,
}
