"""Which consent holds on a day, from plain documents and consents (domain/consent.py, no db)."""

from __future__ import annotations

from datetime import date

import pytest

from alstrack.domain.consent import (
    ConsentFacts,
    DocumentFacts,
    signature_problems,
    signing_problem,
    standing_on,
)

V1 = DocumentFacts(1, "1.0", date(2026, 1, 1), None, requires_reconsent=False)
V1_1 = DocumentFacts(2, "1.1", date(2026, 6, 1), None, requires_reconsent=False)
V2 = DocumentFacts(3, "2.0", date(2026, 9, 1), None, requires_reconsent=True)
CONSENT = ConsentFacts(10, document_id=1, consented_on=date(2026, 3, 1))


def test_a_consent_holds_from_its_day_on() -> None:
    assert standing_on([CONSENT], [V1], date(2026, 3, 1)).consent == CONSENT
    assert standing_on([CONSENT], [V1], date(2027, 3, 1)).valid


def test_without_a_consent_nothing_holds_and_the_reason_says_what_to_do() -> None:
    standing = standing_on([], [V1], date(2026, 3, 1))
    assert (standing.valid, standing.reason) == (
        False,
        "no consent is recorded; record the patient's consent first",
    )


def test_a_consent_given_after_the_day_does_not_hold_on_it() -> None:
    standing = standing_on([CONSENT], [V1], date(2026, 2, 28))
    assert not standing.valid
    assert standing.reason == "the patient's first consent is dated 2026-03-01, after 2026-02-28"


def test_a_withdrawal_ends_the_consent_from_its_day_and_not_before() -> None:
    withdrawn = ConsentFacts(10, 1, date(2026, 3, 1), withdrawn_on=date(2026, 4, 10))
    assert standing_on([withdrawn], [V1], date(2026, 4, 9)).valid
    standing = standing_on([withdrawn], [V1], date(2026, 4, 10))
    assert not standing.valid
    assert standing.reason is not None
    assert standing.reason.startswith("the patient withdrew consent on 2026-04-10")


def test_a_withdrawal_ends_every_earlier_consent_whichever_record_it_is_written_on() -> None:
    earlier = ConsentFacts(10, 1, date(2026, 3, 1))
    later = ConsentFacts(11, 2, date(2026, 6, 2), withdrawn_on=date(2026, 7, 1))
    assert not standing_on([earlier, later], [V1, V1_1], date(2026, 7, 1)).valid


def test_after_a_withdrawal_a_consent_given_the_next_day_holds_one_given_that_day_does_not() -> (
    None
):
    withdrawn = ConsentFacts(10, 1, date(2026, 3, 1), withdrawn_on=date(2026, 4, 10))
    same_day = ConsentFacts(11, 1, date(2026, 4, 10))
    next_day = ConsentFacts(12, 1, date(2026, 4, 11))
    assert not standing_on([withdrawn, same_day], [V1], date(2026, 4, 12)).valid
    assert standing_on([withdrawn, next_day], [V1], date(2026, 4, 12)).consent == next_day


def test_a_version_that_requires_reconsent_ends_earlier_consents_from_its_effective_day() -> None:
    assert standing_on([CONSENT], [V1, V2], date(2026, 8, 31)).valid
    standing = standing_on([CONSENT], [V1, V2], date(2026, 9, 1))
    assert not standing.valid
    assert standing.reason == (
        "consent document version 2.0, in effect from 2026-09-01, requires re-consent (the "
        "patient consented to version 1.0); record the patient's consent to version 2.0"
    )
    again = ConsentFacts(11, document_id=3, consented_on=date(2026, 9, 5))
    assert standing_on([CONSENT, again], [V1, V2], date(2026, 9, 5)).consent == again


def test_a_new_version_that_does_not_require_reconsent_leaves_earlier_consents_holding() -> None:
    assert standing_on([CONSENT], [V1, V1_1], date(2026, 12, 1)).consent == CONSENT


@pytest.mark.parametrize(
    ("document", "on", "field", "message"),
    [
        (V1_1, date(2026, 5, 31), "consented_on", "version 1.1 takes effect on 2026-06-01"),
        (
            DocumentFacts(4, "0.9", date(2025, 1, 1), date(2025, 12, 31), False),
            date(2026, 1, 1),
            "consented_on",
            "version 0.9 was in force until 2025-12-31",
        ),
        (V1, date(2026, 9, 1), "document_id", "version 2.0 replaces version 1.0 from 2026-09-01"),
    ],
)
def test_a_version_is_signed_only_while_in_force_and_not_replaced(
    document: DocumentFacts, on: date, field: str, message: str
) -> None:
    problem = signing_problem(document, [V1, V1_1, V2, document], on)
    assert problem is not None
    assert problem.field == field
    assert message in problem.message
    assert signing_problem(V1, [V1, V2], date(2026, 8, 31)) is None


def test_a_representative_signs_named_with_a_relationship_before_a_witness() -> None:
    assert signature_problems("representative", "Ana Silva", "daughter", "Nina Okafor") == []
    missing = signature_problems("representative", None, " ", None)
    assert [p.field for p in missing] == [
        "representative_name",
        "representative_relationship",
        "witness_name",
    ]


def test_a_patient_who_signs_names_no_representative_and_may_name_a_witness() -> None:
    assert signature_problems("patient", None, None, None) == []
    assert signature_problems("patient", None, None, "Nina Okafor") == []
    problems = signature_problems("patient", "Ana Silva", None, None)
    assert [(p.field, p.message) for p in problems] == [
        ("representative_name", "is given only when a representative signs")
    ]
