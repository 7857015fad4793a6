"""The product the label and custody-report tests print: Maria's own bone-marrow cells.

Collected a day after her plan is approved, tested, released by Quinn three weeks later, shipped
frozen to the clinic and stored there; a temperature excursion on the way to the lab was opened
by Ben and disposed "use as is" by Quentin. Her record number is MRN-5520: none of her name,
birth date or record number may appear on a label or a report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from product_cast import NOW

from alstrack.services.deviations import (
    DeviationIn,
    DispositionIn,
    dispose_deviation,
    open_deviation,
)
from alstrack.services.patients import IdentityUpdate, set_identity
from alstrack.services.plans import ApprovalIn, PlanIn, approve_plan, create_plan
from alstrack.services.product_views import ProductOut
from alstrack.services.products import AutologousIn, get_product, register_autologous
from alstrack.services.screenings import ReviewIn, review_criterion
from signing_cast import SECRET

MARIA_IDENTIFIERS = ("Maria", "Silva", "1976-03-10", "10/03/1976", "03/10/1976", "MRN-5520")
COLLECTED = NOW + timedelta(days=1)
RELEASED = COLLECTED + timedelta(days=21, hours=12)
# (step, by, fields, days after collection): the events after registration, in order.
PATH: tuple[tuple[str, str, dict[str, Any], float], ...] = (
    ("schedule_collection", "ben", {}, -1),
    ("collect", "ben", {"to_location": "Northgate theatre"}, 0),
    ("ship_to_lab", "ben", {"temperature_c": 4.0, "condition": "insulated box"}, 0.1),
    ("receive_at_lab", "ben", {"to_location": "Cell lab", "temperature_c": 9.5}, 0.2),
    ("start_processing", "ben", {}, 0.3),
    ("start_qc", "ben", {"expires_at": NOW + timedelta(days=200), "vials": 4}, 20),
)
AFTER_RELEASE: tuple[tuple[str, str, dict[str, Any], float], ...] = (
    ("ship_to_clinic", "ben", {"temperature_c": -160.0, "condition": "dry shipper"}, 22),
    ("receive_at_clinic", "nina", {"from_location": "Cell lab"}, 22.2),
    ("store", "nina", {"to_location": "Clinic LN2 dewar"}, 22.3),
)


def approved_plan(clinic: Any, maria: Any) -> Any:
    """Maria's approved plan of her own bone-marrow cells, with an open collection order."""
    screening = maria.screen(clinic)
    review = ReviewIn(
        criterion_id="INC-PROG-001", decision="accept", reason="Fast progressor", password=SECRET
    )
    review_criterion(clinic.db, clinic["chen"], screening.id, review)
    data = PlanIn(
        screening_id=screening.id,
        cell_source="autologous_bm_msc",
        route="intrathecal",
        dose_basis="per_kg",
        cells_per_kg=1e6,
        administrations=3,
        interval_days=28,
    )
    drafted = create_plan(clinic.db, clinic["alice"], maria.patient_id, data)
    approval = ApprovalIn(number=1, version=drafted.version, password=SECRET)
    return approve_plan(clinic.db, clinic["chen"], drafted.id, approval)


def stored_autologous(
    clinic: Any,
    maria: Any,
    clock: Any,
    step: Callable[..., Any],
    results: Callable[..., None],
) -> ProductOut:
    """Maria's product, from her order to the clinic's dewar (see the module note)."""
    set_identity(
        clinic.db,
        clinic["alice"],
        maria.patient_id,
        IdentityUpdate(
            given_name="Maria",
            family_name="Silva",
            date_of_birth=date(1976, 3, 10),
            record_number="MRN-5520",
            version=1,
            reason="Hospital record number issued",
        ),
    )
    plan = approved_plan(clinic, maria)
    [order] = plan.collection_orders
    product = register_autologous(
        clinic.db, clinic["ben"], AutologousIn(collection_order_id=order.id)
    )
    for name, by, fields, days in PATH:
        clock.move_to(COLLECTED + timedelta(days=days), tick=False)
        if name == "collect":
            fields = fields | {"expires_at": COLLECTED + timedelta(days=180)}
        step(product.din, name, by=by, **fields)
        if name == "receive_at_lab":
            deviation = open_deviation(
                clinic.db,
                clinic["ben"],
                product.din,
                DeviationIn(kind="temperature_excursion", description="Box read 9.5 °C on arrival"),
            )
    dispose_deviation(
        clinic.db,
        clinic["quentin"],
        product.din,
        deviation.id,
        DispositionIn(
            disposition="use_as_is",
            reason="Within the validated shipping window",
            version=1,
            password=SECRET,
        ),
    )
    results(product.din, total_viable_cells=plan.versions[-1].dose_cells, endotoxin_eu_per_ml=0.05)
    clock.move_to(RELEASED, tick=False)
    step(product.din, "release", by="quinn")
    for name, by, fields, days in AFTER_RELEASE:
        clock.move_to(COLLECTED + timedelta(days=days), tick=False)
        step(product.din, name, by=by, **fields)
    clock.move_to(COLLECTED + timedelta(days=30), tick=False)
    return get_product(clinic.db, clinic.system, product.din).product
