"""The reading of the change of slope comes from its intervals alone: "no evidence of a
difference" when any covers zero, a direction only when every one lies on the same side, and
never a word that says the therapy works."""

from __future__ import annotations

import re

import pytest
from honest_cohorts import cohort

from alstrack.services.cohort_outcomes import (
    CAVEAT,
    GROUPS_NOTE,
    estimate_slope_change,
    reading,
)
from alstrack.services.cohort_responders import RESPONDER_CAVEAT, responders

# Words that would state or suggest that the therapy works.
CLAIMS = re.compile(
    r"\b(works?|working|effective|efficacy|efficacious|improv\w*|benefi\w*|cur(e|es|ed)|"
    r"halt\w*|stops?|stopped|revers\w*|proven|success\w*)\b",
    re.IGNORECASE,
)


def test_an_interval_that_covers_zero_reads_no_evidence_of_a_difference() -> None:
    assert reading(0.3, {"Wald": (-0.1, 0.7)}) == (
        "no evidence of a difference in slope after the first dose: the 95% Wald interval "
        "covers zero"
    )


def test_one_interval_covering_zero_is_enough_to_withdraw_a_claim() -> None:
    said = reading(0.3, {"Wald": (0.1, 0.5), "cluster-robust": (-0.02, 0.62)})
    assert said.startswith("no evidence of a difference in slope after the first dose")
    assert "cluster-robust interval covers zero" in said


def test_intervals_on_both_sides_of_zero_are_no_evidence_either() -> None:
    said = reading(0.0, {"Wald": (0.1, 0.5), "bootstrap": (-0.5, -0.1)})
    assert said.startswith("no evidence of a difference")


@pytest.mark.parametrize(
    ("change", "low", "high", "words"),
    [
        (0.4, 0.2, 0.6, "+0.40 points/month, every 95% interval (Wald) above zero: less decline"),
        (
            -0.4,
            -0.6,
            -0.2,
            "-0.40 points/month, every 95% interval (Wald) below zero: more decline",
        ),
    ],
)
def test_a_difference_is_stated_with_its_size_and_never_with_a_cause(
    change: float, low: float, high: float, words: str
) -> None:
    said = reading(change, {"Wald": (low, high)})
    assert words in said
    assert said.endswith(
        "An association in a cohort without controls; it cannot show what caused it."
    )


def test_no_text_of_the_report_says_the_therapy_works() -> None:
    texts = [CAVEAT, GROUPS_NOTE, RESPONDER_CAVEAT]
    for change in (0.0, 0.5, -0.5, 2.0):
        df = cohort(1, slope_change=change, patients=60)
        texts.append(estimate_slope_change(df, bootstrap_resamples=None).reading)
        found = responders(df)
        texts += [found.definition, found.untreated_comparison, found.caveat]
    for text in texts:
        assert not CLAIMS.search(text), f"{CLAIMS.search(text)!r} in {text!r}"


def test_the_caveats_carry_the_evidence_and_the_natural_history() -> None:
    assert "regression to the mean" in CAVEAT
    assert "selection" in CAVEAT
    assert "No MSC product is approved for ALS" in CAVEAT
    assert "regression to the mean" in RESPONDER_CAVEAT
    assert "27.7%" in RESPONDER_CAVEAT
    assert "25% / 16% / 7%" in RESPONDER_CAVEAT
    assert "Bedlack et al., Neurology 2016" in RESPONDER_CAVEAT
    assert GROUPS_NOTE.startswith("EXPLORATORY")
