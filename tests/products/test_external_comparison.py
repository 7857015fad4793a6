"""Treated patients beside matched controls of an external cohort (made up in the PRO-ACT
format, never real PRO-ACT data)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from alstrack.errors import InvalidInput
from alstrack.services import external_cohorts, records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.external_comparison import CAVEAT, compare_with_external

ITEMS = ["Q1_Speech", "Q2_Salivation", "Q3_Swallowing", "Q4_Handwriting",
         "Q5a_Cutting_without_Gastrostomy", "Q6_Dressing_and_Hygiene", "Q7_Turning_in_Bed",
         "Q8_Walking", "Q9_Climbing_Stairs", "R_1_Dyspnea", "R_2_Orthopnea",
         "R_3_Respiratory_Insufficiency"]  # fmt: skip


def _items(total: int) -> list[str]:
    """Twelve items adding up to ``total`` (from 48 down, one point at a time)."""
    values = [4] * 12
    for k in range(48 - total):
        values[k % 12] -= 1
    return [str(v) for v in values]


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    """Two limb-onset subjects like Maria at her baseline (40 points, ΔFS ~0.74, ~50 years),
    losing a point a month; one bulbar subject, never a match for her."""
    with (tmp_path / "alsfrs.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["subject_id", *ITEMS, "ALSFRS_Delta"])
        for subject in ("c1", "c2", "b1"):
            for day, total in ((0, 40), (91, 37), (182, 34), (365, 28)):
                w.writerow([subject, *_items(total), day])
    with (tmp_path / "AlsHistory.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["subject_id", "Site_of_Onset", "Onset_Delta"])
        w.writerows([["c1", "Onset: Limb", -330], ["c2", "Onset: Limb", -335],
                     ["b1", "Onset: Bulbar", -330]])  # fmt: skip
    with (tmp_path / "demographics.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["subject_id", "Age", "Sex"])
        w.writerows([["c1", "50", "Female"], ["c2", "52", "Male"], ["b1", "50", "Male"]])
    return tmp_path


@pytest.fixture
def treated(clinic: Any, maria: Any, alsfrs: Any, approved: Any, dose: Any, clock: Any) -> Any:
    """Maria: 40 points on 29 Oct, dosed 1 Nov 2026; 38 at month 3, 36 at month 6."""
    approved()
    dose()
    clock.move_to(datetime(2027, 5, 10, 12, tzinfo=UTC), tick=False)
    for day, items in ((date(2027, 2, 1), {"q1": 4, "q2": 4}), (date(2027, 5, 3), {})):
        records.add(
            clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, maria.patient_id,
            alsfrs(day, **items),
        )  # fmt: skip
    return maria


def test_a_treated_patient_is_compared_with_matched_controls_of_the_same_onset(
    clinic: Any, treated: Any, pool: Path
) -> None:
    external_cohorts.import_proact(clinic.db, clinic["olga"], pool, "pool")
    out = compare_with_external(clinic.db, clinic["olga"], "pool")
    assert (out.patients_treated, out.patients_matched, out.controls_used) == (1, 1, 2)
    # Controls lose 1 point a month over the year (40, 37, 34, 28); Maria about 0.66.
    assert out.mean_difference == pytest.approx(0.34, abs=0.05)
    assert (out.low, out.high) == (None, None)
    assert out.reading.startswith("no interval")
    assert out.caveat == CAVEAT


def test_an_unknown_cohort_or_site_is_refused_by_name(clinic: Any, api: Any, pool: Path) -> None:
    external_cohorts.import_proact(clinic.db, clinic["olga"], pool, "pool")
    with pytest.raises(InvalidInput) as caught:
        compare_with_external(clinic.db, clinic["olga"], "PRO-ACT 2016")
    assert (caught.value.fields[0].field, caught.value.fields[0].message) == (
        "cohort", "'PRO-ACT 2016' is not known; pool",
    )  # fmt: skip
    olga = api("olga")
    assert [c["name"] for c in olga.get("/external-cohorts").json()] == ["pool"]
    answer = olga.get("/cohort/external-comparison", params={"cohort": "pool", "site": "nope"})
    assert answer.status_code == 422
    fine = olga.get("/cohort/external-comparison", params={"cohort": "pool"})
    assert (fine.status_code, fine.json()["patients_treated"]) == (200, 0)
