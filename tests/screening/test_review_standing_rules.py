"""Where a screening stands, from its verdict and the decisions so far (a pure function)."""

from __future__ import annotations

from typing import Any

import pytest

from alstrack.domain.eligibility.review import PLANNABLE, standing


def criterion(cid: str, result: str, effect: str = "exclude") -> dict[str, Any]:
    return {"id": cid, "group": cid.split("-")[0], "result": result, "effect": effect}


CRITERIA = [
    criterion("INC-PROG-001", "REVIEW"),
    criterion("EXC-MED-001", "REVIEW", "flag"),
    criterion("LP-SPINE-001", "REVIEW", "flag"),
    criterion("EXC-INF-001", "PASS"),
]


@pytest.mark.parametrize(
    ("verdict", "decisions", "status", "open_"),
    [
        ("eligible", {}, "eligible", ()),
        ("not_eligible", {"INC-PROG-001": "accept"}, "not_eligible", ()),
        ("incomplete", {}, "incomplete", ()),
        ("needs_review", {}, "needs_review", ("INC-PROG-001", "EXC-MED-001")),
        ("needs_review", {"INC-PROG-001": "accept"}, "needs_review", ("EXC-MED-001",)),
        (
            "needs_review",
            {"INC-PROG-001": "accept", "EXC-MED-001": "accept"},
            "eligible_after_review",
            (),
        ),
        ("needs_review", {"EXC-MED-001": "exclude"}, "excluded_on_review", ("INC-PROG-001",)),
    ],
)
def test_the_status_follows_the_verdict_and_the_decisions(
    verdict: str, decisions: dict[str, str], status: str, open_: tuple[str, ...]
) -> None:
    found = standing(verdict, CRITERIA, decisions)
    assert (found.status, found.open_reviews) == (status, open_)


def test_a_plan_may_rest_only_on_an_eligible_status() -> None:
    assert frozenset({"eligible", "eligible_after_review"}) == PLANNABLE


def test_a_failed_eligibility_criterion_never_resolves_whatever_its_effect() -> None:
    odd = [criterion("INC-X-001", "FAIL", "block_procedure"), *CRITERIA]
    decisions = {"INC-PROG-001": "accept", "EXC-MED-001": "accept"}
    assert standing("needs_review", odd, decisions).status == "not_eligible"
