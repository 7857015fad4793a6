"""The donor (DON-), lot release (REL-) and bedside (ADM-) rule groups of the shipped rule set,
on a crafted donor and lot: every rule passes on a good one and each fails on its own fault."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from eligibility_cast import AS_OF

from alstrack.domain.eligibility import Result, builtin_ruleset, read_observations, screen

GROUPS = ("DON", "REL", "ADM")
# A released-looking lot from an eligible donor, for a 70 kg patient, intravenous.
GOOD: dict[str, Any] = {
    "donor.tests.hiv_1_2": "nonreactive",
    "donor.tests.hbsag": "nonreactive",
    "donor.tests.hcv": "nonreactive",
    "donor.specimen_days_from_recovery": 0,
    "donor.age_at_recovery_days": 9000,
    "donor.eligibility_determination_complete": True,
    "lot.cd73_pct": 99.1,
    "lot.cd90_pct": 98.7,
    "lot.cd105_pct": 95.0,
    "lot.cd45_pct": 0.4,
    "lot.cd34_pct": 0.3,
    "lot.cd14_or_cd11b_pct": 0.8,
    "lot.cd79a_or_cd19_pct": 0.2,
    "lot.hla_dr_pct": 2.0,
    "lot.trilineage_differentiation": "demonstrated",
    "lot.viability_pct": 92.0,
    "lot.post_thaw_viability_pct": 85.0,
    "lot.gram_stain": "no_organisms_seen",
    "lot.sterility_culture": "no_growth_final",
    "lot.mycoplasma": "negative",
    "lot.endotoxin_eu_per_ml": 0.5,
    "lot.dose_volume_ml": 10.0,
    "patient.weight_kg": 70.0,
    "lot.route": "intravenous",
    "lot.total_viable_cells": 110_000_000,
    "lot.karyotype": "normal",
    "lot.passage_number": 4,
    "lot.expiry_datetime": (AS_OF + timedelta(days=30)).isoformat(),
    "admin.label_id_matches_patient_record": True,
}


def results(data: dict[str, Any]) -> dict[str, Result]:
    ruleset = builtin_ruleset()
    found = screen(ruleset, read_observations(ruleset, data), as_of=AS_OF, groups=GROUPS)
    return {c.id: c.result for c in found.criteria}


def test_a_good_lot_passes_every_rule_with_a_threshold_and_the_rest_go_to_review() -> None:
    found = results(GOOD)
    assert {rule.split("-")[0] for rule in found} == set(GROUPS)
    assert {i for i, r in found.items() if r is not Result.PASS} == {"REL-PASS-001"}
    assert found["REL-PASS-001"] is Result.REVIEW  # no verified passage limit: never guessed


@pytest.mark.parametrize(
    ("change", "rule", "result"),
    [
        ({"donor.tests.hcv": "reactive"}, "DON-TEST-001", Result.FAIL),
        ({"donor.specimen_days_from_recovery": 8}, "DON-TIMING-001", Result.FAIL),
        ({"donor.age_at_recovery_days": 20}, "DON-NEONATE-001", Result.REVIEW),
        ({"donor.eligibility_determination_complete": False}, "DON-DE-001", Result.FAIL),
        ({"lot.cd105_pct": 94.9}, "REL-ID-001", Result.FAIL),
        ({"lot.hla_dr_pct": 2.1}, "REL-ID-002", Result.FAIL),
        ({"lot.trilineage_differentiation": "not_done"}, "REL-CHAR-001", Result.REVIEW),
        ({"lot.post_thaw_viability_pct": 69.9}, "REL-VIA-001", Result.FAIL),
        ({"lot.sterility_culture": "growth"}, "REL-STER-001", Result.FAIL),
        ({"lot.mycoplasma": "positive"}, "REL-MYCO-001", Result.FAIL),
        # 0.2 EU/kg x 70 kg = 14 EU per dose: 1.5 EU/mL x 10 mL = 15 EU is over, intrathecally.
        ({"lot.route": "intrathecal", "lot.endotoxin_eu_per_ml": 1.5}, "REL-ENDO-001", Result.FAIL),
        ({"lot.total_viable_cells": 130_000_000}, "REL-DOSE-001", Result.FAIL),
        ({"lot.karyotype": "abnormal"}, "REL-KARYO-001", Result.FAIL),
        ({"lot.expiry_datetime": AS_OF.isoformat()}, "REL-EXP-001", Result.FAIL),
        ({"admin.label_id_matches_patient_record": False}, "ADM-COI-001", Result.FAIL),
        ({"lot.mycoplasma": None}, "REL-MYCO-001", Result.MISSING),
    ],
)
def test_each_rule_fails_on_its_own_fault(
    change: dict[str, Any], rule: str, result: Result
) -> None:
    data = {k: v for k, v in (GOOD | change).items() if v is not None}
    assert results(data)[rule] is result
