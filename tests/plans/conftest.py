"""Fixtures of the plan tests: Maria from the screening tests' cast, reviewed and eligible.

pytest puts tests/screening on sys.path only when it collects that directory, so a run of
tests/plans alone puts it there itself; the cast stays in one place. The clock stands an hour
after her screening's as-of time, so her screening is made for now; a test moves it on itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from alstrack.services.plans import (
    ApprovalIn,
    CloseIn,
    PlanIn,
    PlanOut,
    PlanRevisionIn,
    approve_plan,
    close_plan,
    create_plan,
    revise_plan,
)
from alstrack.services.screenings import ReviewIn, review_criterion
from signing_cast import SECRET

_SCREENING_TESTS = str(Path(__file__).resolve().parent.parent / "screening")
if _SCREENING_TESTS not in sys.path:
    sys.path.insert(0, _SCREENING_TESTS)
_cast = import_module("screening_cast")
maria = _cast.maria
AS_OF: datetime = _cast.AS_OF
NOW = AS_OF + timedelta(hours=1)

# Maria's plan: her own bone-marrow cells, 10^6 per kg intrathecally, three times 28 days apart.
PLAN: dict[str, Any] = {
    "cell_source": "autologous_bm_msc",
    "route": "intrathecal",
    "dose_basis": "per_kg",
    "cells_per_kg": 1e6,
    "administrations": 3,
    "interval_days": 28,
    "adjunct_therapies": [{"therapy": "physiotherapy"}],
}


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    """The clock, stopped an hour after Maria's screening time; ``clock.move_to`` moves it."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def eligible(clinic: Any, maria: Any) -> int:
    """Maria's screening with its one open review (INC-PROG-001) accepted by Dr Chen."""
    screening = maria.screen(clinic)
    data = ReviewIn(
        criterion_id="INC-PROG-001", decision="accept", reason="Fast progressor", password=SECRET
    )
    review_criterion(clinic.db, clinic["chen"], screening.id, data)
    return int(screening.id)


@pytest.fixture
def plan_body() -> Callable[..., dict[str, Any]]:
    """Maria's plan as JSON on a screening; keywords change fields."""

    def body(screening_id: int, **changes: Any) -> dict[str, Any]:
        return PLAN | {"screening_id": screening_id} | changes

    return body


@pytest.fixture
def plan_in(plan_body: Callable[..., dict[str, Any]]) -> Callable[..., PlanIn]:
    """Maria's plan as input to the services, on a screening; keywords change fields."""

    def made(screening_id: int, **changes: Any) -> PlanIn:
        return PlanIn(**plan_body(screening_id, **changes))

    return made


@pytest.fixture
def draft(
    clinic: Any, maria: Any, eligible: int, plan_in: Callable[..., PlanIn]
) -> Callable[..., PlanOut]:
    """Draft Maria's plan on her reviewed screening; keywords change fields."""

    def made(by: str = "alice", **changes: Any) -> PlanOut:
        return create_plan(clinic.db, clinic[by], maria.patient_id, plan_in(eligible, **changes))

    return made


@pytest.fixture
def revise(clinic: Any, eligible: int, plan_in: Callable[..., PlanIn]) -> Callable[..., PlanOut]:
    """Revise a plan as read, with a reason; keywords change fields of Maria's plan."""

    def made(
        plan: PlanOut, by: str = "alice", reason: str = "Dose lowered after review", **changes: Any
    ) -> PlanOut:
        data = PlanRevisionIn(
            plan=plan_in(eligible, **changes), version=plan.version, reason=reason
        )
        return revise_plan(clinic.db, clinic[by], plan.id, data)

    return made


@pytest.fixture
def approve(clinic: Any) -> Callable[..., PlanOut]:
    """Approve the current version of a plan as read (Dr Chen unless told)."""

    def made(plan: PlanOut, by: str = "chen") -> PlanOut:
        data = ApprovalIn(number=plan.current_version, version=plan.version, password=SECRET)
        return approve_plan(clinic.db, clinic[by], plan.id, data)

    return made


@pytest.fixture
def close(clinic: Any) -> Callable[..., PlanOut]:
    """Close a plan as read, with a reason (Alice unless told)."""

    def made(plan: PlanOut, by: str = "alice", reason: str = "Patient declined") -> PlanOut:
        return close_plan(
            clinic.db, clinic[by], plan.id, CloseIn(version=plan.version, reason=reason)
        )

    return made
