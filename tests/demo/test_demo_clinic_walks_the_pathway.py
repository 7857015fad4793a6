"""The synthetic demo clinic shows the pathway: evaluations, screenings, reviews, plans."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from alstrack.services import demo, users
from alstrack.store.models import (
    CollectionOrder,
    PretreatmentEvaluation,
    Screening,
    ScreeningReview,
    TreatmentPlan,
)


def test_the_demo_evaluates_screens_reviews_and_plans_through_the_services(db: Any) -> None:
    demo.load_demo(db, users.system_actor(db), patients=60, seed=1, today=date(2026, 11, 26))
    with db.read() as session:

        def count(model: Any) -> int:
            return session.scalar(select(func.count()).select_from(model)) or 0

        verdicts = set(session.scalars(select(Screening.verdict)))
        approved = session.scalars(
            select(TreatmentPlan).where(TreatmentPlan.status == "approved")
        ).all()
        assert count(PretreatmentEvaluation) == count(Screening) == 20
        assert {"not_eligible", "needs_review"} <= verdicts
        assert count(ScreeningReview) >= 1
        assert len(approved) == 2
        assert count(CollectionOrder) == 1  # for the autologous plan only
