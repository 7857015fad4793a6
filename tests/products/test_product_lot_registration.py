"""An allogeneic lot is registered under a DIN, given or assigned, in the first allogeneic state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from product_cast import NOW
from sqlalchemy import select

from alstrack.errors import InvalidInput, PermissionDenied, StepRefused
from alstrack.services.products import get_product
from alstrack.store.models import AuditEntry

Stored = Callable[[], dict[str, int]]


def test_a_lot_takes_the_next_din_and_starts_donor_screened_with_an_event_and_audit(
    clinic: Any, lot: Any
) -> None:
    product = lot()
    assert (product.din, product.eye_readable) == ("G123426000001", "G1234 26 000001")
    assert (product.kind, product.state, product.specification_version) == (
        "allogeneic",
        "donor_screened",
        "1.1",
    )
    assert (product.donor_code, product.patient_id) == ("UC-0001", None)
    trace = get_product(clinic.db, clinic["olga"], product.din)
    [event] = trace.events
    assert (event.step, event.from_state, event.to_state) == ("register", None, "donor_screened")
    assert event.to_location == "LN2 tank 3, rack B"
    with clinic.db.read() as session:
        actions = [
            (e.entity, e.action)
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.entity.in_(["din", "product"]))
            )
        ]
    assert actions == [("din", "assign"), ("product", "create")]


def test_a_lot_keeps_a_din_given_with_its_check_character(clinic: Any, lot: Any) -> None:
    product = lot(din="G1234 17 654321 A")
    assert (product.din, product.check_character) == ("G123417654321", "A")


def test_a_wrong_check_character_a_used_din_or_an_autologous_source_is_refused(
    clinic: Any, lot: Any, stored: Stored
) -> None:
    lot(din="G123417654321")
    before = stored()
    for changes, field in (
        ({"din": "G123417654321B"}, "din"),
        ({"din": "G123417654321"}, "din"),
        ({"cell_source": "autologous_bm_msc"}, "cell_source"),
        ({"cell_source": "cord_blood"}, "cell_source"),
        ({"expires_at": NOW - timedelta(days=1)}, "expires_at"),
        ({"donor_id": 999}, "donor_id"),
    ):
        with pytest.raises(InvalidInput) as caught:
            lot(donor_id=changes.pop("donor_id", 1), **changes)
        assert caught.value.fields[0].field == field
    assert stored() == before


def test_no_lot_is_made_from_an_ineligible_donor(
    clinic: Any, donor: Any, lot: Any, stored: Stored
) -> None:
    refused = donor(code="UC-0666", results={"hiv_1_nat": "reactive"})
    before = stored()
    with pytest.raises(StepRefused, match="UC-0666 is not eligible"):
        lot(donor_id=refused.id)
    assert stored() == before


def test_only_products_write_roles_register_a_lot(
    clinic: Any, donor: Any, facility: str, stored: Stored
) -> None:
    from alstrack.services.products import LotIn, register_lot

    out = donor()
    before = stored()
    data = LotIn(
        donor_id=out.id,
        cell_source="allogeneic_uc_msc",
        vials=1,
        viable_cells_per_vial=1e7,
        expires_at=NOW + timedelta(days=30),
        storage_location="LN2",
    )
    with pytest.raises(PermissionDenied, match=r"products\.write"):
        register_lot(clinic.db, clinic["alice"], data)
    assert stored() == before
