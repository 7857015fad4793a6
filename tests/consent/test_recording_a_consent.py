"""A patient's consent names the version, the day and who signed; refused otherwise, audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import InvalidInput, NotFound, PermissionDenied, StepRefused
from alstrack.services import records
from alstrack.services.consents import CONSENT, ConsentIn, WithdrawalIn, withdraw
from alstrack.services.records import Correction, Void
from alstrack.store.models import AuditEntry

Stored = Callable[[], dict[str, int]]
REPRESENTATIVE = {
    "signed_by": "representative",
    "representative_name": "Ana Silva",
    "representative_relationship": "daughter, health-care proxy",
    "witness_name": "Nina Okafor",
}


def _fields(caught: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {f.field: f.message for f in caught.value.fields}


def test_a_consent_signed_by_the_patient_is_recorded_with_its_version_and_audited(
    clinic: Any, pat: Any, consented: Callable[..., Any]
) -> None:
    made = consented(pat.id, date(2024, 2, 1))
    assert (made.document_version, made.consented_on, made.signed_by) == (
        "1.0",
        date(2024, 2, 1),
        "patient",
    )
    assert (made.status, made.version, made.withdrawn_on) == ("current", 1, None)
    assert records.list_for_patient(clinic.db, clinic["nina"], CONSENT, pat.id) == [made]
    with clinic.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "consent", AuditEntry.action == "create")
        ).one()
    assert (entry.username, entry.patient_id, entry.entity_id) == ("alice", pat.id, str(made.id))
    assert entry.new is not None
    assert entry.new["signed_by"] == "patient"
    assert entry.new["document_version"] == "1.0"


def test_a_representative_signs_before_a_witness(
    clinic: Any, pat: Any, consented: Callable[..., Any]
) -> None:
    made = consented(pat.id, **REPRESENTATIVE)
    assert (made.representative_name, made.witness_name) == ("Ana Silva", "Nina Okafor")


def test_a_representative_without_a_name_relationship_or_witness_is_refused(
    clinic: Any, pat: Any, consented: Callable[..., Any], stored: Stored
) -> None:
    consented(pat.id)  # installs the document
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        consented(pat.id, signed_by="representative")
    assert set(_fields(caught)) == {
        "representative_name",
        "representative_relationship",
        "witness_name",
    }
    with pytest.raises(InvalidInput) as caught:
        consented(pat.id, **REPRESENTATIVE | {"witness_name": None})
    assert _fields(caught) == {"witness_name": "a representative signs before a witness: name them"}
    with pytest.raises(InvalidInput) as caught:
        consented(pat.id, representative_name="Ana Silva")
    assert _fields(caught) == {"representative_name": "is given only when a representative signs"}
    assert stored() == before


@pytest.mark.parametrize(
    ("on", "field", "message"),
    [
        (date(2026, 11, 27), "consented_on", "must not be after today (2026-11-26)"),
        (date(2023, 12, 31), "consented_on", "version 1.0 takes effect on 2024-01-01"),
        (date(1958, 4, 1), "consented_on", "must not be before the date of birth"),
    ],
)
def test_a_consent_dated_in_the_future_or_before_its_version_is_in_force_is_refused(
    clinic: Any,
    pat: Any,
    consented: Callable[..., Any],
    stored: Stored,
    on: date,
    field: str,
    message: str,
) -> None:
    consented(pat.id)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        consented(pat.id, on)
    assert message in _fields(caught)[field]
    assert stored() == before


def test_a_consent_to_an_unknown_document_is_refused(
    clinic: Any, pat: Any, consented: Callable[..., Any]
) -> None:
    data = ConsentIn(document_id=999, consented_on=date(2024, 2, 1), signed_by="patient")
    with pytest.raises(InvalidInput, match="no consent document 999"):
        records.add(clinic.db, clinic["alice"], CONSENT, pat.id, data)


def test_coordinators_and_physicians_record_consents_and_clinicians_read_them(
    clinic: Any, pat: Any, consented: Callable[..., Any]
) -> None:
    made = consented(pat.id)
    data = ConsentIn(
        document_id=made.document_id, consented_on=date(2024, 2, 1), signed_by="patient"
    )
    assert records.add(clinic.db, clinic["chen"], CONSENT, pat.id, data).signed_by == "patient"
    for who in ("nina", "ben", "olga", "adam"):
        with pytest.raises(PermissionDenied):
            records.add(clinic.db, clinic[who], CONSENT, pat.id, data)
    # A consent names a representative and a witness: read with the identifiers.
    for who in ("ben", "olga", "adam"):
        with pytest.raises(PermissionDenied):
            records.list_for_patient(clinic.db, clinic[who], CONSENT, pat.id)
    with pytest.raises(NotFound):
        records.get(clinic.db, clinic["sami"], CONSENT, made.id)


def test_a_consent_is_corrected_by_superseding_and_voided_when_entered_in_error(
    clinic: Any, pat: Any, consented: Callable[..., Any]
) -> None:
    made = consented(pat.id, date(2024, 2, 1))
    fixed = records.correct(
        clinic.db,
        clinic["alice"],
        CONSENT,
        made.id,
        Correction[ConsentIn](
            record=ConsentIn(
                document_id=made.document_id, consented_on=date(2024, 2, 3), **REPRESENTATIVE
            ),
            version=1,
            reason="Signed by her daughter on the 3rd",
        ),
    )
    assert (fixed.supersedes_id, fixed.signed_by) == (made.id, "representative")
    voided = records.void(
        clinic.db, clinic["chen"], CONSENT, fixed.id, Void(version=1, reason="Wrong patient")
    )
    assert voided.status == "entered_in_error"
    assert records.list_for_patient(clinic.db, clinic["chen"], CONSENT, pat.id) == []


def test_a_withdrawn_consent_is_not_corrected_a_correction_would_undo_the_withdrawal(
    clinic: Any, pat: Any, consented: Callable[..., Any], stored: Stored
) -> None:
    made = consented(pat.id, date(2024, 2, 1))
    withdraw(
        clinic.db,
        clinic["alice"],
        made.id,
        WithdrawalIn(withdrawn_on=date(2024, 5, 1), version=1, reason="Moving abroad"),
    )
    before = stored()
    with pytest.raises(StepRefused, match="was withdrawn on 2024-05-01"):
        records.correct(
            clinic.db,
            clinic["alice"],
            CONSENT,
            made.id,
            Correction[ConsentIn](
                record=ConsentIn(
                    document_id=made.document_id, consented_on=date(2024, 2, 2), signed_by="patient"
                ),
                version=2,
                reason="Date",
            ),
        )
    assert stored() == before
