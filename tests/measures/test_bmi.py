"""Body-mass index from weight and height."""

import math

import pytest

from alstrack.domain.anthropometry import HEIGHT_RANGE_CM, WEIGHT_RANGE_KG, bmi, check_measurements
from alstrack.errors import InvalidInput


def test_it_divides_weight_by_height_in_metres_squared() -> None:
    assert bmi(70.0, 175.0) == pytest.approx(70.0 / 1.75**2)


def test_it_returns_the_exact_value_leaving_rounding_to_display() -> None:
    value = bmi(70.0, 175.0)
    assert value != round(value, 1)
    assert f"{value:.1f}" == "22.9"


def test_it_accepts_the_ends_of_the_ranges() -> None:
    assert bmi(WEIGHT_RANGE_KG[0], HEIGHT_RANGE_CM[1]) == pytest.approx(10.0 / 2.5**2)
    assert bmi(WEIGHT_RANGE_KG[1], HEIGHT_RANGE_CM[0]) == pytest.approx(400.0 / 0.5**2)


@pytest.mark.parametrize("weight", [9.9, 400.1, 0.0, -70.0, math.nan, math.inf])
def test_it_refuses_an_implausible_weight(weight: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        bmi(weight, 175.0)
    assert caught.value.fields[0].field == "weight_kg"
    assert "between 10 and 400 kg" in caught.value.fields[0].message


@pytest.mark.parametrize("height", [1.75, 49.9, 250.1, math.nan])
def test_it_refuses_an_implausible_height(height: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        bmi(70.0, height)
    assert caught.value.fields[0].field == "height_cm"
    assert "between 50 and 250 cm" in caught.value.fields[0].message


def test_a_weight_or_a_height_can_be_checked_alone() -> None:
    check_measurements(weight_kg=70.0)
    check_measurements(height_cm=175.0)
    check_measurements()
    with pytest.raises(InvalidInput) as caught:
        check_measurements(height_cm=1.75)
    assert caught.value.fields[0].field == "height_cm"
