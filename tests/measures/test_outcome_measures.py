"""Every outcome the source article promises is measured by items that exist."""

import pytest

from alstrack.domain.instruments import (
    DERIVED_MEASURES,
    OUTCOME_MEASURES,
    builtin_instruments,
    resolve_outcome,
)
from alstrack.errors import InvalidInput

# The improvements the seed article promises ("improved motor function, reduced tremors, reduced
# stiffness, improved speech, improved breathing and swallowing"): each must be measurable.
PROMISED = {"motor_function", "tremor", "stiffness", "speech", "breathing", "swallowing"}


def test_every_promised_outcome_has_measures() -> None:
    assert set(OUTCOME_MEASURES) == PROMISED
    assert all(OUTCOME_MEASURES[outcome] for outcome in PROMISED)


@pytest.mark.parametrize("outcome", sorted(PROMISED))
def test_every_promised_outcome_maps_to_instrument_items_that_exist(outcome: str) -> None:
    instruments = builtin_instruments()
    resolved = resolve_outcome(outcome, instruments)
    assert resolved.items, "each outcome needs at least one answered item"
    for code, keys in resolved.items.items():
        existing = {item.key for item in instruments[code].items}
        assert keys
        assert set(keys) <= existing
    assert set(resolved.derived) <= set(DERIVED_MEASURES)


def test_motor_function_is_the_fine_and_gross_motor_subscores() -> None:
    resolved = resolve_outcome("motor_function")
    assert dict(resolved.items) == {
        "alsfrs_r": ("q4", "q5a", "q5b", "q6", "q7", "q8", "q9"),
    }


def test_stiffness_uses_every_limb_of_the_mas_and_the_symptom_rating() -> None:
    resolved = resolve_outcome("stiffness")
    assert dict(resolved.items) == {
        "mas": ("left_upper_limb", "right_upper_limb", "left_lower_limb", "right_lower_limb"),
        "als_symptoms": ("stiffness",),
    }


def test_breathing_includes_fvc_percent_predicted() -> None:
    resolved = resolve_outcome("breathing")
    assert dict(resolved.items) == {"alsfrs_r": ("q10", "q11", "q12")}
    assert resolved.derived == ("spirometry.fvc_percent_predicted",)


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        ("tremor", {"als_symptoms": ("tremor",)}),
        ("speech", {"alsfrs_r": ("q1",), "als_symptoms": ("dysarthria",)}),
        ("swallowing", {"alsfrs_r": ("q3",), "als_symptoms": ("dysphagia",)}),
    ],
)
def test_single_item_outcomes_use_the_named_items(
    outcome: str, expected: dict[str, tuple[str, ...]]
) -> None:
    assert dict(resolve_outcome(outcome).items) == expected


def test_an_unknown_outcome_is_refused_naming_the_outcomes() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_outcome("quality_of_life")
    assert caught.value.fields[0].field == "outcome"
    assert "motor_function" in caught.value.fields[0].message


def test_a_measure_whose_instrument_is_missing_is_refused() -> None:
    instruments = builtin_instruments()
    del instruments["mas"]
    with pytest.raises(InvalidInput) as caught:
        resolve_outcome("stiffness", instruments)
    assert caught.value.fields[0].field == "mas.*"
