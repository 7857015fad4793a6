"""The products package exports exactly its public API."""

from __future__ import annotations

import alstrack.domain.products as products


def test_it_exports_exactly_the_public_names() -> None:
    assert sorted(products.__all__) == sorted(
        [
            "FINAL_STATES", "GUARDS", "INITIAL_STATES", "KINDS", "TRANSITIONS", "Cited", "Guard",
            "Outcome", "ProductKind", "ReleaseTest", "ResultValue", "Source", "Specification",
            "SpecificationSet", "State", "Step", "StepContext", "StepEvent", "TemperatureRange",
            "TestJudgement",
            "allowed_steps", "builtin_specifications", "expiry_after_thaw", "judge_dose_endotoxin",
            "judge_results", "load_specifications", "next_state", "refusals", "release_blockers",
            "temperature_excursion", "turnaround_days",
        ]
    )  # fmt: skip
    for name in products.__all__:
        assert hasattr(products, name)
