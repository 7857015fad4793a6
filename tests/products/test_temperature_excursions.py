"""A temperature outside the specification's range for a custody step opens a deviation itself.

21 CFR 1271.260 (regulatory-checklist RC-5): storage temperature limits are defined and
recorded, and an excursion blocks release and administration until QA decides.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from product_cast import NOW
from sqlalchemy import select

from alstrack.domain.products import (
    KINDS,
    TRANSITIONS,
    builtin_specifications,
    load_specifications,
    temperature_excursion,
)
from alstrack.errors import InvalidInput, StepRefused
from alstrack.services.products import AutologousIn, get_product, register_autologous
from alstrack.store.models import AuditEntry

Stored = Callable[[], dict[str, int]]
UC = builtin_specifications().get("allogeneic_uc_msc", field="cell_source")
BM = builtin_specifications().get("autologous_bm_msc", field="cell_source")
SHIPPED = (
    Path(__file__).resolve().parents[2] / "src/alstrack/domain/data/products/specifications.yaml"
)


@pytest.mark.parametrize(
    ("spec", "step", "temperature", "excursion"),
    [
        (UC, "receive_at_clinic", -135.0, False),
        (UC, "receive_at_clinic", -134.9, True),
        (UC, "thaw", 30.0, False),
        (UC, "thaw", 40.0, False),
        (UC, "thaw", 29.9, True),
        (UC, "thaw", 40.1, True),
        (BM, "ship_to_lab", 2.0, False),
        (BM, "ship_to_lab", 1.9, True),
        (BM, "ship_to_lab", 25.1, True),
        (UC, "manufacture", 60.0, False),  # no range for this step
        (UC, "receive_at_clinic", None, False),  # no temperature recorded
    ],
)
def test_a_temperature_is_an_excursion_only_outside_its_steps_range(
    spec: Any, step: str, temperature: float | None, excursion: bool
) -> None:
    assert (temperature_excursion(spec, step, temperature) is not None) is excursion


def test_every_range_names_steps_of_its_products_lifecycle_and_says_it_is_not_verified() -> None:
    for spec in builtin_specifications().products:
        assert spec.custody_temperatures, spec.id
        steps = {step.value for (_, step) in TRANSITIONS[spec.origin]}
        for band in spec.custody_temperatures:
            assert set(band.steps) <= steps, (spec.id, band.steps)
            assert band.status == "not verified"
    assert set(KINDS) == {spec.origin for spec in builtin_specifications().products}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_c": 50}, "min_c must be below max_c"),
        ({"min_c": None, "max_c": None}, "has neither min_c nor max_c"),
        ({"steps": ["thaw", "thaw"]}, "steps with two temperature ranges: thaw"),
    ],
)
def test_a_broken_range_is_refused(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    document = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    bands = document["products"][0]["custody_temperatures"]
    thaw = next(band for band in bands if band["steps"] == ["thaw"])
    thaw.update(change)
    path = tmp_path / "specifications.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_specifications(path)


def test_receiving_a_lot_too_warm_opens_a_deviation_that_blocks_the_bedside(
    clinic: Any, approved: Any, in_qc: Any, step: Any, confirm: Any, maria: Any
) -> None:
    approved()
    product = in_qc()
    step(product.din, "release", by="quinn")
    step(product.din, "place_in_inventory", temperature_c=-180.0)
    step(product.din, "allocate", patient_id=maria.patient_id)
    step(product.din, "ship_to_clinic", temperature_c=-150.0)
    assert get_product(clinic.db, clinic["nina"], product.din).deviations == []
    step(product.din, "receive_at_clinic", by="nina", temperature_c=-120.0)
    trace = get_product(clinic.db, clinic["nina"], product.din)
    [deviation] = trace.deviations
    assert (deviation.kind, deviation.status, deviation.opened_by) == (
        "temperature_excursion",
        "open",
        clinic["nina"].user_id,
    )
    assert deviation.description == (
        "receive at clinic at -120 °C: outside ≤ -135 °C (allogeneic_uc_msc specification 1.1)"
    )
    assert trace.product.state == "received_at_clinic"  # it did arrive; QA decides its use
    step(product.din, "thaw", by="nina", temperature_c=37.0)
    with pytest.raises(StepRefused, match="open deviation"):
        confirm(product.din)
    with clinic.db.read() as session:
        opened = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "deviation", AuditEntry.action == "open")
        ).all()
    assert [entry.username for entry in opened] == ["nina"]


def test_fresh_tissue_shipped_too_warm_blocks_the_release(
    clinic: Any, approved: Any, facility: str, step: Any, results: Any
) -> None:
    plan = approved("autologous_bm_msc")
    [order] = plan.collection_orders
    product = register_autologous(
        clinic.db, clinic["ben"], AutologousIn(collection_order_id=order.id)
    )
    for name, fields in (
        ("schedule_collection", {}),
        ("collect", {"temperature_c": 20.0}),
        ("ship_to_lab", {"temperature_c": 31.0}),
        ("receive_at_lab", {}),
        ("start_processing", {}),
        ("start_qc", {"expires_at": NOW + timedelta(days=180)}),
    ):
        step(product.din, name, **fields)
    results(product.din, total_viable_cells=plan.versions[-1].dose_cells)
    with pytest.raises(StepRefused, match=r"open deviation \(deviation \d+: temperature excursion"):
        step(product.din, "release", by="quinn")
