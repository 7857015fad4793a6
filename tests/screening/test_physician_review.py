"""A physician decides each REVIEW criterion with a reason and a signature; an exclusion that
failed, a missing value and a procedure check cannot be decided away."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import Conflict, InvalidInput, PermissionDenied, StepRefused
from alstrack.services.screenings import ReviewIn, get_screening, review_criterion
from alstrack.store.models import AuditEntry, ElectronicSignature
from signing_cast import SECRET


def decide(clinic: Any, screening_id: int, criterion: str, decision: str, by: str = "chen") -> Any:
    data = ReviewIn(
        criterion_id=criterion,
        decision=decision,
        reason="Seen at clinic; discussed",
        password=SECRET,
    )
    return review_criterion(clinic.db, clinic[by], screening_id, data)


def test_accepting_every_open_review_makes_the_patient_eligible_after_review(
    clinic: Any, maria: Any
) -> None:
    screening = maria.screen(clinic)
    reviewed = decide(clinic, screening.id, "INC-PROG-001", "accept")
    assert reviewed.verdict == "needs_review"  # the computed verdict is never rewritten
    assert reviewed.status == "eligible_after_review"
    assert reviewed.open_reviews == []
    prog = next(c for c in reviewed.criteria if c.id == "INC-PROG-001")
    assert prog.review is not None
    assert prog.review.decision == "accept"
    assert prog.review.signature.display_name == "Dr Wei Chen"
    assert prog.review.signature.meaning == "reviewed"
    assert get_screening(clinic.db, clinic["alice"], screening.id) == reviewed


def test_a_physician_may_decide_that_a_finding_excludes_the_patient(
    clinic: Any, maria: Any
) -> None:
    screening = maria.screen(clinic)
    assert decide(clinic, screening.id, "INC-PROG-001", "exclude").status == "excluded_on_review"


def test_open_reviews_remain_until_each_is_decided(clinic: Any, maria: Any) -> None:
    maria.evaluate(clinic, **{"hx.unstable_medical_condition": True})  # a flag: REVIEW
    screening = maria.screen(clinic)
    assert sorted(screening.open_reviews) == ["EXC-MED-001", "INC-PROG-001"]
    once = decide(clinic, screening.id, "EXC-MED-001", "accept")
    assert (once.status, once.open_reviews) == ("needs_review", ["INC-PROG-001"])


def test_an_exclusion_that_failed_cannot_be_overridden(clinic: Any, maria: Any) -> None:
    maria.evaluate(clinic, **{"inf.active_systemic_infection": True})
    screening = maria.screen(clinic)
    with pytest.raises(StepRefused, match="cannot be overridden"):
        decide(clinic, screening.id, "EXC-INF-001", "accept")
    assert get_screening(clinic.db, clinic["chen"], screening.id).status == "not_eligible"


def test_a_missing_value_is_recorded_and_screened_again_not_reviewed(
    clinic: Any, maria: Any
) -> None:
    maria.void_first_evaluation(clinic)
    maria.evaluate(clinic, **{"hx.autoimmune_disease": None})
    screening = maria.screen(clinic)
    with pytest.raises(StepRefused, match="record it and screen again"):
        decide(clinic, screening.id, "EXC-IMM-001", "accept")


@pytest.mark.parametrize(
    ("criterion", "message"),
    [("LP-PLT-001", "procedure check"), ("EXC-INF-001", "is PASS; only REVIEW")],
)
def test_procedure_checks_and_passed_criteria_are_not_decided(
    clinic: Any, maria: Any, criterion: str, message: str
) -> None:
    screening = maria.screen(clinic)
    with pytest.raises(StepRefused, match=message):
        decide(clinic, screening.id, criterion, "accept")


def test_an_unknown_criterion_is_refused_naming_the_field(clinic: Any, maria: Any) -> None:
    screening = maria.screen(clinic)
    with pytest.raises(InvalidInput) as exc:
        decide(clinic, screening.id, "EXC-XYZ-001", "accept")
    assert exc.value.fields[0].field == "criterion_id"


def test_a_criterion_is_decided_once_a_new_screening_decides_afresh(
    clinic: Any, maria: Any
) -> None:
    screening = maria.screen(clinic)
    decide(clinic, screening.id, "INC-PROG-001", "accept")
    with pytest.raises(Conflict, match="screen again"):
        decide(clinic, screening.id, "INC-PROG-001", "exclude")


@pytest.mark.parametrize("who", ["alice", "nina", "aude"])
def test_only_a_physician_decides_a_review(clinic: Any, maria: Any, who: str) -> None:
    screening = maria.screen(clinic)
    with pytest.raises(PermissionDenied):
        decide(clinic, screening.id, "INC-PROG-001", "accept", by=who)


def test_a_decision_is_audited_with_its_reason_and_signed(clinic: Any, maria: Any) -> None:
    screening = maria.screen(clinic)
    decide(clinic, screening.id, "INC-PROG-001", "accept")
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "review")).one()
        signed = select(ElectronicSignature).where(ElectronicSignature.entity == "screening")
        signature = session.scalars(signed).one()
    assert (entry.username, entry.entity, entry.entity_id) == (
        "chen",
        "screening",
        str(screening.id),
    )
    assert entry.reason == "Seen at clinic; discussed"
    assert entry.new == {
        "criterion_id": "INC-PROG-001",
        "decision": "accept",
        "signature_id": signature.id,
        "meaning": "reviewed",
    }
    assert (signature.username, signature.meaning) == ("chen", "reviewed")
    assert signature.entity_id == f"{screening.id}/INC-PROG-001"


def test_a_screening_that_a_newer_one_superseded_is_not_decided(clinic: Any, maria: Any) -> None:
    older = maria.screen(clinic)
    newer = maria.screen(clinic)
    with pytest.raises(StepRefused, match=f"newer screening {newer.id}"):
        decide(clinic, older.id, "INC-PROG-001", "accept")
