"""A plan's schedule (administrations, interval), its total cells and its adjunct therapies."""

from typing import Any

import pytest

from alstrack.domain.plans import PlannedAdjunct, check_adjuncts, check_schedule, total_cells
from alstrack.errors import InvalidInput


def schedule_refusal(administrations: Any, interval_days: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        check_schedule(administrations, interval_days)
    return {error.field: error.message for error in caught.value.fields}


def adjunct_refusal(*planned: PlannedAdjunct) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        check_adjuncts(planned)
    return {error.field: error.message for error in caught.value.fields}


def test_it_accepts_a_single_administration_or_several_with_an_interval() -> None:
    check_schedule(1, None)
    check_schedule(3, 56)  # NurOwn phase 3: 3 doses, 8 weeks apart
    check_schedule(20, 365)


@pytest.mark.parametrize("administrations", [0, 21, -1, True, 2.0])
def test_it_refuses_a_number_of_administrations_outside_1_to_20(administrations: Any) -> None:
    errors = schedule_refusal(administrations, 26)
    assert errors["administrations"] == "must be a whole number from 1 to 20"


@pytest.mark.parametrize("interval_days", [0, 366, 7.5])
def test_it_refuses_an_interval_outside_1_to_365_days(interval_days: Any) -> None:
    errors = schedule_refusal(2, interval_days)
    assert errors == {"interval_days": "must be a whole number from 1 to 365 days"}


def test_several_administrations_need_an_interval() -> None:
    errors = schedule_refusal(2, None)
    assert errors == {"interval_days": "is required for more than one administration"}


def test_a_single_administration_has_no_interval() -> None:
    errors = schedule_refusal(1, 26)
    assert errors == {"interval_days": "a single administration has no interval"}


def test_the_total_is_the_dose_times_the_administrations() -> None:
    assert total_cells(125_000_000, 3) == 375_000_000
    assert total_cells(70_000_000, 1) == 70_000_000


@pytest.mark.parametrize("dose_cells", [-1, 1.5e8, True])
def test_the_total_refuses_a_dose_that_is_not_a_count(dose_cells: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        total_cells(dose_cells, 2)
    assert caught.value.fields[0].field == "dose_cells"


def test_the_total_refuses_an_implausible_number_of_administrations() -> None:
    with pytest.raises(InvalidInput) as caught:
        total_cells(125_000_000, 0)
    assert caught.value.fields[0].field == "administrations"


def test_it_accepts_the_articles_adjuncts_and_an_other_with_its_detail() -> None:
    planned = check_adjuncts(
        [
            PlannedAdjunct("mri_checkup"),
            PlannedAdjunct("physiotherapy", "  3 sessions a week "),
            PlannedAdjunct("other", "IMR therapy"),
            PlannedAdjunct("other", "hydrotherapy"),
        ]
    )
    assert planned == (
        PlannedAdjunct("mri_checkup"),
        PlannedAdjunct("physiotherapy", "3 sessions a week"),
        PlannedAdjunct("other", "IMR therapy"),
        PlannedAdjunct("other", "hydrotherapy"),
    )


def test_no_adjuncts_is_a_plan_too() -> None:
    assert check_adjuncts([]) == ()


@pytest.mark.parametrize("detail", [None, "", "   "])
def test_other_needs_a_detail_saying_what_it_is(detail: str | None) -> None:
    errors = adjunct_refusal(PlannedAdjunct("physiotherapy"), PlannedAdjunct("other", detail))
    assert errors == {"adjunct_therapies.1.detail": "say what the other therapy is"}


def test_an_unknown_therapy_is_refused_naming_the_therapies() -> None:
    errors = adjunct_refusal(PlannedAdjunct("imr_therapy"))
    assert "choose mri_checkup, physiotherapy" in errors["adjunct_therapies.0.therapy"]


def test_a_therapy_is_listed_once() -> None:
    errors = adjunct_refusal(
        PlannedAdjunct("physiotherapy"),
        PlannedAdjunct("other", "IMR therapy"),
        PlannedAdjunct("physiotherapy", "twice a week"),
        PlannedAdjunct("other", " IMR therapy"),
    )
    assert errors == {
        "adjunct_therapies.2.therapy": "physiotherapy is listed twice",
        "adjunct_therapies.3.therapy": "other is listed twice",
    }
