"""Weight and height: plausibility checks and the body-mass index."""

from __future__ import annotations

import math

from alstrack.errors import InvalidInput

__all__ = ["HEIGHT_RANGE_CM", "WEIGHT_RANGE_KG", "bmi", "check_measurements"]

# Plausibility bounds that catch unit and typing errors (pounds for kilograms, metres for
# centimetres), wide enough for any adult with ALS, including severe cachexia. Program convention.
WEIGHT_RANGE_KG: tuple[float, float] = (10.0, 400.0)
HEIGHT_RANGE_CM: tuple[float, float] = (50.0, 250.0)


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body-mass index in kg/m², unrounded (round to one decimal only when displaying it).

    >>> round(bmi(70.0, 175.0), 1)
    22.9
    """
    check_measurements(weight_kg=weight_kg, height_cm=height_cm)
    height_m = height_cm / 100.0
    return weight_kg / (height_m * height_m)


def check_measurements(*, weight_kg: float | None = None, height_cm: float | None = None) -> None:
    """Refuse an implausible weight or height; either may be absent (recorded on its own)."""
    if weight_kg is not None:
        _check("weight_kg", weight_kg, WEIGHT_RANGE_KG, "kg")
    if height_cm is not None:
        _check("height_cm", height_cm, HEIGHT_RANGE_CM, "cm")


def _check(field: str, value: float, bounds: tuple[float, float], unit: str) -> None:
    low, high = bounds
    if not (math.isfinite(value) and low <= value <= high):
        raise InvalidInput.for_field(field, f"must be between {low:g} and {high:g} {unit}")
