"""Withdrawal stops screening and procedures from its day and keeps the record; a version that
requires re-consent stops them from its effective day until the patient consents to it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from screening_cast import evaluation
from sqlalchemy import select

from alstrack.errors import Conflict, InvalidInput, StepRefused
from alstrack.services import records
from alstrack.services.audit_trail import for_record
from alstrack.services.consents import CONSENT, WithdrawalIn, consent_status, withdraw
from alstrack.services.evaluations import PRETREATMENT_EVALUATION
from alstrack.services.records import Void
from alstrack.store.models import AuditEntry

Stored = Callable[[], dict[str, int]]


def _withdraw(clinic: Any, consent_id: int, on: date, version: int = 1, **given: Any) -> Any:
    data = {"withdrawn_on": on, "version": version, "reason": "Does not want more procedures"}
    return withdraw(clinic.db, clinic["alice"], consent_id, WithdrawalIn(**data | given))


def test_a_withdrawal_keeps_the_record_and_is_audited_with_its_reason(
    clinic: Any, maria: Any
) -> None:
    withdrawn = _withdraw(clinic, maria.consent_id, date(2026, 10, 30))
    assert (withdrawn.status, withdrawn.withdrawn_on, withdrawn.version) == (
        "current",
        date(2026, 10, 30),
        2,
    )
    assert withdrawn.withdrawal_recorded_by == clinic["alice"].user_id
    assert records.list_for_patient(clinic.db, clinic["chen"], CONSENT, maria.patient_id) == [
        withdrawn
    ]
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "withdraw")).one()
    assert (entry.entity, entry.entity_id, entry.reason) == (
        "consent",
        str(maria.consent_id),
        "Does not want more procedures",
    )
    assert entry.new is not None
    assert entry.new["withdrawn_on"] == "2026-10-30"


def test_after_a_withdrawal_the_patient_is_not_screened_and_nothing_is_stored(
    clinic: Any, maria: Any, stored: Stored
) -> None:
    _withdraw(clinic, maria.consent_id, date(2026, 10, 30))
    before = stored()
    with pytest.raises(StepRefused, match="withdrew consent on 2026-10-30"):
        maria.screen(clinic)
    later = evaluation().model_copy(update={"assessed_on": date(2026, 10, 31)})
    with pytest.raises(StepRefused, match="no valid consent for a pretreatment evaluation"):
        records.add(clinic.db, clinic["nina"], PRETREATMENT_EVALUATION, maria.patient_id, later)
    assert stored() == before


def test_a_withdrawal_counts_from_its_day_and_stops_backdated_screenings_too(
    clinic: Any, maria: Any, screen: Any
) -> None:
    _withdraw(clinic, maria.consent_id, date(2026, 11, 2))
    with pytest.raises(StepRefused, match="withdrew consent on 2026-11-02"):
        screen(maria.patient_id, date(2026, 11, 2))
    # As of the day before, the consent held; but the patient has withdrawn since, and a
    # screening made now, backdated, is a new act done after the withdrawal.
    with pytest.raises(StepRefused, match="no valid consent for screening on 2026-11-26"):
        screen(maria.patient_id, date(2026, 11, 1))
    status = consent_status(clinic.db, clinic["nina"], maria.patient_id, date(2026, 11, 1))
    assert status.valid
    assert status.consent is not None
    assert status.consent.id == maria.consent_id
    assert not consent_status(clinic.db, clinic["nina"], maria.patient_id).valid


def test_a_new_consent_after_a_withdrawal_holds_again(
    clinic: Any, maria: Any, consented: Callable[..., Any], screen: Any
) -> None:
    _withdraw(clinic, maria.consent_id, date(2026, 10, 30))
    again = consented(maria.patient_id, date(2026, 10, 31))
    screening = screen(maria.patient_id, date(2026, 11, 1))
    assert screening.inputs["consent.signed"]["source"] == f"consent {again.id}"


@pytest.mark.parametrize(
    ("on", "message"),
    [
        (date(2026, 11, 27), "must not be after today (2026-11-26)"),
        (date(2026, 10, 19), "must not be before the consent (2026-10-20)"),
    ],
)
def test_a_withdrawal_in_the_future_or_before_the_consent_is_refused(
    clinic: Any, maria: Any, stored: Stored, on: date, message: str
) -> None:
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        _withdraw(clinic, maria.consent_id, on)
    assert caught.value.fields[0].field == "withdrawn_on"
    assert message in caught.value.fields[0].message
    assert stored() == before


def test_a_withdrawal_needs_a_reason_the_version_read_and_happens_once(
    clinic: Any, maria: Any, stored: Stored
) -> None:
    before = stored()
    with pytest.raises(InvalidInput, match="reason"):
        _withdraw(clinic, maria.consent_id, date(2026, 10, 30), reason="  ")
    with pytest.raises(Conflict):
        _withdraw(clinic, maria.consent_id, date(2026, 10, 30), version=7)
    assert stored() == before
    _withdraw(clinic, maria.consent_id, date(2026, 10, 30))
    with pytest.raises(StepRefused, match="withdrawn on 2026-10-30 already"):
        _withdraw(clinic, maria.consent_id, date(2026, 10, 31), version=2)


def test_a_version_that_requires_reconsent_stops_screening_from_its_day_until_reconsent(
    clinic: Any,
    maria: Any,
    version: Callable[..., Any],
    consented: Callable[..., Any],
    screen: Any,
    stored: Stored,
) -> None:
    second = version("2.0", date(2026, 11, 10), requires_reconsent=True)
    before = stored()
    # Version 1.0 held on 9 Nov, but a screening made today needs the consent that holds today.
    with pytest.raises(StepRefused, match="no valid consent for screening on 2026-11-26"):
        screen(maria.patient_id, date(2026, 11, 9))
    with pytest.raises(StepRefused) as caught:
        screen(maria.patient_id, date(2026, 11, 10))
    assert "version 2.0, in effect from 2026-11-10, requires re-consent" in caught.value.message
    assert "record the patient's consent to version 2.0" in caught.value.message
    # Consenting again to the version it replaces is refused, naming the version to sign.
    with pytest.raises(InvalidInput) as refused:
        consented(maria.patient_id, date(2026, 11, 10))
    assert refused.value.fields[0].field == "document_id"
    assert f"record the consent to version 2.0 (consent document {second.id})" in (
        refused.value.fields[0].message
    )
    assert stored() == before
    consented(maria.patient_id, date(2026, 11, 10), document_id=second.id)
    assert screen(maria.patient_id, date(2026, 11, 10)).inputs["consent.signed"]["value"] is True


def test_a_version_that_does_not_require_reconsent_leaves_the_consent_holding(
    clinic: Any, maria: Any, version: Callable[..., Any], screen: Any
) -> None:
    version("1.1", date(2026, 11, 10))
    assert screen(maria.patient_id, date(2026, 11, 12)).id


def test_a_withdrawn_consent_is_not_voided_so_the_withdrawal_stays(
    clinic: Any, maria: Any, stored: Stored
) -> None:
    withdrawn = _withdraw(clinic, maria.consent_id, date(2026, 11, 2))
    before = stored()
    with pytest.raises(StepRefused, match="the withdrawal would be lost with it"):
        records.void(
            clinic.db, clinic["alice"], CONSENT, maria.consent_id,
            Void(version=withdrawn.version, reason="Duplicate entry"),
        )  # fmt: skip
    assert stored() == before
    assert not consent_status(clinic.db, clinic["nina"], maria.patient_id).valid


def test_the_audit_trail_hides_who_signed_and_why_from_those_who_may_not_read_consents(
    clinic: Any, maria: Any
) -> None:
    _withdraw(clinic, maria.consent_id, date(2026, 11, 2), reason="Moving abroad")
    admin = for_record(clinic.db, clinic["adam"], "consent", str(maria.consent_id))
    auditor = for_record(clinic.db, clinic["aude"], "consent", str(maria.consent_id))
    assert "Moving abroad" not in str([e.new for e in admin])
    assert "Moving abroad" in str([e.new for e in auditor])
