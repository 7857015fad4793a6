"""Two qualified people confirm patient and product at the bedside; every refusal is audited.

Maria has an approved plan of UC-MSC lots given intrathecally; the lot is thawed at Northgate.
Nina (nurse) and Dr Chen (physician) confirm; Ben (lab) may not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from product_cast import NOW
from sqlalchemy import select

from alstrack.domain.isbt128 import check_character
from alstrack.errors import InvalidInput, PermissionDenied, StepRefused
from alstrack.services.bedside import bedside_checks
from alstrack.services.deviations import DeviationIn, open_deviation
from alstrack.services.products import get_product
from alstrack.store.models import AuditEntry

Stored = Callable[[], dict[str, int]]


def _refusals(clinic: Any) -> list[AuditEntry]:
    with clinic.db.read() as session:
        return list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == "bedside_refused"))
        )


@pytest.fixture
def lot_at_bedside(approved: Any, thawed: Any) -> Any:
    approved()
    return thawed()


def test_two_different_qualified_people_confirming_verify_the_product(
    clinic: Any, lot_at_bedside: Any, confirm: Any
) -> None:
    din = lot_at_bedside.din
    first = confirm(din, "nina", patient_entry="scanned", din_entry="scanned")
    assert (first.verified, first.still_needed, first.state) == (False, 1, "thawed")
    second = confirm(din, "chen", patient_entry="typed", din_entry="typed")
    assert (second.verified, second.still_needed, second.state) == (True, 0, "verified")
    assert [(c.username, c.patient_entry, c.din_entry) for c in second.confirmations] == [
        ("nina", "scanned", "scanned"),
        ("chen", "typed", "typed"),
    ]
    trace = get_product(clinic.db, clinic["alice"], din)
    assert trace.events[-1].step == "verify"
    assert trace.events[-1].note == "verified at the bedside by chen and nina"
    with clinic.db.read() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == din).order_by(AuditEntry.id)
        ).all()
    assert actions[-3:] == ["bedside_check", "bedside_check", "verify"]
    assert bedside_checks(clinic.db, clinic["alice"], din) == second


def test_the_same_person_confirming_twice_does_not_verify(
    clinic: Any, lot_at_bedside: Any, confirm: Any, stored: Stored
) -> None:
    confirm(lot_at_bedside.din, "nina")
    before = stored()
    with pytest.raises(StepRefused, match="a second qualified person must"):
        confirm(lot_at_bedside.din, "nina")
    assert stored() == before | {"audit_log": before["audit_log"] + 1}
    [refusal] = _refusals(clinic)
    assert refusal.username == "nina"
    assert refusal.new is not None
    assert "a second qualified person must" in refusal.new["refused"]


def test_a_typed_din_needs_its_check_character_and_a_wrong_one_is_refused_and_audited(
    clinic: Any, lot_at_bedside: Any, confirm: Any, stored: Stored
) -> None:
    din = lot_at_bedside.din
    right = check_character(din)
    wrong = "0" if right != "0" else "1"
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        confirm(din, din_entry="typed", entered=din)
    assert caught.value.fields[0].field == "din"
    assert "with its check character" in caught.value.fields[0].message
    with pytest.raises(InvalidInput, match=f"check character {wrong} does not match"):
        confirm(din, din_entry="typed", entered=din + wrong)
    with pytest.raises(InvalidInput, match="a scan reads the ISBT 128 bar-code data"):
        confirm(din, din_entry="scanned", entered=din + right)
    assert [r.entity_id for r in _refusals(clinic)] == [din, din, din]
    assert stored() == before | {"audit_log": before["audit_log"] + 3}


def test_a_product_not_allocated_to_this_patient_is_refused(
    clinic: Any, lot_at_bedside: Any, confirm: Any, pat: Any, stored: Stored
) -> None:
    before = stored()
    with pytest.raises(StepRefused, match="not allocated to this patient: stop and report"):
        confirm(lot_at_bedside.din, patient=pat.study_id)
    with pytest.raises(InvalidInput, match="no patient 'NOBODY' at your sites"):
        confirm(lot_at_bedside.din, patient="NOBODY")
    [mismatch, unknown] = _refusals(clinic)
    assert mismatch.patient_id == pat.id
    assert unknown.patient_id is None
    assert stored() == before | {"audit_log": before["audit_log"] + 2}


def test_an_expired_product_is_refused(
    clinic: Any, lot_at_bedside: Any, confirm: Any, clock: Any
) -> None:
    clock.move_to(NOW + timedelta(hours=4))  # thawed at NOW: post-thaw expiry 4 hours
    with pytest.raises(StepRefused, match=r"the product expired at .* \(REL-EXP-001\)"):
        confirm(lot_at_bedside.din)
    assert len(_refusals(clinic)) == 1


def test_an_unreleased_product_is_refused(
    clinic: Any, approved: Any, in_qc: Any, confirm: Any
) -> None:
    approved()
    product = in_qc()
    with pytest.raises(StepRefused) as caught:
        confirm(product.din)
    assert "the product has not been released by QA" in caught.value.message
    assert "the product is QC testing; it is checked at the bedside once thawed" in (
        caught.value.message
    )
    assert "not allocated to this patient" in caught.value.message
    assert len(_refusals(clinic)) == 1


def test_endotoxin_over_the_routes_limit_for_the_patients_weight_is_refused(
    clinic: Any, approved: Any, thawed: Any, confirm: Any
) -> None:
    plan = approved()
    limit = plan.versions[-1].endotoxin_limit_eu  # 0.2 EU/kg x her weight, intrathecal
    product = thawed(endotoxin_eu_per_ml=0.4)  # passes release: < 0.5 EU/mL
    too_much = limit / 0.4 + 1
    with pytest.raises(StepRefused, match="endotoxin in this dose fail for intrathecal"):
        confirm(product.din, volume=too_much)
    assert confirm(product.din, volume=limit / 0.4 - 1).still_needed == 1


def test_the_same_lot_passes_intravenously_where_it_fails_intrathecally(
    clinic: Any, approved: Any, thawed: Any, confirm: Any
) -> None:
    plan = approved(route="intravenous")  # K = 5 EU/kg: 25 times the intrathecal limit
    product = thawed(endotoxin_eu_per_ml=0.4)
    volume = plan.versions[-1].endotoxin_limit_eu / 25 / 0.4 + 1
    assert confirm(product.din, volume=volume).still_needed == 1


def test_a_failed_lumbar_puncture_check_blocks_an_intrathecal_dose(
    clinic: Any, maria: Any, lot_at_bedside: Any, confirm: Any
) -> None:
    maria.evaluate(clinic, **{"lab.platelets_10e9_per_l": 30.0})
    maria.screen(clinic)  # her newest screening fails LP-PLT-001
    with pytest.raises(StepRefused, match=r"LP-PLT-001 is FAIL .*: the lumbar puncture for"):
        confirm(lot_at_bedside.din)
    assert len(_refusals(clinic)) == 1


def test_a_lumbar_puncture_check_on_an_old_screening_is_not_read(
    clinic: Any, lot_at_bedside: Any, confirm: Any, clock: Any, step: Any
) -> None:
    clock.move_to(NOW + timedelta(days=31), tick=False)
    with pytest.raises(StepRefused) as caught:
        confirm(lot_at_bedside.din)
    assert "the lumbar-puncture checks cannot be read: the newest screening is as of" in (
        caught.value.message
    )
    assert "more than 30 days before this check" in caught.value.message


def test_an_open_deviation_is_refused_at_the_bedside(
    clinic: Any, lot_at_bedside: Any, confirm: Any
) -> None:
    data = DeviationIn(kind="temperature_excursion", description="Dewar alarm at -120 °C")
    open_deviation(clinic.db, clinic["nina"], lot_at_bedside.din, data)
    with pytest.raises(StepRefused, match=r"open deviation \(deviation \d+: temperature"):
        confirm(lot_at_bedside.din)


def test_the_two_confirmations_must_be_for_the_same_volume(
    lot_at_bedside: Any, confirm: Any
) -> None:
    confirm(lot_at_bedside.din, "nina", volume=10.0)
    with pytest.raises(StepRefused, match="the first confirmation was for 10 mL, not 12 mL"):
        confirm(lot_at_bedside.din, "chen", volume=12.0)


def test_only_qualified_clinic_staff_confirm(
    clinic: Any, lot_at_bedside: Any, confirm: Any
) -> None:
    for person in ("ben", "alice", "quinn"):
        with pytest.raises(PermissionDenied, match=r"products\.administer"):
            confirm(lot_at_bedside.din, person)
    assert [r.username for r in _refusals(clinic)] == ["ben", "alice", "quinn"]


def test_verify_and_administer_are_not_taken_as_plain_steps(lot_at_bedside: Any, step: Any) -> None:
    for name in ("verify", "administer"):
        with pytest.raises(InvalidInput) as caught:
            step(lot_at_bedside.din, name, by="nina")
        assert caught.value.fields[0].field == "step"
