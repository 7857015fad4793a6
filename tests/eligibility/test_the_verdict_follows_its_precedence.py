"""Verdict precedence: exclusion FAIL, then MISSING, then REVIEW, else eligible."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from eligibility_cast import AS_OF, SMALL_RULESET

from alstrack.domain.eligibility import load_ruleset, read_observations, screen
from alstrack.errors import InvalidInput


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL_RULESET), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("profile", "data", "verdict"),
    [
        ("strict", {"patient.age_years": 40, "hx.autoimmune_disease": False}, "eligible"),
        ("strict", {"patient.age_years": 65, "hx.autoimmune_disease": False}, "not_eligible"),
        ("loose", {"patient.age_years": 65, "hx.autoimmune_disease": False}, "eligible"),
        ("strict", {"patient.age_years": 40, "hx.autoimmune_disease": True}, "not_eligible"),
        ("loose", {"patient.age_years": 40, "hx.autoimmune_disease": True}, "needs_review"),
        ("loose", {"patient.age_years": 40}, "incomplete"),
        ("loose", {"hx.autoimmune_disease": True}, "incomplete"),
        ("strict", {"patient.age_years": 90}, "not_eligible"),
    ],
)
def test_the_verdict_follows_precedence(
    small: Path, profile: str, data: dict[str, Any], verdict: str
) -> None:
    ruleset = load_ruleset(small)
    result = screen(ruleset, read_observations(ruleset, data), as_of=AS_OF, profile=profile)
    assert result.verdict == verdict
    assert result.ruleset_id == "small"
    assert result.ruleset_version == "1"


def test_it_refuses_an_as_of_without_a_time_zone(small: Path) -> None:
    ruleset = load_ruleset(small)
    with pytest.raises(InvalidInput, match="as_of"):
        screen(ruleset, {}, as_of=datetime(2026, 11, 1))
