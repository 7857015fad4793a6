"""A plan's dose per administration and its endotoxin limit by route and weight."""

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alstrack.domain.anthropometry import WEIGHT_RANGE_KG
from alstrack.domain.plans import DoseResult, dose_per_administration, endotoxin_limit, routes
from alstrack.errors import InvalidInput

LIGHTEST, HEAVIEST = WEIGHT_RANGE_KG
PER_KG_LOW, PER_KG_HIGH = routes().plausibility.cells_per_kg
FIXED_LOW, FIXED_HIGH = routes().plausibility.fixed_cells


def per_kg(cells_per_kg: float, weight_kg: float | None) -> DoseResult:
    return dose_per_administration(
        "per_kg", cells_per_kg=cells_per_kg, fixed_cells=None, weight_kg=weight_kg
    )


def fixed(fixed_cells: float, weight_kg: float | None = None) -> DoseResult:
    return dose_per_administration(
        "fixed", cells_per_kg=None, fixed_cells=fixed_cells, weight_kg=weight_kg
    )


def refusal(**kwargs: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        dose_per_administration(**kwargs)
    return {error.field: error.message for error in caught.value.fields}


@pytest.mark.parametrize(
    ("route", "k"), [("intrathecal", 0.2), ("intravenous", 5.0), ("intramuscular", 5.0)]
)
def test_each_route_has_its_usp_85_factor_k(route: str, k: float) -> None:
    limit = endotoxin_limit(route, 70.0)
    assert limit.k_eu_per_kg == k
    assert "USP <85>" in limit.source


def test_a_70_kg_patient_may_receive_14_eu_intrathecally_but_350_eu_intravenously() -> None:
    assert endotoxin_limit("intrathecal", 70.0).limit_eu_per_dose == 14.0
    assert endotoxin_limit("intravenous", 70.0).limit_eu_per_dose == 350.0


def test_the_intrathecal_limit_is_25_times_stricter_than_the_intravenous_one() -> None:
    intrathecal = endotoxin_limit("intrathecal", 63.4).limit_eu_per_dose
    intravenous = endotoxin_limit("intravenous", 63.4).limit_eu_per_dose
    assert intrathecal is not None
    assert intravenous is not None
    assert intravenous == pytest.approx(25 * intrathecal)


def test_the_limit_is_computed_exactly_at_the_ends_of_the_weight_range() -> None:
    assert endotoxin_limit("intrathecal", LIGHTEST).limit_eu_per_dose == 2.0
    assert endotoxin_limit("intravenous", HEAVIEST).limit_eu_per_dose == 2000.0


def test_the_limit_shows_its_formula_with_the_numbers_used() -> None:
    limit = endotoxin_limit("intrathecal", 70.0)
    assert limit.formula == (
        "K × body weight, K = 0.2 EU/kg (intrathecal): 0.2 EU/kg × 70 kg = 14 EU"
    )
    assert limit.missing is None


def test_without_a_weight_the_limit_is_not_computed_and_says_why() -> None:
    limit = endotoxin_limit("intramuscular", None)
    assert limit.limit_eu_per_dose is None
    assert limit.k_eu_per_kg == 5.0
    assert limit.missing is not None
    assert "weight" in limit.missing


@pytest.mark.parametrize(
    "weight", [math.nextafter(LIGHTEST, 0), math.nextafter(HEAVIEST, math.inf), 0.0, math.nan]
)
def test_the_limit_refuses_an_implausible_weight(weight: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        endotoxin_limit("intravenous", weight)
    [error] = caught.value.fields
    assert error.field == "weight_kg"
    assert "between 10 and 400 kg" in error.message


def test_the_limit_refuses_an_unknown_route_naming_the_routes() -> None:
    with pytest.raises(InvalidInput) as caught:
        endotoxin_limit("subcutaneous", 70.0)
    [error] = caught.value.fields
    assert error.field == "route"
    assert "choose intrathecal, intravenous, intramuscular" in error.message


def test_a_per_kg_dose_multiplies_by_the_weight() -> None:
    dose = per_kg(1e6, 72.0)
    assert dose.dose_cells == 72_000_000
    assert dose.weight_kg == 72.0
    assert dose.approvable
    assert dose.formula.startswith("1,000,000 cells/kg × 72 kg = 72,000,000 cells")


def test_a_per_kg_dose_uses_the_numbers_as_written_not_their_binary_approximation() -> None:
    assert 1e6 * 64.1 == 64_099_999.999_999_99
    assert per_kg(1e6, 64.1).dose_cells == 64_100_000


def test_a_per_kg_dose_is_rounded_to_a_whole_cell_half_to_even() -> None:
    assert per_kg(10_001, 10.5).dose_cells == 105_010  # 105,010.5 -> the even neighbour below
    assert per_kg(10_003, 10.5).dose_cells == 105_032  # 105,031.5 -> the even neighbour above
    assert per_kg(12_345.6, 70.3).dose_cells == 867_896  # 867,895.68 -> nearest


def test_a_per_kg_dose_without_a_weight_is_a_draft_that_cannot_be_approved() -> None:
    dose = per_kg(1e6, None)
    assert dose.dose_cells is None
    assert dose.approvable is False
    assert dose.missing is not None
    assert "weight" in dose.missing


def test_a_fixed_dose_ignores_the_weight() -> None:
    assert fixed(1.25e8, None) == fixed(1.25e8, 70.0) == fixed(1.25e8, 1000.0)
    dose = fixed(1.25e8)
    assert dose.dose_cells == 125_000_000
    assert dose.weight_kg is None
    assert dose.approvable
    assert dose.formula == "fixed: 125,000,000 cells"


def test_doses_at_the_plausibility_bounds_are_accepted() -> None:
    assert per_kg(PER_KG_LOW, 70.0).dose_cells == 700_000
    assert per_kg(PER_KG_HIGH, 70.0).dose_cells == 7_000_000_000
    assert fixed(FIXED_LOW).dose_cells == 1_000_000
    assert fixed(FIXED_HIGH).dose_cells == 10_000_000_000


@pytest.mark.parametrize("value", [math.nextafter(PER_KG_LOW, 0), math.nextafter(PER_KG_HIGH, 1e9)])
def test_a_per_kg_dose_just_outside_the_bounds_is_refused_naming_them(value: float) -> None:
    errors = refusal(basis="per_kg", cells_per_kg=value, fixed_cells=None, weight_kg=70.0)
    assert list(errors) == ["cells_per_kg"]
    assert "between 10,000 and 100,000,000 cells/kg" in errors["cells_per_kg"]
    assert "not a clinical recommendation" in errors["cells_per_kg"]


@pytest.mark.parametrize("value", [math.nextafter(FIXED_LOW, 0), FIXED_HIGH + 1])
def test_a_fixed_dose_just_outside_the_bounds_is_refused_naming_them(value: float) -> None:
    errors = refusal(basis="fixed", cells_per_kg=None, fixed_cells=value, weight_kg=None)
    assert list(errors) == ["fixed_cells"]
    assert "between 1,000,000 and 10,000,000,000 cells" in errors["fixed_cells"]


@pytest.mark.parametrize("value", [math.nan, math.inf, -1e6, True, "1e6"])
def test_a_dose_that_is_not_a_finite_number_is_refused(value: Any) -> None:
    errors = refusal(basis="per_kg", cells_per_kg=value, fixed_cells=None, weight_kg=70.0)
    assert "between 10,000 and" in errors["cells_per_kg"]


def test_a_fixed_dose_must_be_a_whole_number_of_cells() -> None:
    errors = refusal(basis="fixed", cells_per_kg=None, fixed_cells=1_000_000.5, weight_kg=None)
    assert errors == {"fixed_cells": "must be a whole number of cells"}


def test_a_per_kg_plan_refuses_a_fixed_count_too() -> None:
    errors = refusal(basis="per_kg", cells_per_kg=1e6, fixed_cells=1e8, weight_kg=70.0)
    assert errors == {"fixed_cells": "must be empty when basis is per_kg; give cells_per_kg"}


def test_a_fixed_plan_refuses_a_per_kg_dose_too() -> None:
    errors = refusal(basis="fixed", cells_per_kg=1e6, fixed_cells=1e8, weight_kg=70.0)
    assert errors == {"cells_per_kg": "must be empty when basis is fixed; give fixed_cells"}


def test_each_basis_requires_its_own_dose() -> None:
    assert refusal(basis="per_kg", cells_per_kg=None, fixed_cells=None, weight_kg=70.0) == {
        "cells_per_kg": "is required when basis is per_kg"
    }
    assert refusal(basis="fixed", cells_per_kg=None, fixed_cells=None, weight_kg=None) == {
        "fixed_cells": "is required when basis is fixed"
    }


def test_every_fault_is_reported_at_once() -> None:
    errors = refusal(basis="per_kg", cells_per_kg=1e9, fixed_cells=1e8, weight_kg=4.0)
    assert set(errors) == {"cells_per_kg", "fixed_cells", "weight_kg"}


def test_an_unknown_basis_is_refused_naming_the_bases() -> None:
    errors = refusal(basis="per_m2", cells_per_kg=1e6, fixed_cells=None, weight_kg=70.0)
    assert errors == {"basis": "'per_m2' is not a dose basis; choose per_kg, fixed"}


weights = st.floats(min_value=LIGHTEST, max_value=HEAVIEST / 2)


@given(weights)
def test_the_limit_scales_linearly_with_the_weight(weight: float) -> None:
    single = endotoxin_limit("intravenous", weight).limit_eu_per_dose
    double = endotoxin_limit("intravenous", weight * 2).limit_eu_per_dose
    intrathecal = endotoxin_limit("intrathecal", weight).limit_eu_per_dose
    assert single is not None
    assert double is not None
    assert intrathecal is not None
    assert double == pytest.approx(2 * single)
    assert single == pytest.approx(25 * intrathecal)


@given(
    st.floats(min_value=PER_KG_LOW, max_value=PER_KG_HIGH),
    st.floats(min_value=LIGHTEST, max_value=HEAVIEST),
    st.floats(min_value=LIGHTEST, max_value=HEAVIEST),
)
def test_a_per_kg_dose_never_falls_as_the_weight_rises(
    cells_per_kg: float, weight: float, other: float
) -> None:
    lighter, heavier = sorted((weight, other))
    low = per_kg(cells_per_kg, lighter).dose_cells
    high = per_kg(cells_per_kg, heavier).dose_cells
    assert low is not None
    assert high is not None
    assert low <= high
    assert abs(high - cells_per_kg * heavier) <= 0.5 + 1e-6 * high
