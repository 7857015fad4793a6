"""A measurement is a JSON number: `true` or `"3.2"` in its place is refused with 422 naming the
field, and nothing is stored. (Pydantic on its own reads true as 1.0 and a string as the number
it spells: a value nobody measured.)"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from alstrack.services.administrations import AdministrationIn
from alstrack.services.assessments import BodyMeasurementIn, SpirometryIn
from alstrack.services.bedside import BedsideCheckIn
from alstrack.services.plans import PlanIn
from alstrack.services.product_steps import StepIn
from alstrack.services.products import LotIn

NOT_NUMBERS = [True, False, "3.2", "70"]
MEASUREMENTS = [
    (AdministrationIn, "cells_administered"),
    (AdministrationIn, "volume_ml"),
    (SpirometryIn, "fvc_l"),
    (SpirometryIn, "svc_l"),
    (SpirometryIn, "height_cm"),
    (BodyMeasurementIn, "weight_kg"),
    (BodyMeasurementIn, "height_cm"),
    (BedsideCheckIn, "dose_volume_ml"),
    (PlanIn, "cells_per_kg"),
    (PlanIn, "fixed_cells"),
    (StepIn, "temperature_c"),
    (StepIn, "viable_cells_per_vial"),
    (LotIn, "viable_cells_per_vial"),
]


@pytest.mark.parametrize(("model", "field"), MEASUREMENTS)
@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_each_measurement_refuses_what_is_not_a_json_number(
    model: Any, field: str, value: object
) -> None:
    with pytest.raises(ValidationError) as refused:
        model.model_validate({field: value})
    at_field = [e for e in refused.value.errors() if e["loc"][0] == field]
    assert at_field, refused.value
    assert {e["type"] for e in at_field} <= {"float_type", "is_instance_of"}


@pytest.mark.parametrize("value", [3, 3.2])
def test_a_whole_or_decimal_number_is_a_measurement(value: float) -> None:
    taken = BodyMeasurementIn.model_validate(
        {"assessed_on": "2026-11-02", "assessed_by": "Nina Okafor", "weight_kg": value}
    )
    assert taken.weight_kg == value


@pytest.mark.parametrize("value", [True, "3.2"])
def test_the_api_refuses_spirometry_sent_as_true_or_text_and_stores_nothing(
    api: Any, pat: Any, stored: Any, value: object
) -> None:
    before = stored()
    body = {"assessed_on": "2026-11-02", "assessed_by": "Nina Okafor", "fvc_l": value,
            "height_cm": 176}  # fmt: skip
    answer = api("nina").post(f"/patients/{pat.id}/spirometry", json=body)
    assert answer.status_code == 422, answer.text
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["fvc_l"]
    assert stored() == before
