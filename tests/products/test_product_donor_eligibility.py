"""QA determines a donor eligible only when the DON- rules pass, and says why not otherwise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import Conflict, InvalidInput, PermissionDenied, StepRefused
from alstrack.services.donors import (
    DeterminationIn,
    DonorIn,
    DonorTestIn,
    determine_eligibility,
    get_donor,
    record_donor_test,
    register_donor,
)
from alstrack.store.models import AuditEntry, ElectronicSignature
from signing_cast import SECRET

Stored = Callable[[], dict[str, int]]


def test_a_donor_whose_required_tests_are_nonreactive_in_the_window_is_eligible(
    clinic: Any, donor: Any
) -> None:
    out = donor(days=-3)
    assert (out.eligibility, out.reasons, out.determined_by) == (
        "eligible",
        [],
        clinic["quinn"].user_id,
    )
    # A neonatal donor is flagged (test the birth mother), which does not decide by itself.
    assert {c.id: c.result for c in out.criteria}["DON-NEONATE-001"] == "REVIEW"
    with clinic.db.read() as session:
        signed = select(ElectronicSignature).where(ElectronicSignature.entity == "donor")
        [signature] = session.scalars(signed).all()
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "determine")).all()
    assert (signature.meaning, signature.entity, signature.username) == (
        "determined",
        "donor",
        "quinn",
    )
    assert entry.new["eligibility"] == "eligible"


def test_a_reactive_test_makes_the_donor_ineligible_with_the_reason(donor: Any) -> None:
    out = donor(results={"hcv_nat": "reactive"})
    assert out.eligibility == "ineligible"
    [reason] = out.reasons
    assert reason.startswith("DON-TEST-001")
    assert "reactive" in reason


def test_a_specimen_outside_the_rules_window_makes_the_donor_ineligible(donor: Any) -> None:
    out = donor(days=-9)
    assert out.eligibility == "ineligible"
    assert [r.split(":")[0] for r in out.reasons] == ["DON-TIMING-001"]


def test_a_required_test_not_recorded_makes_the_donor_ineligible(clinic: Any, qa: Any) -> None:
    out = register_donor(
        clinic.db, clinic["ben"], DonorIn(code="UC-0002", recovered_on=date(2026, 10, 20))
    )
    data = DonorTestIn(test="hbsag", result="nonreactive", specimen_days_from_recovery=0)
    out = record_donor_test(clinic.db, clinic["ben"], out.id, data)
    out = determine_eligibility(
        clinic.db, clinic["quinn"], out.id, DeterminationIn(version=1, password=SECRET)
    )
    assert out.eligibility == "ineligible"
    assert "not_done" in out.reasons[0]


def test_only_qa_determines_eligibility_and_a_refusal_stores_nothing(
    clinic: Any, donor: Any, stored: Stored
) -> None:
    pending = donor(determine=False)
    before = stored()
    with pytest.raises(PermissionDenied, match=r"products\.release"):
        determine_eligibility(
            clinic.db, clinic["ben"], pending.id, DeterminationIn(version=1, password=SECRET)
        )
    with pytest.raises(Conflict):
        determine_eligibility(
            clinic.db, clinic["quinn"], pending.id, DeterminationIn(version=7, password=SECRET)
        )
    assert stored() == before


def test_a_determination_is_made_once_and_tests_come_before_it(
    clinic: Any, donor: Any, stored: Stored
) -> None:
    out = donor()
    before = stored()
    with pytest.raises(StepRefused, match="determined eligible already"):
        determine_eligibility(
            clinic.db,
            clinic["quentin"],
            out.id,
            DeterminationIn(version=out.version, password=SECRET),
        )
    data = DonorTestIn(test="hcv_nat", result="reactive", specimen_days_from_recovery=0)
    with pytest.raises(StepRefused, match="before the determination"):
        record_donor_test(clinic.db, clinic["ben"], out.id, data)
    assert stored() == before


def test_repeating_a_test_supersedes_it_and_needs_a_reason(
    clinic: Any, donor: Any, stored: Stored
) -> None:
    out = donor(determine=False)
    data = DonorTestIn(test="hbsag", result="indeterminate", specimen_days_from_recovery=1)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        record_donor_test(clinic.db, clinic["ben"], out.id, data)
    assert caught.value.fields[0].field == "reason"
    assert stored() == before
    data = data.model_copy(update={"reason": "Retested after a haemolysed sample"})
    out = record_donor_test(clinic.db, clinic["ben"], out.id, data)
    hbsag = [(t.result, t.status) for t in out.tests if t.test == "hbsag"]
    assert hbsag == [("nonreactive", "superseded"), ("indeterminate", "current")]
    assert "DON-TEST-001" in out.reasons[0]


def test_a_donor_code_is_registered_once_and_recovery_is_not_in_the_future(
    clinic: Any, donor: Any, stored: Stored
) -> None:
    donor(code="UC-0007", determine=False)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        register_donor(
            clinic.db, clinic["ben"], DonorIn(code="UC-0007", recovered_on=date(2026, 10, 1))
        )
    assert caught.value.fields[0].field == "code"
    with pytest.raises(InvalidInput) as caught:
        register_donor(
            clinic.db, clinic["ben"], DonorIn(code="UC-0008", recovered_on=date(2027, 1, 1))
        )
    assert caught.value.fields[0].field == "recovered_on"
    with pytest.raises(PermissionDenied):
        register_donor(
            clinic.db, clinic["alice"], DonorIn(code="UC-0009", recovered_on=date(2026, 10, 1))
        )
    assert stored() == before
    assert get_donor(clinic.db, clinic["olga"], 1).code == "UC-0007"


def test_a_test_not_in_the_donor_test_list_is_refused_naming_the_list(
    clinic: Any, donor: Any, stored: Stored
) -> None:
    out = donor(determine=False)
    before = stored()
    data = DonorTestIn(test="hiv", result="nonreactive", specimen_days_from_recovery=0)
    with pytest.raises(InvalidInput) as caught:
        record_donor_test(clinic.db, clinic["ben"], out.id, data)
    assert caught.value.fields[0].field == "test"
    assert "'hiv' is not a donor test of donor-tests.yaml; choose hiv_1_antibody" in (
        caught.value.fields[0].message
    )
    assert stored() == before
