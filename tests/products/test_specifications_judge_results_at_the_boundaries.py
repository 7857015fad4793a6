"""Each release test is judged pass, fail or missing at its limit; a missing result never passes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lifecycle_cases import PASSING_RESULTS

from alstrack.domain.products import (
    Outcome,
    ReleaseTest,
    Specification,
    TestJudgement,
    builtin_specifications,
    expiry_after_thaw,
    judge_dose_endotoxin,
    judge_results,
    release_blockers,
)
from alstrack.errors import InvalidInput

BM = builtin_specifications().get("autologous_bm_msc", field="product")
PLANNED = 100_000_000


def judged(test: str, value: Any, spec: Specification = BM) -> TestJudgement:
    results = {**PASSING_RESULTS, test: value}
    present = {key: result for key, result in results.items() if result is not None}
    by_test = {j.test: j for j in judge_results(spec, present, planned_dose_cells=PLANNED)}
    return by_test[test]


@pytest.mark.parametrize(
    ("test", "value", "outcome"),
    [
        ("cd73_pct", 95.0, Outcome.PASS),
        ("cd73_pct", 95, Outcome.PASS),
        ("cd73_pct", 94.9, Outcome.FAIL),
        ("cd105_pct", 100.0, Outcome.PASS),
        ("cd45_pct", 2.0, Outcome.PASS),
        ("cd45_pct", 2.1, Outcome.FAIL),
        ("hla_dr_pct", 0.0, Outcome.PASS),
        ("viability_pct", 70.0, Outcome.PASS),
        ("viability_pct", 69.9, Outcome.FAIL),
        ("post_thaw_viability_pct", 69.99, Outcome.FAIL),
        ("endotoxin_eu_per_ml", 0.49, Outcome.PASS),
        ("endotoxin_eu_per_ml", 0.5, Outcome.FAIL),  # "< 0.5 EU/mL", as the source writes it
        ("passage_number", 5, Outcome.PASS),
        ("passage_number", 6, Outcome.FAIL),
        ("total_viable_cells", 90_000_000, Outcome.PASS),
        ("total_viable_cells", 89_999_999, Outcome.FAIL),
        ("total_viable_cells", 110_000_000, Outcome.PASS),
        ("total_viable_cells", 110_000_001, Outcome.FAIL),
        ("sterility_culture", "no_growth_final", Outcome.PASS),
        ("sterility_culture", "no_growth_to_date", Outcome.PASS),
        ("sterility_culture", "growth", Outcome.FAIL),
        ("gram_stain", "organisms_seen", Outcome.FAIL),
        ("mycoplasma", "positive", Outcome.FAIL),
        ("karyotype", "abnormal", Outcome.FAIL),
    ],
)
def test_it_judges_each_value_against_its_limit(test: str, value: Any, outcome: Outcome) -> None:
    assert judged(test, value).outcome == outcome


def test_a_judgement_says_the_value_the_limit_and_why() -> None:
    assert judged("cd73_pct", 94.9) == TestJudgement(
        "cd73_pct", "CD73 positive", Outcome.FAIL, 94.9, "≥ 95%", "94.9% does not meet ≥ 95%"
    )
    assert judged("cd45_pct", 2.0).reason == "2% meets ≤ 2%"
    assert (
        judged("mycoplasma", "positive").reason == "positive is not accepted (accepted: negative)"
    )
    dose = judged("total_viable_cells", 89_999_999)
    assert dose.limit == "plan dose ± 10% (90,000,000–110,000,000 cells)"
    assert dose.reason.startswith("89,999,999 cells does not meet")


@pytest.mark.parametrize(
    ("test", "value", "reason"),
    [
        ("cd73_pct", None, "no result recorded"),
        ("total_viable_cells", None, "no result recorded"),
        ("mycoplasma", None, "no result recorded"),
        ("mycoplasma", "not_done", "not done"),
        ("karyotype", "not_done", "not done"),
        ("sterility_culture", "not_done", "not done"),
        ("gram_stain", "not_done", "not done"),
    ],
)
def test_a_missing_or_undone_test_is_missing_never_passed(
    test: str, value: str | None, reason: str
) -> None:
    judgement = judged(test, value)
    assert (judgement.outcome, judgement.reason) == (Outcome.MISSING, reason)


def test_every_test_of_the_spec_is_judged_in_order_even_with_no_results() -> None:
    judgements = judge_results(BM, {})
    assert [j.test for j in judgements] == [test.id for test in BM.tests]
    assert {j.outcome for j in judgements} == {Outcome.MISSING}


def test_the_dose_is_missing_without_the_plans_dose() -> None:
    [dose] = [j for j in judge_results(BM, PASSING_RESULTS) if j.test == "total_viable_cells"]
    assert dose.outcome == Outcome.MISSING
    assert dose.reason == "the plan's dose per administration is not known"
    assert dose.limit == "plan dose ± 10%"


def test_release_blockers_name_every_test_that_did_not_pass() -> None:
    results = {**PASSING_RESULTS, "cd73_pct": 94.9, "mycoplasma": "not_done"}
    del results["karyotype"]
    blockers = release_blockers(judge_results(BM, results, planned_dose_cells=PLANNED))
    assert blockers == [
        "CD73 positive fail: 94.9% does not meet ≥ 95%",
        "Mycoplasma missing: not done",
        "Karyotype missing: no result recorded",
    ]
    assert release_blockers(judge_results(BM, PASSING_RESULTS, planned_dose_cells=PLANNED)) == []
    assert release_blockers([]) == ["no test results were judged against the specification"]


@pytest.mark.parametrize(
    ("results", "field", "message"),
    [
        ({"cd37_pct": 50.0}, "results.cd37_pct", "is not a test of autologous_bm_msc; choose"),
        ({"cd73_pct": "high"}, "results.cd73_pct", "must be a number, 0 or more"),
        ({"cd73_pct": True}, "results.cd73_pct", "must be a number, 0 or more"),
        ({"cd73_pct": math.nan}, "results.cd73_pct", "must be a number, 0 or more"),
        ({"cd45_pct": -0.1}, "results.cd45_pct", "must be a number, 0 or more"),
        ({"viability_pct": 100.1}, "results.viability_pct", "is a percentage: 0 to 100"),
        ({"mycoplasma": "absent"}, "results.mycoplasma", "must be one of negative, positive"),
        ({"karyotype": 1}, "results.karyotype", "must be one of normal, abnormal, not_done"),
    ],
)  # fmt: skip
def test_it_refuses_a_result_that_cannot_be_a_value_of_the_test(
    results: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        judge_results(BM, results)
    [error] = caught.value.fields
    assert error.field == field
    assert message in error.message


@pytest.mark.parametrize("planned", [0, -5, 1.5e8, True])
def test_it_refuses_a_planned_dose_that_is_not_a_whole_number_of_cells(planned: Any) -> None:
    with pytest.raises(InvalidInput, match="planned_dose_cells"):
        judge_results(BM, {}, planned_dose_cells=planned)


def test_a_program_may_give_a_fixed_dose_range_inclusive_at_both_ends() -> None:
    fixed = ReleaseTest(
        id="total_viable_cells",
        label="Viable cells in the dose",
        group="dose",
        operator="between",
        range=(100_000_000, 125_000_000),
        unit="cells",
        sources=("NUROWN_P3_RESULTS",),
        status="read",
    )
    spec = BM.model_copy(update={"tests": (fixed,)})
    outcomes = [
        judge_results(spec, {"total_viable_cells": cells})[0].outcome
        for cells in (99_999_999, 100_000_000, 125_000_000, 125_000_001)
    ]
    assert outcomes == [Outcome.FAIL, Outcome.PASS, Outcome.PASS, Outcome.FAIL]
    assert fixed.describe_limit() == "100,000,000–125,000,000 cells"


def test_the_dose_endotoxin_is_checked_against_the_routes_limit_at_its_boundary() -> None:
    # 0.2 EU/kg x 70 kg = 14 EU intrathecally; 0.5 EU/mL x 28 mL is exactly 14 EU.
    at_limit = judge_dose_endotoxin(0.5, 28.0, 14.0)
    assert (at_limit.outcome, at_limit.value) == (Outcome.PASS, 14.0)
    assert at_limit.reason == "0.5 EU/mL × 28 mL = 14 EU is within the limit of 14 EU"
    assert judge_dose_endotoxin(0.5, 28.1, 14.0).outcome == Outcome.FAIL


def test_the_dose_endotoxin_is_missing_without_a_result_a_volume_or_a_limit() -> None:
    assert judge_dose_endotoxin(None, 5.0, 14.0).outcome == Outcome.MISSING
    assert judge_dose_endotoxin(0.1, None, 14.0).outcome == Outcome.MISSING
    no_limit = judge_dose_endotoxin(0.1, 5.0, None)
    assert (no_limit.outcome, no_limit.limit) == (Outcome.MISSING, "not known")
    assert "record the patient's weight" in no_limit.reason


def test_the_dose_endotoxin_refuses_impossible_numbers() -> None:
    with pytest.raises(InvalidInput) as caught:
        judge_dose_endotoxin(-1.0, math.inf, 14.0)
    assert [e.field for e in caught.value.fields] == ["endotoxin_eu_per_ml", "dose_volume_ml"]


def test_a_thawed_product_expires_after_the_specifications_hours() -> None:
    thawed = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    assert expiry_after_thaw(BM, thawed) == thawed + timedelta(hours=4)
    with pytest.raises(InvalidInput, match="thawed_at: must be timezone-aware"):
        expiry_after_thaw(BM, thawed.replace(tzinfo=None))
