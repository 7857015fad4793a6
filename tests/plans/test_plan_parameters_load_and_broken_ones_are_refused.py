"""The plan parameters are data: programme defaults, marked not verified; broken files refused."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from alstrack.domain.plan_readiness import lumbar_puncture_checks, screening_unfit, weight_too_old
from alstrack.domain.plans import PlanParameters, load_parameters, plan_parameters
from alstrack.errors import InvalidInput

SHIPPED = files("alstrack.domain").joinpath("data", "plans", "parameters.yaml")
NAMES = (
    "screening_backdate_hours",
    "screening_valid_days",
    "weight_max_age_days",
    "lumbar_puncture_checks_max_age_days",
)


def shipped() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    return document


def test_the_shipped_parameters_are_programme_defaults_not_verified() -> None:
    parameters = plan_parameters()
    assert parameters.version == "1.1"
    values = {name: getattr(parameters, name).value for name in NAMES}
    assert values == {
        "screening_backdate_hours": 24,
        "screening_valid_days": 30,
        "weight_max_age_days": 30,
        "lumbar_puncture_checks_max_age_days": 30,
    }
    for name in NAMES:
        parameter = getattr(parameters, name)
        assert parameter.status == "not verified"
        assert "not from a clinical source" in parameter.note
        assert "confirm locally" in parameter.note


def test_it_loads_a_good_file_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "parameters.yaml"
    path.write_text(yaml.safe_dump(shipped()), encoding="utf-8")
    assert load_parameters(path) == plan_parameters()


def verified(document: dict[str, Any]) -> None:
    document["weight_max_age_days"]["status"] = "verified"


BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("verified without a source", verified, "a verified parameter names its source"),
    (
        "zero",
        lambda d: d["screening_valid_days"].update(value=0),
        "screening_valid_days.value",
    ),
    (
        "not a whole number",
        lambda d: d["screening_backdate_hours"].update(value=1.5),
        "screening_backdate_hours.value",
    ),
    (
        "an unknown status",
        lambda d: d["weight_max_age_days"].update(status="checked"),
        "weight_max_age_days.status",
    ),
    ("a parameter left out", lambda d: d.pop("weight_max_age_days"), "weight_max_age_days"),
    (
        "a misspelt parameter",
        lambda d: d.update(weight_max_age_day=d["weight_max_age_days"]),
        "weight_max_age_day: Extra inputs are not permitted",
    ),
    ("no note", lambda d: d["screening_valid_days"].pop("note"), "screening_valid_days.note"),
    ("another kind of file", lambda d: d.update(parameters="routes"), "parameters: Input"),
]


@pytest.mark.parametrize(("change", "reason"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_it_refuses_a_broken_file_naming_the_file_and_the_reason(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    document = copy.deepcopy(shipped())
    change(document)
    path = tmp_path / "parameters.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_parameters(path)
    [error] = caught.value.fields
    assert error.field == str(path)
    assert reason in error.message


def test_a_verified_parameter_with_its_source_is_accepted() -> None:
    document = shipped()
    verified(document)
    document["weight_max_age_days"]["source"] = "Dr Chen, programme board, 2026-12-01"
    assert PlanParameters.model_validate(document).weight_max_age_days.status == "verified"


MADE = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("as_of", "at", "fit"),
    [
        (MADE - timedelta(hours=24), MADE, True),
        (MADE - timedelta(hours=24, seconds=1), MADE, False),
        (MADE, MADE + timedelta(days=30), True),
        (MADE, MADE + timedelta(days=30, seconds=1), False),
    ],
)
def test_a_screening_is_made_for_now_within_both_limits(
    as_of: datetime, at: datetime, fit: bool
) -> None:
    assert (screening_unfit(as_of, MADE, at, plan_parameters()) is None) is fit


@pytest.mark.parametrize(("days", "fit"), [(0, True), (30, True), (31, False)])
def test_a_weight_is_recent_enough_for_30_days(days: int, fit: bool) -> None:
    weighed = date(2026, 10, 29)
    found = weight_too_old(weighed, weighed + timedelta(days=days), plan_parameters())
    assert (found is None) is fit


def test_only_lumbar_puncture_criteria_that_did_not_pass_are_procedure_checks() -> None:
    criteria = [
        {"id": "LP-PLT-001", "group": "LP", "result": "PASS", "reason": "220 ≥ 50"},
        {"id": "LP-INR-001", "group": "LP", "result": "MISSING", "reason": "lab.inr: no value"},
        {"id": "LP-SPINE-001", "group": "LP", "result": "REVIEW", "reason": "flagged"},
        {"id": "EXC-IMM-001", "group": "EXC", "result": "MISSING", "reason": "no value"},
    ]
    assert [(c.id, c.result) for c in lumbar_puncture_checks(criteria)] == [
        ("LP-INR-001", "MISSING"),
        ("LP-SPINE-001", "REVIEW"),
    ]
