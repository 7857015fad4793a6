"""The specifications fit the rest of the program: one per cell source, tests named after the
REL- rules' lot.* data elements, no limit looser than a rule, and every value cited."""

from __future__ import annotations

from typing import Any

import pytest

from alstrack.domain.eligibility import builtin_ruleset
from alstrack.domain.plans import cell_sources
from alstrack.domain.products import ReleaseTest, Specification, builtin_specifications

SPECS = builtin_specifications().products
RULES = {rule.id: rule for rule in builtin_ruleset().rules}
ISCT_MARKERS = {
    "cd73_pct", "cd90_pct", "cd105_pct",
    "cd45_pct", "cd34_pct", "cd14_or_cd11b_pct", "cd79a_or_cd19_pct", "hla_dr_pct",
}  # fmt: skip
REQUIRED = ISCT_MARKERS | {
    "viability_pct", "post_thaw_viability_pct", "sterility_culture", "gram_stain", "mycoplasma",
    "endotoxin_eu_per_ml", "karyotype", "passage_number", "total_viable_cells",
}  # fmt: skip
CASES = [(spec, test) for spec in SPECS for test in spec.tests]
IDS = [f"{spec.id}.{test.id}" for spec, test in CASES]


def test_there_is_one_specification_per_cell_source_of_the_same_origin() -> None:
    assert {spec.id: spec.origin for spec in SPECS} == {
        source.id: source.origin for source in cell_sources().entries
    }


@pytest.mark.parametrize("spec", SPECS, ids=[spec.id for spec in SPECS])
def test_every_specification_has_every_release_test_and_the_after_thaw_expiry(
    spec: Specification,
) -> None:
    assert {test.id for test in spec.tests} == REQUIRED
    assert spec.expiry_after_thaw_hours.value > 0
    assert spec.dose_endotoxin.rule == "REL-ENDO-001"
    assert "USP_85" in spec.dose_endotoxin.sources


def test_the_isct_markers_are_95_percent_positive_and_2_percent_negative_everywhere() -> None:
    for spec in SPECS:
        limits = {t.id: (t.operator, t.limit) for t in spec.tests if t.id in ISCT_MARKERS}
        assert limits == {
            marker: ("gte", 95) if marker in {"cd73_pct", "cd90_pct", "cd105_pct"} else ("lte", 2)
            for marker in ISCT_MARKERS
        }


@pytest.mark.parametrize(("spec", "test"), CASES, ids=IDS)
def test_each_test_is_a_lot_data_element_of_its_release_rule(
    spec: Specification, test: ReleaseTest
) -> None:
    assert test.rule is not None
    elements = RULES[test.rule].data_element
    assert f"lot.{test.id}" in (elements if isinstance(elements, tuple) else (elements,))
    values = builtin_ruleset().data_elements[f"lot.{test.id}"].values
    assert test.codes == values


def rule_threshold(test: ReleaseTest) -> tuple[str, Any]:
    assert test.rule is not None
    rule = RULES[test.rule]
    operator, threshold = rule.operator, rule.threshold
    if isinstance(operator, dict):
        operator, threshold = operator[f"lot.{test.id}"], threshold[f"lot.{test.id}"]
    return str(operator), threshold


@pytest.mark.parametrize(("spec", "test"), CASES, ids=IDS)
def test_no_limit_is_looser_than_its_release_rule(spec: Specification, test: ReleaseTest) -> None:
    operator, threshold = rule_threshold(test)
    if threshold is None or operator in {"between", "endotoxin_dose_limit"}:
        return  # REL-PASS-001 has no value; the dose and endotoxin per dose follow the plan
    if operator == "gte":
        assert test.operator in {"gte", "gt"}
        assert test.limit is not None
        assert test.limit >= threshold
    elif operator == "lte":
        assert test.operator in {"lte", "lt"}
        assert test.limit is not None
        assert test.limit <= threshold
    else:
        allowed = {threshold} if operator == "eq" else set(threshold)
        assert set(test.accepted or ()) <= allowed


@pytest.mark.parametrize(("spec", "test"), CASES, ids=IDS)
def test_every_value_shows_its_status_and_a_verified_one_its_sources(
    spec: Specification, test: ReleaseTest
) -> None:
    assert test.status in {"read", "secondary", "not verified"}
    if test.status != "not verified":
        assert test.sources
    if test.status == "not verified" and not test.sources:
        assert test.note, "a value with neither a source nor a verification says why"


def test_the_values_not_verified_are_the_ones_without_a_citable_source() -> None:
    for spec in SPECS:
        unverified = {t.id for t in spec.tests if t.status == "not verified"}
        assert {"passage_number", "total_viable_cells"} <= unverified
        assert spec.expiry_after_thaw_hours.status == "not verified"
    bm = builtin_specifications().get("autologous_bm_msc", field="product")
    assert {t.id: t.status for t in bm.tests}["viability_pct"] == "read"
