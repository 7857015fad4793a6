"""The eligibility package exports exactly its public API."""

from __future__ import annotations

import alstrack.domain.eligibility as eligibility


def test_it_exports_exactly_the_public_names() -> None:
    assert sorted(eligibility.__all__) == sorted(
        [
            "GROUPS", "OPERATORS", "SCREENING_GROUPS", "VERDICT_GROUPS", "Criterion",
            "DataElement", "Observation", "Result", "Rule", "RuleSet", "Screening", "Verdict",
            "builtin_ruleset", "load_ruleset", "read_observations", "screen", "verdict_of",
        ]
    )  # fmt: skip
    for name in eligibility.__all__:
        assert hasattr(eligibility, name)
