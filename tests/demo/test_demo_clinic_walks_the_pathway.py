"""The synthetic demo clinic walks the pathway: consents, evaluations, screenings, plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy import func, select

from alstrack.domain.plans import cell_sources
from alstrack.services import demo, users
from alstrack.store.models import (
    CollectionOrder,
    ConsentDocument,
    PatientConsent,
    PretreatmentEvaluation,
    Product,
    Screening,
    ScreeningReview,
    TreatmentPlan,
    TreatmentPlanVersion,
)


def test_the_demo_evaluates_screens_reviews_and_plans_through_the_services(db: Any) -> None:
    # The clinic's day is the demo's day: a plan rests on a screening made for now.
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        demo.load_demo(db, users.system_actor(db), patients=60, seed=1, today=date(2026, 11, 26))
    with db.read() as session:

        def count(model: Any) -> int:
            return session.scalar(select(func.count()).select_from(model)) or 0

        verdicts = set(session.scalars(select(Screening.verdict)))
        approved = session.execute(
            select(TreatmentPlanVersion, Screening)
            .join(TreatmentPlan, TreatmentPlan.id == TreatmentPlanVersion.plan_id)
            .join(Screening, Screening.id == TreatmentPlanVersion.screening_id)
            .where(TreatmentPlan.status == "approved")
        ).all()
        # 20 evaluated and screened as of their last visit, and a planning visit for each
        # patient plannable then: evaluated, weighed and screened again for now.
        assert count(PretreatmentEvaluation) == count(Screening) > 20
        # The admin installed the default template; each of the 20 consented before evaluation,
        # some through a representative before a witness.
        assert count(ConsentDocument) == 1
        assert count(PatientConsent) == 20
        signers = session.execute(select(PatientConsent.signed_by, PatientConsent.witness_name))
        assert {(by, witness is not None) for by, witness in signers} == {
            ("patient", False),
            ("representative", True),
        }
        assert {"not_eligible", "needs_review"} <= verdicts
        assert count(ScreeningReview) >= 1
        assert 1 <= len(approved) <= len(demo._PLANS)
        for version, screening in approved:
            assert version.approval_signature_id is not None
            assert screening.screened_at - screening.as_of <= timedelta(hours=24)
        autologous = [
            v
            for v, _ in approved
            if cell_sources().get(v.cell_source, field="").requires_collection
        ]
        assert count(CollectionOrder) == len(autologous)  # an order per autologous plan
        # No ALSTRACK_FACILITY_ID here: the demo makes no product without the facility number.
        assert count(Product) == 0
