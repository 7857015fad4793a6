"""The cast and the tables of the product lifecycle tests, written out by hand.

Ben the lab technician enters the QC results; Quinn of QA releases; Nora the nurse and Dr Chen
verify the label at the bedside; Maria (patient 7) receives the cells. Every step happens at
NOW, and the lot expires a month later. `ready()` is a context in which every guard passes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from alstrack.domain.products import (
    StepContext,
    TestJudgement,
    builtin_specifications,
    judge_dose_endotoxin,
    judge_results,
)

BEN, DR_CHEN, QUINN, NORA, OLGA = 2, 3, 4, 5, 6  # Olga is a second QA user
MARIA, PEDRO = 7, 8
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
LOT_EXPIRES = NOW + timedelta(days=30)
PLANNED_DOSE = 100_000_000

# (state, step, next state) along each path, in order, as a lab would say them.
AUTOLOGOUS_PATH = [
    ("ordered", "schedule_collection", "collection_scheduled"),
    ("collection_scheduled", "collect", "collected"),
    ("collected", "ship_to_lab", "shipped_to_lab"),
    ("shipped_to_lab", "receive_at_lab", "received_at_lab"),
    ("received_at_lab", "start_processing", "in_processing"),
    ("in_processing", "start_qc", "qc_testing"),
    ("qc_testing", "release", "released"),
    ("qc_testing", "reject", "rejected"),
    ("released", "ship_to_clinic", "shipped_to_clinic"),
    ("shipped_to_clinic", "receive_at_clinic", "received_at_clinic"),
    ("received_at_clinic", "store", "stored"),
    ("stored", "thaw", "thawed"),
    ("thawed", "verify", "verified"),
    ("verified", "administer", "administered"),
]
ALLOGENEIC_PATH = [
    ("donor_screened", "manufacture", "manufactured"),
    ("manufactured", "start_qc", "qc_testing"),
    ("qc_testing", "release", "released"),
    ("qc_testing", "reject", "rejected"),
    ("released", "place_in_inventory", "in_inventory"),
    ("in_inventory", "allocate", "allocated"),
    ("allocated", "ship_to_clinic", "shipped_to_clinic"),
    ("shipped_to_clinic", "receive_at_clinic", "received_at_clinic"),
    ("received_at_clinic", "thaw", "thawed"),
    ("thawed", "verify", "verified"),
    ("verified", "administer", "administered"),
]
FINAL = {"administered", "discarded"}


def _with_discards(path: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    states = list(dict.fromkeys(state for state, _, _ in path))
    states += [after for _, _, after in path if after not in states and after not in FINAL]
    return path + [(state, "discard", "discarded") for state in dict.fromkeys(states)]


LEGAL: dict[str, list[tuple[str, str, str]]] = {
    "autologous": _with_discards(AUTOLOGOUS_PATH),
    "allogeneic": _with_discards(ALLOGENEIC_PATH),
}
STATES: dict[str, set[str]] = {
    kind: {state for state, _, _ in table} | {after for _, _, after in table}
    for kind, table in LEGAL.items()
}

PASSING_RESULTS: dict[str, Any] = {
    "cd73_pct": 98.5,
    "cd90_pct": 99.1,
    "cd105_pct": 97.0,
    "cd45_pct": 0.4,
    "cd34_pct": 0.3,
    "cd14_or_cd11b_pct": 0.2,
    "cd79a_or_cd19_pct": 0.1,
    "hla_dr_pct": 0.6,
    "viability_pct": 92.0,
    "post_thaw_viability_pct": 86.0,
    "sterility_culture": "no_growth_final",
    "gram_stain": "no_organisms_seen",
    "mycoplasma": "negative",
    "endotoxin_eu_per_ml": 0.1,
    "karyotype": "normal",
    "passage_number": 3,
    "total_viable_cells": 102_000_000,
}


def judgements(product: str = "autologous_bm_msc", **changes: Any) -> tuple[TestJudgement, ...]:
    """The QC results of a good lot, judged; ``changes`` replace results (None removes one)."""
    results = {**PASSING_RESULTS, **changes}
    present = {test: value for test, value in results.items() if value is not None}
    spec = builtin_specifications().get(product, field="product")
    return tuple(judge_results(spec, present, planned_dose_cells=PLANNED_DOSE))


def ready(**changes: Any) -> StepContext:
    """A context in which every guard of every step passes, with ``changes`` applied."""
    context = StepContext(
        now=NOW,
        actor_id=QUINN,
        actor_role="qa",
        results_entered_by=frozenset({BEN}),
        judgements=judgements(),
        signature_meaning="released",
        open_deviations=(),
        donor_eligible=True,
        expires_at=LOT_EXPIRES,
        product_patient_id=MARIA,
        patient_id=MARIA,
        cell_source="allogeneic_uc_msc",
        planned_cell_source="allogeneic_uc_msc",
        verified_by=frozenset({NORA, DR_CHEN}),
        dose_endotoxin=judge_dose_endotoxin(0.1, 5.0, 14.0),
        reason="Bag punctured in transit",
    )
    return replace(context, **changes)
