"""An autologous product follows its open order to the bedside; trace it both ways, per site."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from product_cast import NOW

from alstrack.errors import InvalidInput, NotFound, PermissionDenied, StepRefused
from alstrack.services.administrations import AdministrationIn, administer
from alstrack.services.product_results import get_judgements
from alstrack.services.products import (
    AutologousIn,
    donor_products,
    get_product,
    patient_products,
    register_autologous,
)
from signing_cast import SECRET

Stored = Callable[[], dict[str, int]]
AUTOLOGOUS_PATH = (
    ("schedule_collection", "ben", {}),
    ("collect", "ben", {"to_location": "Northgate theatre"}),
    ("ship_to_lab", "ben", {"temperature_c": 4.0, "condition": "insulated box"}),
    ("receive_at_lab", "ben", {"to_location": "Cell lab"}),
    ("start_processing", "ben", {}),
    (
        "start_qc",
        "ben",
        {"expires_at": NOW + timedelta(days=180), "vials": 4, "viable_cells_per_vial": 2e7},
    ),
)


@pytest.fixture
def plan(approved: Callable[..., Any]) -> Any:
    """Maria's approved plan of her own bone-marrow cells: an open collection order."""
    return approved("autologous_bm_msc")


def test_an_autologous_product_goes_from_its_order_to_administration(
    clinic: Any, maria: Any, plan: Any, facility: str, step: Any, results: Any, confirm: Any
) -> None:
    [order] = plan.collection_orders
    product = register_autologous(
        clinic.db, clinic["ben"], AutologousIn(collection_order_id=order.id)
    )
    assert (product.kind, product.state, product.cell_source) == (
        "autologous",
        "ordered",
        "autologous_bm_msc",
    )
    assert product.patient_study_id is not None
    for name, by, fields in AUTOLOGOUS_PATH:
        step(product.din, name, by=by, **fields)
    dose = plan.versions[-1].dose_cells
    results(product.din, total_viable_cells=dose, endotoxin_eu_per_ml=0.05)
    judged = get_judgements(clinic.db, clinic["quinn"], product.din)
    assert judged.blockers == []
    step(product.din, "release", by="quinn")
    for name, by, fields in (
        ("ship_to_clinic", "ben", {"temperature_c": -160.0}),
        ("receive_at_clinic", "nina", {}),
        ("store", "nina", {"to_location": "Clinic LN2 dewar"}),
        ("thaw", "nina", {}),
    ):
        step(product.din, name, by=by, **fields)
    confirm(product.din, "nina")
    verified = confirm(product.din, "chen", din_entry="typed")
    given = AdministrationIn(
        version=verified.product_version,
        route="intrathecal",
        cells_administered=dose,
        volume_ml=10.0,
        password=SECRET,
    )
    administer(clinic.db, clinic["chen"], product.din, given)
    trace = get_product(clinic.db, clinic["alice"], product.din)
    assert trace.product.state == "administered"
    assert [e.step for e in trace.events] == [
        "register",
        *(name for name, _, _ in AUTOLOGOUS_PATH),
        "release",
        "ship_to_clinic",
        "receive_at_clinic",
        "store",
        "thaw",
        "verify",
        "administer",
    ]
    assert trace.events[3].temperature_c == 4.0
    # Every DIN of Maria's therapy carries its one chain-of-identity identifier.
    assert trace.product.chain_of_identity is not None
    assert trace.product.chain_of_identity.startswith("&/CHG1234")  # never read as a DIN
    mine = patient_products(clinic.db, clinic["alice"], maria.patient_id)
    assert [p.din for p in mine] == [product.din]


def test_an_autologous_product_needs_an_open_order_and_one_product_per_order(
    clinic: Any, plan: Any, facility: str, stored: Stored
) -> None:
    [order] = plan.collection_orders
    register_autologous(clinic.db, clinic["ben"], AutologousIn(collection_order_id=order.id))
    before = stored()
    with pytest.raises(StepRefused, match="labelled G1234"):
        register_autologous(clinic.db, clinic["ben"], AutologousIn(collection_order_id=order.id))
    with pytest.raises(InvalidInput) as caught:
        register_autologous(clinic.db, clinic["ben"], AutologousIn(collection_order_id=999))
    assert caught.value.fields[0].field == "collection_order_id"
    with pytest.raises(PermissionDenied):
        register_autologous(clinic.db, clinic["alice"], AutologousIn(collection_order_id=order.id))
    assert stored() == before


def test_a_lot_traces_to_its_donor_and_back_and_shows_only_where_its_patient_is_seen(
    clinic: Any, in_qc: Any, step: Any, maria: Any, approved: Any
) -> None:
    approved()
    product = in_qc()
    # Unallocated, a lot belongs to no site: every products.read role sees it.
    assert get_product(clinic.db, clinic["sami"], product.din).product.donor_code == "UC-0001"
    step(product.din, "release", by="quinn")
    step(product.din, "place_in_inventory")
    step(product.din, "allocate", patient_id=maria.patient_id)
    trace = get_product(clinic.db, clinic["alice"], product.din)
    assert (trace.product.patient_id, trace.donor_eligibility) == (maria.patient_id, "eligible")
    assert trace.product.patient_study_id is not None
    assert trace.product.chain_of_identity is not None
    assert "Silva" not in trace.model_dump_json()
    [lot] = donor_products(clinic.db, clinic["alice"], trace.product.donor_id or 0)
    assert lot.din == product.din
    mine = patient_products(clinic.db, clinic["nina"], maria.patient_id)
    assert [p.din for p in mine] == [product.din]
    # Allocated to a NORTH patient, it is not found from SOUTH.
    with pytest.raises(NotFound):
        get_product(clinic.db, clinic["sami"], product.din)
    assert donor_products(clinic.db, clinic["sami"], trace.product.donor_id or 0) == []
    with pytest.raises(PermissionDenied, match=r"products\.read"):
        get_product(clinic.db, clinic["adam"], product.din)
