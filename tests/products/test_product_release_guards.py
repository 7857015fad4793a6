"""Release is QA's, signed, with every test passed, by someone who entered no result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import Conflict, PermissionDenied, StepRefused
from alstrack.services.product_steps import StepIn, take_step
from alstrack.services.products import get_product
from alstrack.store.models import AuditEntry, ElectronicSignature

Stored = Callable[[], dict[str, int]]


def test_qa_releases_a_lot_whose_tests_all_pass_and_the_signature_is_on_the_event(
    clinic: Any, in_qc: Any, step: Any
) -> None:
    product = in_qc()
    event = step(product.din, "release", by="quinn")
    assert (event.from_state, event.to_state) == ("qc_testing", "released")
    with clinic.db.read() as session:
        signature = session.get_one(ElectronicSignature, event.signature_id)
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "release")).one()
    assert (signature.meaning, signature.username, signature.entity_id) == (
        "released",
        "quinn",
        product.din,
    )
    assert entry.new["signature_id"] == signature.id
    assert (entry.old["state"], entry.new["state"]) == ("qc_testing", "released")


def test_a_step_out_of_order_is_refused_with_what_may_come_next(
    clinic: Any, lot: Any, step: Any, stored: Stored
) -> None:
    product = lot()
    before = stored()
    with pytest.raises(
        StepRefused, match="out of order: the product is donor screened; next: manufacture, discard"
    ):
        step(product.din, "ship_to_clinic")
    with pytest.raises(StepRefused, match="out of order"):
        step(product.din, "release", by="quinn")
    assert stored() == before


def test_release_with_a_failed_or_missing_test_is_refused_naming_the_tests(
    clinic: Any, in_qc: Any, step: Any, stored: Stored
) -> None:
    failed = in_qc(viability_pct=61.0, mycoplasma=None)
    before = stored()
    with pytest.raises(StepRefused) as caught:
        step(failed.din, "release", by="quinn")
    message = caught.value.message
    assert "no release with a failed or missing test" in message
    assert "Viability fail: 61% does not meet ≥ 70%" in message
    assert "Mycoplasma missing: no result recorded" in message
    assert stored() == before


def test_the_user_who_entered_results_may_not_release(
    clinic: Any, lot: Any, step: Any, results: Any, stored: Stored
) -> None:
    product = lot()
    step(product.din, "manufacture")
    step(product.din, "start_qc")
    results(product.din, by="quinn")
    before = stored()
    with pytest.raises(StepRefused, match="the user who entered test results may not release"):
        step(product.din, "release", by="quinn")
    assert stored() == before
    assert step(product.din, "release", by="quentin").to_state == "released"


def test_release_and_reject_by_a_role_without_products_release_are_forbidden(
    clinic: Any, in_qc: Any, step: Any, stored: Stored
) -> None:
    product = in_qc()
    before = stored()
    for who in ("ben", "chen", "nina"):
        for name in ("release", "reject"):
            with pytest.raises(PermissionDenied, match=r"products\.release"):
                step(product.din, name, by=who, reason="r")
    assert stored() == before


def test_rejection_needs_a_reason_and_is_signed(
    clinic: Any, in_qc: Any, step: Any, stored: Stored
) -> None:
    product = in_qc(sterility_culture="growth")
    before = stored()
    with pytest.raises(StepRefused, match="a reason is required"):
        step(product.din, "reject", by="quinn")
    assert stored() == before
    event = step(product.din, "reject", by="quinn", reason="Sterility culture grew")
    assert event.to_state == "rejected"
    with clinic.db.read() as session:
        assert session.get_one(ElectronicSignature, event.signature_id).meaning == "rejected"
    with pytest.raises(StepRefused, match="out of order: the product is rejected"):
        step(product.din, "place_in_inventory")


def test_a_step_on_a_stale_record_version_loses(clinic: Any, lot: Any, stored: Stored) -> None:
    product = lot()
    before = stored()
    with pytest.raises(Conflict, match="changed since record version 5"):
        take_step(clinic.db, clinic["ben"], product.din, StepIn(step="manufacture", version=5))
    assert stored() == before
    assert get_product(clinic.db, clinic["ben"], product.din).product.state == "donor_screened"
