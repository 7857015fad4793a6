"""No procedure without the patient's valid consent that day: collecting their cells, the
bedside check (refused and audited like every bedside refusal) and administration.

Maria consented on 2026-10-20; she withdraws on the day of the procedure (NOW, 2026-11-01).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from product_cast import NOW
from sqlalchemy import select

from alstrack.errors import StepRefused
from alstrack.services.administrations import AdministrationIn, administer
from alstrack.services.consents import WithdrawalIn, withdraw
from alstrack.services.products import AutologousIn, register_autologous
from alstrack.store.models import AuditEntry
from signing_cast import SECRET

Stored = Callable[[], dict[str, int]]


def _withdraw(clinic: Any, maria: Any) -> None:
    data = WithdrawalIn(withdrawn_on=NOW.date(), version=1, reason="Declines further procedures")
    withdraw(clinic.db, clinic["alice"], maria.consent_id, data)


def test_collecting_a_patients_cells_needs_their_consent_that_day(
    clinic: Any,
    maria: Any,
    approved: Callable[..., Any],
    facility: str,
    step: Callable[..., Any],
    consented: Callable[..., Any],
    clock: Any,
    stored: Stored,
) -> None:
    [order] = approved("autologous_bm_msc").collection_orders
    product = register_autologous(
        clinic.db, clinic["ben"], AutologousIn(collection_order_id=order.id)
    )
    step(product.din, "schedule_collection")
    _withdraw(clinic, maria)
    before = stored()
    with pytest.raises(StepRefused) as caught:
        step(product.din, "collect", to_location="Northgate theatre")
    assert "no valid consent for collecting their cells on 2026-11-01" in caught.value.message
    assert "withdrew consent on 2026-11-01" in caught.value.message
    assert stored() == before
    clock.move_to(NOW + timedelta(days=1), tick=False)
    consented(maria.patient_id, date(2026, 11, 2))
    assert step(product.din, "collect", to_location="Northgate theatre").to_state == "collected"


def test_the_bedside_check_without_consent_is_refused_and_audited(
    clinic: Any,
    maria: Any,
    approved: Callable[..., Any],
    thawed: Callable[..., Any],
    confirm: Callable[..., Any],
    stored: Stored,
) -> None:
    approved()
    product = thawed()
    _withdraw(clinic, maria)
    before = stored()
    with pytest.raises(StepRefused, match="no valid consent for administration on 2026-11-01"):
        confirm(product.din, "nina")
    assert stored() == before | {"audit_log": before["audit_log"] + 1}
    with clinic.db.read() as session:
        refusal = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "bedside_refused")
        ).one()
    assert refusal.new is not None
    assert "withdrew consent on 2026-11-01" in refusal.new["refused"]


def test_a_verified_product_is_not_given_once_the_patient_withdraws(
    clinic: Any,
    maria: Any,
    approved: Callable[..., Any],
    thawed: Callable[..., Any],
    confirm: Callable[..., Any],
    stored: Stored,
) -> None:
    approved()
    product = thawed()
    confirm(product.din, "nina")
    checked = confirm(product.din, "chen")
    _withdraw(clinic, maria)
    given = AdministrationIn(
        version=checked.product_version,
        route="intrathecal",
        cells_administered=6.1e7,
        volume_ml=10.0,
        password=SECRET,
    )
    before = stored()
    with pytest.raises(StepRefused, match="no valid consent for administration on 2026-11-01"):
        administer(clinic.db, clinic["nina"], product.din, given)
    assert stored() == before
