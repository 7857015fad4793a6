"""Open deviations block release and administration until QA disposes; allocation is guarded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from product_cast import NOW
from sqlalchemy import select

from alstrack.errors import InvalidInput, PermissionDenied, StepRefused
from alstrack.services.deviations import (
    DeviationIn,
    DispositionIn,
    dispose_deviation,
    open_deviation,
)
from alstrack.services.donors import DeterminationIn, determine_eligibility
from alstrack.services.products import get_product
from alstrack.store.models import AuditEntry, ElectronicSignature

Stored = Callable[[], dict[str, int]]
EXCURSION = DeviationIn(
    kind="temperature_excursion", description="Shipper logged -120 °C for 40 minutes"
)


def _released(in_qc: Any, step: Any) -> Any:
    product = in_qc()
    step(product.din, "release", by="quinn")
    step(product.din, "place_in_inventory")
    return product


def _at_the_bedside(clinic: Any, in_qc: Any, step: Any, pat: Any) -> Any:
    product = _released(in_qc, step)
    step(product.din, "allocate", patient_id=pat.id)
    step(product.din, "ship_to_clinic", to_location="Northgate pharmacy", temperature_c=-150)
    step(product.din, "receive_at_clinic", by="nina", condition="seal intact")
    step(product.din, "thaw", by="nina", temperature_c=37)
    step(product.din, "verify", by="nina", patient_id=pat.id, verified_by=["chen"])
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
    use = DispositionIn(disposition="use_as_is", reason="Within the validated range", version=1)
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
    data = DispositionIn(disposition="discard", reason="Excursion beyond validation", version=1)
    dispose_deviation(clinic.db, clinic["quentin"], product.din, deviation.id, data)
    trace = get_product(clinic.db, clinic["ben"], product.din)
    assert trace.product.state == "discarded"
    assert trace.events[-1].step == "discard"
    assert trace.events[-1].note is not None
    assert "Excursion beyond validation" in trace.events[-1].note


def test_an_open_deviation_blocks_administration(
    clinic: Any, in_qc: Any, step: Any, pat: Any, stored: Stored
) -> None:
    product = _at_the_bedside(clinic, in_qc, step, pat)
    open_deviation(clinic.db, clinic["nina"], product.din, EXCURSION)
    before = stored()
    with pytest.raises(StepRefused, match="open deviation") as caught:
        step(product.din, "administer", by="nina", patient_id=pat.id, dose_volume_ml=10)
    # Pat has no approved plan: the route's endotoxin limit is not known either.
    assert "endotoxin in this dose" in caught.value.message
    assert stored() == before


def test_allocation_of_an_expired_lot_is_refused(
    clinic: Any, in_qc: Any, step: Any, pat: Any, clock: Any, stored: Stored
) -> None:
    product = _released(in_qc, step)
    clock.move_to(NOW + timedelta(days=366))
    before = stored()
    with pytest.raises(StepRefused, match=r"the product expired at .* \(REL-EXP-001\)"):
        step(product.din, "allocate", patient_id=pat.id)
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
        clinic.db, clinic["quinn"], pending.id, DeterminationIn(version=pending.version)
    )
    with pytest.raises(StepRefused, match="the donor is not eligible"):
        step(product.din, "release", by="quinn")


def test_allocating_names_a_patient_the_user_sees(
    clinic: Any, in_qc: Any, step: Any, pat: Any, stored: Stored
) -> None:
    product = _released(in_qc, step)
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        step(product.din, "allocate")
    assert caught.value.fields[0].field == "patient_id"
    with pytest.raises(InvalidInput, match="no patient"):
        step(product.din, "allocate", patient_id=10**6)
    assert stored() == before
    event = step(product.din, "allocate", patient_id=pat.id)
    assert event.to_state == "allocated"


def test_verification_needs_two_people_and_the_right_patient(
    clinic: Any, in_qc: Any, step: Any, pat: Any, stored: Stored
) -> None:
    product = _released(in_qc, step)
    step(product.din, "allocate", patient_id=pat.id)
    step(product.din, "ship_to_clinic")
    step(product.din, "receive_at_clinic", by="nina")
    thawed = step(product.din, "thaw", by="nina")
    trace = get_product(clinic.db, clinic["nina"], product.din)
    assert trace.product.expires_at == thawed.at + timedelta(hours=4)
    before = stored()
    with pytest.raises(StepRefused, match=r"two qualified people .* \(1 did\)"):
        step(product.din, "verify", by="nina", patient_id=pat.id)
    other = clinic.system  # a patient the product is not for
    from alstrack.services.patients import PatientIn, register_patient

    someone = register_patient(clinic.db, other, PatientIn(site_id=clinic.sites["NORTH"]))
    after_patient = stored()
    with pytest.raises(StepRefused, match="stop and report the mismatch"):
        step(product.din, "verify", by="nina", patient_id=someone.id, verified_by=["chen"])
    assert stored() == after_patient
    assert before["product_events"] == after_patient["product_events"]
