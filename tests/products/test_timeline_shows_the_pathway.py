"""The patient's timeline shows the pathway beside the registry: consent, plan approval, the
dose, visits made, adverse events and adjunct sessions, each for those who may read it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from product_cast import NOW

from alstrack.services import records
from alstrack.services.adjuncts import SessionHeldIn, SessionPlanIn, plan_sessions, record_session
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventIn
from alstrack.services.plans import AdjunctIn
from alstrack.services.timeline import timeline
from alstrack.services.visits import VisitIn, record_visit

HEADACHE: dict[str, Any] = {
    "term": "Post-lumbar puncture headache",
    "onset_date": date(2026, 11, 2),
    "aware_on": date(2026, 11, 2),
    "grade": 2,
    "serious_criteria": [],
    "related_to_procedure": "probable",
    "related_to_product": "unlikely",
    "expectedness": "expected",
    "action_taken": "medication_given",
    "outcome": "recovering",
}


def test_the_timeline_shows_each_step_of_the_pathway_in_date_order(
    clinic: Any, api: Any, maria: Any, approved: Any, dose: Any, clock: Any
) -> None:
    plan = approved(adjunct_therapies=[AdjunctIn(therapy="physiotherapy")])
    given = dose()
    [physio] = plan_sessions(
        clinic.db, clinic["alice"], plan.id,
        SessionPlanIn(therapy="physiotherapy", first_on=date(2026, 11, 2)),
    )  # fmt: skip
    clock.move_to(NOW + timedelta(days=2), tick=False)
    record_visit(
        clinic.db, clinic["nina"], given.follow_up[0].id,
        VisitIn(visited_on=date(2026, 11, 2), version=1),
    )  # fmt: skip
    record_session(
        clinic.db, clinic["nina"], physio.id,
        SessionHeldIn(held_on=date(2026, 11, 2), provider="Northgate physio", version=1),
    )  # fmt: skip
    records.add(
        clinic.db, clinic["chen"], ADVERSE_EVENT, maria.patient_id, AdverseEventIn(**HEADACHE)
    )

    shown = timeline(clinic.db, clinic["chen"], maria.patient_id)
    pathway = [
        (e.date, e.type, e.summary)
        for e in shown.events
        if e.type
        in {"consent", "plan_approved", "administration", "follow_up_visit", "adverse_event",
            "adjunct_session"}
    ]  # fmt: skip
    assert [(d, t) for d, t, _ in pathway] == [
        (date(2026, 10, 20), "consent"),
        (date(2026, 11, 1), "plan_approved"),
        (date(2026, 11, 1), "administration"),
        (date(2026, 11, 2), "adverse_event"),
        (date(2026, 11, 2), "follow_up_visit"),
        (date(2026, 11, 2), "adjunct_session"),
    ]
    summaries = [s for _, _, s in pathway]
    assert summaries[0].startswith("Consent signed by the patient: ")
    assert summaries[2] == f"Dose 1 of 3: 6.1e+07 cells intrathecal ({given.din})"
    assert summaries[3] == (
        "Adverse event: Post-lumbar puncture headache, grade 2, outcome recovering"
    )
    assert summaries[4] == "Day 1 visit"
    assert summaries[5] == "Physiotherapy session 1 (Northgate physio)"
    dose = next(e for e in shown.events if e.type == "administration")
    assert dose.record_id == given.id

    # An analyst reads no consents: the timeline leaves them out, and keeps the rest.
    analyst = timeline(clinic.db, clinic["olga"], maria.patient_id)
    types = {e.type for e in analyst.events}
    assert "consent" not in types
    assert {"administration", "adverse_event", "follow_up_visit"} <= types
    over_http = api("chen").get(f"/patients/{maria.patient_id}/timeline").json()
    assert [e["type"] for e in over_http["events"]].count("adjunct_session") == 1
