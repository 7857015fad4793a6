"""An intrathecal plan is not approved on a failed lumbar-puncture check; open ones are shown.

Maria's platelets, INR and spine are read by the screening's LP- criteria only, so changing
them leaves her eligible after review.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from alstrack.errors import StepRefused
from alstrack.services.plans import PlanIn, create_plan
from alstrack.services.screenings import ReviewIn, review_criterion
from signing_cast import SECRET

Step = Callable[..., Any]


def screened(clinic: Any, maria: Any, **changes: Any) -> int:
    """A new evaluation with ``changes``, screened, its open reviews accepted."""
    maria.evaluate(clinic, **changes)
    screening = maria.screen(clinic)
    for criterion in screening.open_reviews:
        data = ReviewIn(
            criterion_id=criterion, decision="accept", reason="Fast progressor", password=SECRET
        )
        review_criterion(clinic.db, clinic["chen"], screening.id, data)
    return int(screening.id)


def draft_on(clinic: Any, maria: Any, data: PlanIn) -> Any:
    return create_plan(clinic.db, clinic["alice"], maria.patient_id, data)


def test_a_failed_platelet_check_stops_an_intrathecal_approval_naming_it(
    clinic: Any,
    maria: Any,
    plan_in: Callable[..., PlanIn],
    approve: Step,
    stored: Callable[[], dict[str, int]],
) -> None:
    screening_id = screened(clinic, maria, **{"lab.platelets_10e9_per_l": 30.0})
    plan = draft_on(clinic, maria, plan_in(screening_id))
    assert plan.versions[0].procedure_checks_open == []  # a FAIL is not open: it stops approval
    before = stored()
    with pytest.raises(StepRefused) as refused:
        approve(plan)
    message = refused.value.message
    assert message.startswith(
        f"Plan version number 1 of treatment plan {plan.id} is intrathecal, and screening "
        f"{screening_id} failed the lumbar-puncture check LP-PLT-001 ("
    )
    assert "judged again at the bedside before each puncture" in message
    assert stored() == before


def test_the_same_screening_carries_an_intravenous_plan(
    clinic: Any, maria: Any, plan_in: Callable[..., PlanIn], approve: Step
) -> None:
    screening_id = screened(clinic, maria, **{"lab.platelets_10e9_per_l": 30.0})
    plan = draft_on(clinic, maria, plan_in(screening_id, route="intravenous"))
    assert approve(plan).status == "approved"


def test_missing_and_review_checks_are_shown_open_and_do_not_stop_the_approval(
    clinic: Any, maria: Any, plan_in: Callable[..., PlanIn], approve: Step
) -> None:
    screening_id = screened(
        clinic,
        maria,
        **{
            "lab.inr": {"value": 1.0, "date": "2026-10-20"},  # 12 days old; 7 allowed
            "spine.anatomy_precludes_lp": True,  # a flag: REVIEW
        },
    )
    plan = draft_on(clinic, maria, plan_in(screening_id))
    [version] = plan.versions
    assert [(c.id, c.result) for c in version.procedure_checks_open] == [
        ("LP-INR-001", "MISSING"),
        ("LP-SPINE-001", "REVIEW"),
    ]
    assert all(c.reason for c in version.procedure_checks_open)
    approved = approve(plan)
    assert approved.status == "approved"
    assert approved.versions[0].procedure_checks_open == version.procedure_checks_open


def test_an_intravenous_plan_lists_no_lumbar_puncture_checks(
    clinic: Any, maria: Any, plan_in: Callable[..., PlanIn]
) -> None:
    screening_id = screened(clinic, maria, **{"spine.anatomy_precludes_lp": True})
    plan = draft_on(clinic, maria, plan_in(screening_id, route="intravenous"))
    assert plan.versions[0].procedure_checks_open == []
