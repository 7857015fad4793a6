"""Every operator on a one-rule set: PASS, FAIL, MISSING, REVIEW and the boundaries."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml
from eligibility_cast import AS_OF

from alstrack.domain.eligibility import (
    OPERATORS,
    Result,
    load_ruleset,
    read_observations,
    screen,
)

ELEMENTS = {
    "x.int": {"type": "integer"},
    "x.num": {"type": "number"},
    "x.code": {"type": "code", "values": ["a", "b", "c"]},
    "x.flag": {"type": "boolean"},
    "x.day": {"type": "date", "accepts_never": True},
    "x.when": {"type": "datetime"},
    "x.weight": {"type": "number", "unit": "kg"},
    "x.route": {"type": "code", "values": ["intrathecal", "intravenous"]},
    "x.kind": {"type": "code", "values": ["none", "lmwh_prophylactic", "doac", "aspirin_only"]},
    "x.tests.*": {"type": "code", "values": ["nonreactive", "reactive"]},
}


def judge(
    tmp_path: Path,
    operator: str,
    element: str | list[str],
    data: dict[str, Any],
    threshold: Any = "absent",
) -> Result:
    rule: dict[str, Any] = {
        "id": "INC-T-001",
        "category": "inclusion",
        "description": "test",
        "data_element": element,
        "operator": operator,
        "effect": "exclude",
        "sources": [],
        "verification": "read",
    }
    if threshold != "absent":
        rule["threshold"] = threshold
    path = tmp_path / "rules.yaml"
    document = {
        "ruleset": {"id": "t", "version": "1", "default_profile": "p", "profiles": {"p": {
            "description": "test"}}},
        "data_elements": ELEMENTS,
        "rules": [rule],
    }  # fmt: skip
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    ruleset = load_ruleset(path)
    result = screen(ruleset, read_observations(ruleset, data), as_of=AS_OF)
    return result.criteria[0].result


CASES = [
    ("eq", "x.code", "b", "b", Result.PASS),
    ("eq", "x.code", "b", "a", Result.FAIL),
    ("in", "x.code", ["a", "b"], "b", Result.PASS),
    ("in", "x.code", ["a", "b"], "c", Result.FAIL),
    ("gte", "x.num", 65, 65, Result.PASS),
    ("gte", "x.num", 65, 64.9, Result.FAIL),
    ("lte", "x.num", 1.4, 1.4, Result.PASS),
    ("lte", "x.num", 1.4, 1.41, Result.FAIL),
    ("gt", "x.int", 31, 32, Result.PASS),
    ("gt", "x.int", 31, 31, Result.FAIL),
    ("between", "x.int", [25, 48], 25, Result.PASS),
    ("between", "x.int", [25, 48], 48, Result.PASS),
    ("between", "x.int", [25, 48], 24, Result.FAIL),
    ("between", "x.int", [25, 48], 49, Result.FAIL),
    ("is_true", "x.flag", "absent", True, Result.PASS),
    ("is_true", "x.flag", "absent", False, Result.FAIL),
    ("is_false", "x.flag", "absent", False, Result.PASS),
    ("is_false", "x.flag", "absent", True, Result.FAIL),
    # AS_OF is 2026-11-01; 2026-10-02 is 30 days before it.
    ("lte_days_ago", "x.day", 30, "2026-10-02", Result.PASS),
    ("lte_days_ago", "x.day", 30, "2026-10-01", Result.FAIL),
    ("lte_days_ago", "x.day", 30, "2026-11-05", Result.REVIEW),
    ("gte_days_ago", "x.day", 30, "2026-10-02", Result.PASS),
    ("gte_days_ago", "x.day", 30, "2026-10-03", Result.FAIL),
    ("gte_days_ago", "x.day", 30, "never", Result.REVIEW),
    ("gt_days_ago", "x.day", 30, "2026-10-01", Result.PASS),
    ("gt_days_ago", "x.day", 30, "2026-10-02", Result.FAIL),
    ("gt_days_ago", "x.day", 30, "never", Result.PASS),
    ("after_now", "x.when", "absent", "2026-11-01T00:00:01Z", Result.PASS),
    ("after_now", "x.when", "absent", "2026-11-01T00:00:00Z", Result.FAIL),
]


@pytest.mark.parametrize(("operator", "element", "threshold", "value", "expected"), CASES)
def test_an_operator_judges_a_value(
    tmp_path: Path, operator: str, element: str, threshold: Any, value: Any, expected: Result
) -> None:
    assert judge(tmp_path, operator, element, {element: value}, threshold) is expected


SINGLE = sorted({(o, e, repr(t)) for o, e, t, _, _ in CASES})


@pytest.mark.parametrize(("operator", "element", "threshold"), SINGLE)
def test_an_operator_without_a_value_is_missing(
    tmp_path: Path, operator: str, element: str, threshold: Any
) -> None:
    limit = ast.literal_eval(threshold)
    assert judge(tmp_path, operator, element, {}, limit) is Result.MISSING


@pytest.mark.parametrize(
    ("operator", "element"),
    [("eq", "x.code"), ("gte", "x.num"), ("between", "x.int"), ("gt_days_ago", "x.day")],
)
def test_a_null_threshold_is_review(tmp_path: Path, operator: str, element: str) -> None:
    value = {"x.code": "a", "x.num": 1.0, "x.int": 3, "x.day": "2026-01-01"}[element]
    assert judge(tmp_path, operator, element, {element: value}, None) is Result.REVIEW


def test_all_eq_needs_every_test_to_match(tmp_path: Path) -> None:
    good = {"x.tests.hiv": "nonreactive", "x.tests.hcv": "nonreactive"}
    assert judge(tmp_path, "all_eq", "x.tests.*", good, "nonreactive") is Result.PASS
    bad = good | {"x.tests.hcv": "reactive"}
    assert judge(tmp_path, "all_eq", "x.tests.*", bad, "nonreactive") is Result.FAIL
    assert judge(tmp_path, "all_eq", "x.tests.*", {}, "nonreactive") is Result.MISSING


HOLD = {"lmwh_prophylactic": 12, "doac": "discuss with haematology", "aspirin_only": 0}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"x.kind": "none"}, Result.PASS),
        ({"x.kind": "aspirin_only"}, Result.PASS),
        ({"x.kind": "lmwh_prophylactic", "x.when": "2026-10-31T12:00:00Z"}, Result.PASS),
        ({"x.kind": "lmwh_prophylactic", "x.when": "2026-10-31T12:00:01Z"}, Result.FAIL),
        ({"x.kind": "lmwh_prophylactic"}, Result.MISSING),
        ({}, Result.MISSING),
        ({"x.kind": "doac", "x.when": "2026-10-01T00:00:00Z"}, Result.REVIEW),
    ],
)
def test_min_hours_since_last_dose_holds_antithrombotics(
    tmp_path: Path, data: dict[str, Any], expected: Result
) -> None:
    elements = ["x.kind", "x.when"]
    assert judge(tmp_path, "min_hours_since_last_dose", elements, data, HOLD) is expected


@pytest.mark.parametrize(
    ("route", "eu_per_ml", "expected"),
    # Intrathecal K = 0.2 EU/kg: 70 kg in 5 mL allows 2.8 EU/mL; intravenous K = 5 allows 70.
    [
        ("intrathecal", 2.8, Result.PASS),
        ("intrathecal", 2.9, Result.FAIL),
        ("intravenous", 70, Result.PASS),
    ],
)
def test_endotoxin_limit_depends_on_route_and_weight(
    tmp_path: Path, route: str, eu_per_ml: float, expected: Result
) -> None:
    data = {"x.num": eu_per_ml, "x.int": 5, "x.weight": 70.0, "x.route": route}
    threshold = {"K_eu_per_kg": {"intrathecal": 0.2, "intravenous": 5}}
    elements = ["x.num", "x.int", "x.weight", "x.route"]
    result = judge(tmp_path, "endotoxin_dose_limit", elements, data, threshold)
    assert result is expected


def test_every_operator_in_the_draft_header_is_supported() -> None:
    assert set(OPERATORS) == {
        "eq", "in", "gte", "lte", "gt", "between", "all_eq", "is_true", "is_false",
        "lte_days_ago", "gte_days_ago", "gt_days_ago", "min_hours_since_last_dose",
        "endotoxin_dose_limit", "after_now",
    }  # fmt: skip
