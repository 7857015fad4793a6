"""Eligibility screening: rule sets as versioned data and a pure evaluator.

ruleset = builtin_ruleset()
observations = read_observations(ruleset, {"inf.active_systemic_infection": False})
result = screen(ruleset, observations, as_of=datetime.now(UTC))
"""

from alstrack.domain.eligibility.evaluate import (
    SCREENING_GROUPS,
    VERDICT_GROUPS,
    Criterion,
    Observation,
    Screening,
    Verdict,
    read_observations,
    screen,
    verdict_of,
)
from alstrack.domain.eligibility.operators import OPERATORS, Result
from alstrack.domain.eligibility.rules import (
    GROUPS,
    DataElement,
    Rule,
    RuleSet,
    builtin_ruleset,
    load_ruleset,
)

__all__ = [
    "GROUPS",
    "OPERATORS",
    "SCREENING_GROUPS",
    "VERDICT_GROUPS",
    "Criterion",
    "DataElement",
    "Observation",
    "Result",
    "Rule",
    "RuleSet",
    "Screening",
    "Verdict",
    "builtin_ruleset",
    "load_ruleset",
    "read_observations",
    "screen",
    "verdict_of",
]
