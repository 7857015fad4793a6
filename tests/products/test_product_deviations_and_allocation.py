"""Open deviations block release and administration until QA disposes; allocation is guarded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from product_cast import NOW
from sqlalchemy import select

from alstrack.errors import InvalidInput, PermissionDenied, StepRefused
from alstrack.services.administrations import AdministrationIn, administer
from alstrack.services.deviations import (
    DeviationIn,
    DispositionIn,
    dispose_deviation,
    open_deviation,
)
from alstrack.services.donors import DeterminationIn, determine_eligibility
from alstrack.services.products import get_product
from alstrack.store.models import AuditEntry, ChainOfIdentity, ElectronicSignature
from signing_cast import SECRET

Stored = Callable[[], dict[str, int]]
EXCURSION = DeviationIn(
    kind="temperature_excursion", description="Shipper logged -120 °C for 40 minutes"
)


def _released(in_qc: Any, step: Any) -> Any:
    product = in_qc()
    step(product.din, "release", by="quinn")
    step(product.din, "place_in_inventory")
    return product


def test_an_open_deviation_blocks_release_until_qa_disposes_of_it_signed(
    clinic: Any, in_qc: Any, step: Any, stored: Stored
) -> None:
    product = in_qc()
    deviation = open_deviation(clinic.db, clinic["ben"], product.din, EXCURSION)
    before = stored()
    with pytest.raises(
        StepRefused, match=r"open deviation \(deviation \d+: temperature excursion\)"
    ):
        step(product.din, "release", by="quinn")
    use = DispositionIn(
        disposition="use_as_is", reason="Within the validated range", version=1, password=SECRET
    )
    with pytest.raises(PermissionDenied, match=r"products\.release"):
        dispose_deviation(clinic.db, clinic["ben"], product.din, deviation.id, use)
    with pytest.raises(InvalidInput) as caught:
        dispose_deviation(
            clinic.db,
            clinic["quinn"],
            product.din,
            deviation.id,
            use.model_copy(update={"reason": " "}),
        )
    assert caught.value.fields[0].field == "reason"
    assert stored() == before
    closed = dispose_deviation(clinic.db, clinic["quinn"], product.din, deviation.id, use)
    assert (closed.status, closed.disposition, closed.disposed_by) == (
        "closed",
        "use_as_is",
        clinic["quinn"].user_id,
    )
    with clinic.db.read() as session:
        assert session.get_one(ElectronicSignature, closed.signature_id).username == "quinn"
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "dispose")).all()
    assert entry.reason == "Within the validated range"
    assert step(product.din, "release", by="quinn").to_state == "released"


def test_a_discard_disposition_discards_the_product(clinic: Any, in_qc: Any) -> None:
    product = in_qc()
    deviation = open_deviation(clinic.db, clinic["ben"], product.din, EXCURSION)
    data = DispositionIn(
        disposition="discard", reason="Excursion beyond validation", version=1, password=SECRET
    )
    dispose_deviation(clinic.db, clinic["quentin"], product.din, deviation.id, data)
    trace = get_product(clinic.db, clinic["ben"], product.din)
    assert trace.product.state == "discarded"
    assert trace.events[-1].step == "discard"
    assert trace.events[-1].note is not None
    assert "Excursion beyond validation" in trace.events[-1].note


def test_an_open_deviation_blocks_the_administration_of_a_verified_product(
    clinic: Any, approved: Any, thawed: Any, confirm: Any, stored: Stored
) -> None:
    approved()
    product = thawed()
    confirm(product.din, "nina")
    verified = confirm(product.din, "chen")
    open_deviation(clinic.db, clinic["nina"], product.din, EXCURSION)
    before = stored()
    given = AdministrationIn(
        version=verified.product_version,
        route="intrathecal",
        cells_administered=6e7,
        volume_ml=10,
        password=SECRET,
    )
    with pytest.raises(StepRefused, match=r"open deviation \(deviation \d+: temperature"):
        administer(clinic.db, clinic["nina"], product.din, given)
    assert stored() == before


def test_allocation_of_an_expired_lot_is_refused(
    clinic: Any, in_qc: Any, step: Any, maria: Any, approved: Any, clock: Any, stored: Stored
) -> None:
    approved()
    product = _released(in_qc, step)
    clock.move_to(NOW + timedelta(days=366))
    before = stored()
    with pytest.raises(StepRefused, match=r"the product expired at .* \(REL-EXP-001\)"):
        step(product.din, "allocate", patient_id=maria.patient_id)
    assert stored() == before


def test_a_lot_of_a_donor_not_determined_or_ineligible_is_neither_released_nor_allocated(
    clinic: Any, donor: Any, lot: Any, step: Any, results: Any, stored: Stored
) -> None:
    pending = donor(code="UC-0404", determine=False, results={"hcv_nat": "reactive"})
    product = lot(donor_id=pending.id)
    step(product.din, "manufacture")
    step(product.din, "start_qc")
    results(product.din)
    before = stored()
    with pytest.raises(StepRefused, match="donor-eligibility determination is not complete"):
        step(product.din, "release", by="quinn")
    assert stored() == before
    determine_eligibility(
        clinic.db,
        clinic["quinn"],
        pending.id,
        DeterminationIn(version=pending.version, password=SECRET),
    )
    with pytest.raises(StepRefused, match="the donor is not eligible"):
        step(product.din, "release", by="quinn")


def test_allocating_names_a_patient_with_an_approved_plan_for_the_lot_and_joins_their_chain(
    clinic: Any, in_qc: Any, step: Any, pat: Any, maria: Any, approved: Any, stored: Stored
) -> None:
    product = _released(in_qc, step)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        step(product.din, "allocate")
    assert caught.value.fields[0].field == "patient_id"
    with pytest.raises(InvalidInput, match="no patient"):
        step(product.din, "allocate", patient_id=10**6)
    with pytest.raises(StepRefused, match="no approved treatment plan to allocate it under"):
        step(product.din, "allocate", patient_id=pat.id)
    assert stored() == before
    plan = approved()
    event = step(product.din, "allocate", patient_id=maria.patient_id)
    assert event.to_state == "allocated"
    with clinic.db.read() as session:
        chain = session.scalars(select(ChainOfIdentity)).one()
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "chain_of_identity")
        ).one()
    assert (chain.plan_id, chain.patient_id) == (plan.id, maria.patient_id)
    assert get_product(clinic.db, clinic["nina"], product.din).product.chain_of_identity == (
        f"&/CH{chain.code}"
    )
    assert (entry.entity_id, entry.site_id) == (f"&/CH{chain.code}", clinic.sites["NORTH"])


def test_a_lot_of_another_cell_source_than_the_plan_is_not_allocated(
    clinic: Any, in_qc: Any, step: Any, maria: Any, approved: Any, stored: Stored
) -> None:
    approved("allogeneic_wj_msc", route="intravenous")
    product = _released(in_qc, step)
    before = stored()
    with pytest.raises(StepRefused, match="plan is for allogeneic_wj_msc, not this lot's"):
        step(product.din, "allocate", patient_id=maria.patient_id)
    assert stored() == before
