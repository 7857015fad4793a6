"""A lot's release, a donor's determination and a deviation's disposition are signatures: each
needs the signer's password again, and each is bound to what it signed, so that the custody
report shows a signature invalid once the signed lot changes. The system account never signs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from alstrack.errors import AlstrackError, StepRefused
from alstrack.services.deviations import (
    DeviationIn,
    DispositionIn,
    dispose_deviation,
    open_deviation,
)
from alstrack.services.donors import DeterminationIn, determine_eligibility
from alstrack.services.product_documents import custody_report
from alstrack.services.product_steps import StepIn, take_step
from alstrack.services.products import get_product
from alstrack.services.signatures import status_of
from alstrack.store.models import Deviation, DonorTest, ElectronicSignature, Product
from signing_cast import SECRET


def _signature(clinic: Any, entity: str) -> ElectronicSignature:
    with clinic.db.read() as session:
        found = session.scalars(
            select(ElectronicSignature).where(ElectronicSignature.entity == entity)
        ).one()
        session.expunge(found)
        return found


def _status(clinic: Any, entity: str) -> str:
    with clinic.db.read() as session:
        signature = session.scalars(
            select(ElectronicSignature).where(ElectronicSignature.entity == entity)
        ).one()
        return status_of(session, signature)


def test_a_release_without_the_password_is_refused_and_the_lot_stays_in_qc(
    clinic: Any, in_qc: Any
) -> None:
    product = in_qc()
    version = get_product(clinic.db, clinic.system, product.din).product.version
    for password, error in ((None, "password"), (SecretStr("guessing"), "wrong")):
        data = StepIn(step="release", version=version, password=password)
        with pytest.raises(AlstrackError) as refused:
            take_step(clinic.db, clinic["quinn"], product.din, data)
        assert error in str(refused.value)
    assert get_product(clinic.db, clinic.system, product.din).product.state == "qc_testing"


def test_a_released_lot_whose_expiry_is_changed_shows_the_release_invalid_in_the_custody_report(
    clinic: Any, in_qc: Any, step: Any
) -> None:
    product = in_qc()
    step(product.din, "release", by="quinn")
    assert _status(clinic, "product") == "valid"
    report = custody_report(clinic.db, clinic["alice"], product.din, fmt="html").content.decode()
    assert "INVALID" not in report
    with clinic.db.transaction() as session:  # what no service does: change a released lot
        session.execute(
            update(Product).where(Product.din == product.din).values(viable_cells_per_vial=9e7)
        )
    assert _status(clinic, "product") == "invalid"
    report = custody_report(clinic.db, clinic["alice"], product.din, fmt="html").content.decode()
    assert "INVALID: what was signed has changed since" in report


def test_moving_the_lot_on_to_the_clinic_keeps_its_release_valid(
    clinic: Any, in_qc: Any, step: Any
) -> None:
    product = in_qc()
    step(product.din, "release", by="quinn")
    step(product.din, "place_in_inventory")
    assert _status(clinic, "product") == "valid"


def test_a_donor_test_corrected_after_the_determination_shows_it_invalid(
    clinic: Any, donor: Any
) -> None:
    determined = donor()
    assert determined.eligibility == "eligible"
    assert _status(clinic, "donor") == "valid"
    with clinic.db.transaction() as session:
        session.execute(
            update(DonorTest).where(DonorTest.test == "hbsag").values(result="reactive")
        )
    assert _status(clinic, "donor") == "invalid"


def test_a_disposition_reworded_afterwards_shows_it_invalid(clinic: Any, in_qc: Any) -> None:
    product = in_qc()
    kind = DeviationIn(kind="temperature_excursion", description="−120 °C for 20 minutes")
    deviation = open_deviation(clinic.db, clinic["ben"], product.din, kind)
    data = DispositionIn(
        disposition="use_as_is", reason="Within the validated range", version=1, password=SECRET
    )
    dispose_deviation(clinic.db, clinic["quentin"], product.din, deviation.id, data)
    assert _status(clinic, "deviation") == "valid"
    with clinic.db.transaction() as session:
        session.execute(update(Deviation).values(disposition_reason="Fine"))
    assert _status(clinic, "deviation") == "invalid"


def test_the_system_account_cannot_sign(clinic: Any, donor: Any) -> None:
    pending = donor(determine=False)
    with pytest.raises(StepRefused, match="system account cannot sign"):
        determine_eligibility(
            clinic.db, clinic.system, pending.id, DeterminationIn(version=1, password=SECRET)
        )
    assert _signature_count(clinic) == 0


def _signature_count(clinic: Any) -> int:
    """Signatures of records (the cast's attestations aside)."""
    with clinic.db.read() as session:
        signed = select(ElectronicSignature).where(ElectronicSignature.entity != "attestation")
        return len(session.scalars(signed).all())
