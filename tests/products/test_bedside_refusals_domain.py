"""The bedside check's reasons, from the facts alone: each fact refuses with its own words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from alstrack.domain.plan_readiness import ProcedureCheck
from alstrack.domain.products import State, judge_dose_endotoxin
from alstrack.domain.products.bedside import BedsideFacts, bedside_refusals, read_din
from alstrack.errors import InvalidInput

NOW = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
NINA, CHEN, MARIA = 3, 2, 7
READY = BedsideFacts(
    now=NOW,
    actor_id=CHEN,
    state=State.THAWED,
    released=True,
    expires_at=NOW + timedelta(hours=4),
    product_patient_id=MARIA,
    patient_id=MARIA,
    open_deviations=(),
    planned_route="intrathecal",
    dose_endotoxin=judge_dose_endotoxin(0.1, 10.0, 12.4),
    lumbar_puncture=True,
    lp_checks=(),
    lp_screening_unfit=None,
    confirmed_by=(NINA,),
    first_volume_ml=10.0,
    volume_ml=10.0,
)


def test_a_second_person_confirming_everything_in_order_is_not_refused() -> None:
    assert bedside_refusals(READY) == ()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"patient_id": 8}, "the product is not allocated to this patient: stop and report"),
        ({"released": False}, "the product has not been released by QA"),
        ({"state": State.STORED}, "the product is stored; it is checked at the bedside once"),
        ({"state": State.VERIFIED}, "two people verified this product already: administer it"),
        ({"expires_at": NOW}, "the product expired at 2026-11-01T10:00:00+00:00 (REL-EXP-001)"),
        ({"expires_at": None}, "the product's expiry is not recorded"),
        ({"open_deviations": ("deviation 4: temperature excursion",)}, "open deviation"),
        ({"planned_route": None}, "the patient has no approved treatment plan"),
        (
            {"dose_endotoxin": judge_dose_endotoxin(0.4, 40.0, 12.4)},
            "endotoxin in this dose fail for intrathecal",
        ),
        (
            {"dose_endotoxin": judge_dose_endotoxin(None, 10.0, 12.4)},
            "endotoxin in this dose missing",
        ),
        ({"lp_checks": None}, "no screening judged the lumbar-puncture checks"),
        ({"lp_screening_unfit": "it is old"}, "the lumbar-puncture checks cannot be read"),
        (
            {"lp_checks": (ProcedureCheck("LP-INR-001", "MISSING", None),)},
            "LP-INR-001 is MISSING: the lumbar puncture for the intrathecal dose is blocked",
        ),
        ({"actor_id": NINA}, "you confirmed this product already"),
        ({"volume_ml": 12.0}, "the first confirmation was for 10 mL, not 12 mL"),
    ],
)
def test_each_fact_refuses_with_its_reason(changes: dict[str, object], reason: str) -> None:
    reasons = bedside_refusals(replace(READY, **changes))  # type: ignore[arg-type]
    assert any(reason in r for r in reasons), reasons


def test_a_route_not_by_lumbar_puncture_reads_no_lumbar_puncture_check() -> None:
    facts = replace(READY, lumbar_puncture=False, lp_checks=None, planned_route="intravenous")
    assert bedside_refusals(facts) == ()


def test_every_reason_is_given_at_once() -> None:
    facts = replace(READY, patient_id=8, released=False, actor_id=NINA)
    assert len(bedside_refusals(facts)) == 3


@pytest.mark.parametrize(
    ("text", "entry", "message"),
    [
        ("G123417654321", "typed", "type the DIN with its check character"),
        ("G1234 17 654321 B", "typed", "check character B does not match"),
        ("G123417654321A", "scanned", "a scan reads the ISBT 128 bar-code data"),
        ("=G12341765432171", "scanned", "flag characters 71 do not match"),
        ("=G12341765432100", "scanned", "must carry the check flags 60-96"),
    ],
)
def test_a_din_entered_wrongly_is_refused(text: str, entry: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_din(text, entry)  # type: ignore[arg-type]


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput, match="must be timezone-aware"):
        replace(READY, now=datetime(2026, 11, 1, 10, 0))
