"""The shipped template says the therapy is investigational and unproven, its risks and costs,
that withdrawal keeps care, and claims no benefit (evidence.md, safety.md)."""

from __future__ import annotations

import re

import pytest

from alstrack.domain.consent import consent_template


@pytest.fixture
def text() -> str:
    return " ".join(consent_template().text.split())


@pytest.mark.parametrize(
    "statement",
    [
        "MSC therapy is investigational: it has not been shown to work in ALS",
        "No MSC product is approved for ALS in the United States (FDA) or the European Union (EMA)",
        "The two largest randomised trials of MSC therapy in ALS missed their primary endpoints",
        "34.7% of treated people and 27.7% of people given placebo responded (p = 0.453)",
        "voted 17 to 1 on 27 September 2023",
        "ALSUMMIT) missed its primary endpoint in December 2024",
        "2 randomised trials with 112 participants",
        "about a quarter of people with ALS show no decline",
        "headache",
        "a fever",
        "pain where the needle went in",
        "pain radiating into the legs",
        "raised the white cells of the spinal fluid in 30 of them and its protein in 26",
        "blindness, tumours and infections",
        "Where the program charges for the therapy, the costs are yours to pay",
        "You may withdraw your consent at any time",
        "You will not lose any care you would otherwise receive",
        "a legally authorised representative may sign for you before a witness",
    ],
)
def test_the_template_states_it(text: str, statement: str) -> None:
    assert statement in text


def test_the_template_claims_no_benefit(text: str) -> None:
    lowered = text.lower()
    for claim in ("proven to", "effective treatment", "will improve", "slows", "halts", "cure"):
        assert claim not in lowered
    assert re.search(r"may not help you, and it may harm you", text)


def test_the_template_names_its_sources_and_says_it_is_not_approved_for_use_as_is() -> None:
    template = consent_template()
    assert template.discloses_evidence_status
    assert "not reviewed by an ethics committee" in template.status
    cited = " ".join(template.sources)
    for source in ("FDA", "ISSCR", "Cochrane", "Cudkowicz", "ALSUMMIT", "8421281", "Staff"):
        assert source in cited
