"""A plan rests on a screening made for now: not backdated, and at most 30 days old at each step.

Maria's screening (the `eligible` fixture) is made at NOW, as of AS_OF, an hour before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from screening_cast import AS_OF

from alstrack.errors import StepRefused
from alstrack.services.plans import PlanIn, PlanRevisionIn, create_plan, revise_plan
from alstrack.services.screenings import ReviewIn, review_criterion
from signing_cast import SECRET

Step = Callable[..., Any]
NOW = AS_OF + timedelta(hours=1)  # the plan tests' clock (conftest.py)


def accepted(clinic: Any, maria: Any, **given: Any) -> int:
    """Screen Maria (as of ``as_of`` if given) and accept every open review."""
    screening = maria.screen(clinic, **given)
    for criterion in screening.open_reviews:
        data = ReviewIn(
            criterion_id=criterion, decision="accept", reason="Fast progressor", password=SECRET
        )
        review_criterion(clinic.db, clinic["chen"], screening.id, data)
    return int(screening.id)


def test_a_backdated_screening_carries_no_plan_and_nothing_is_stored(
    clinic: Any,
    maria: Any,
    plan_in: Callable[..., PlanIn],
    stored: Callable[[], dict[str, int]],
) -> None:
    screening_id = accepted(clinic, maria, as_of=NOW - timedelta(hours=30))
    before = stored()
    with pytest.raises(StepRefused) as refused:
        create_plan(clinic.db, clinic["alice"], maria.patient_id, plan_in(screening_id))
    assert refused.value.code == "step_refused"
    assert refused.value.message.startswith(
        f"Screening {screening_id} cannot carry a plan: it is backdated: as of "
        "2026-10-31 04:00 UTC, 30 hours before it was made (2026-11-01 10:00 UTC)"
    )
    assert "as of at most 24 hours before it was made" in refused.value.message
    assert stored() == before


def test_a_screening_as_of_24_hours_before_it_was_made_carries_a_plan(
    clinic: Any, maria: Any, plan_in: Callable[..., PlanIn]
) -> None:
    screening_id = accepted(clinic, maria, as_of=NOW - timedelta(hours=24))
    plan = create_plan(clinic.db, clinic["alice"], maria.patient_id, plan_in(screening_id))
    assert plan.versions[0].screening_id == screening_id


def test_a_revision_onto_a_backdated_screening_is_refused(
    clinic: Any, maria: Any, draft: Step, plan_in: Callable[..., PlanIn]
) -> None:
    plan = draft()
    backdated = accepted(clinic, maria, as_of=NOW - timedelta(days=3))
    data = PlanRevisionIn(plan=plan_in(backdated), version=plan.version, reason="New screening")
    with pytest.raises(StepRefused, match=f"Screening {backdated} cannot carry a plan: it is back"):
        revise_plan(clinic.db, clinic["alice"], plan.id, data)


def test_a_screening_30_days_old_still_carries_a_plan(
    eligible: int, draft: Step, clock: Any
) -> None:
    clock.move_to(AS_OF + timedelta(days=30))
    assert draft().versions[0].screening_id == eligible


def test_a_screening_older_than_30_days_carries_no_new_plan(
    eligible: int, draft: Step, clock: Any, stored: Callable[[], dict[str, int]]
) -> None:
    clock.move_to(AS_OF + timedelta(days=30, minutes=1))
    before = stored()
    with pytest.raises(StepRefused) as refused:
        draft()
    assert refused.value.message == (
        f"Screening {eligible} cannot carry a plan: it is more than 30 days old (as of "
        "2026-11-01 09:00 UTC); a plan rests on a screening at most 30 days old: screen the "
        "patient again."
    )
    assert stored() == before


def test_a_plan_whose_screening_grew_too_old_is_neither_revised_nor_approved(
    eligible: int,
    draft: Step,
    revise: Step,
    approve: Step,
    clock: Any,
    stored: Callable[[], dict[str, int]],
) -> None:
    plan = draft()
    clock.move_to(AS_OF + timedelta(days=31))
    before = stored()
    with pytest.raises(StepRefused, match=f"Screening {eligible} .* more than 30 days old"):
        revise(plan)
    with pytest.raises(StepRefused, match=f"Screening {eligible} .* more than 30 days old"):
        approve(plan)
    assert stored() == before
