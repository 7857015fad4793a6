"""Codes are checked by alstrack itself (the fhir.resources models do not): every coding of an
exported Bundle must name a system of the code table (domain/data/fhir/codes.yaml) and one of its
codes. The check catches a wrong code, an unknown system and a coding without a system; the
table is data with each system's source and version, and it covers alstrack's catalogues."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fhir.resources.R4B.condition import Condition

from alstrack.domain.instruments import builtin_instruments
from alstrack.domain.plans import cell_sources, routes
from alstrack.domain.registry import ONSET_REGIONS
from alstrack.domain.safety import OUTCOMES, RELATEDNESS
from alstrack.errors import InvalidInput
from alstrack.interop.fhir.codes import (
    CodeTable,
    code_table,
    local,
    require_known_codes,
    unknown_codings,
)
from alstrack.interop.fhir.pathway import _OUTCOME
from alstrack.interop.fhir.resources import coding

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def _condition(bundle: Any) -> dict[str, Any]:
    [condition] = [r for r in bundle.resources if r["resourceType"] == "Condition"]
    return condition


def test_a_wrong_icd_10_code_is_caught_though_the_r4b_model_accepts_it(
    clinic: Any, pat: Any, export: Any
) -> None:
    bundle = export(pat.id, "chen")
    wrong = copy.deepcopy(bundle.json)
    condition = _condition(bundle)
    index = bundle.resources.index(condition)
    codes = wrong["entry"][index]["resource"]["code"]["coding"]
    codes[1]["code"] = "G12.2"  # "motor neuron disease", not ALS: a typo an export must not carry
    Condition.model_validate(wrong["entry"][index]["resource"])  # the model does not mind
    assert unknown_codings(wrong) == [
        f"entry[{index}].resource.code.coding[1]: {ICD10CM} has no code G12.2 in alstrack's table"
    ]
    with pytest.raises(InvalidInput, match=r"G12\.2 "):
        require_known_codes(wrong)
    require_known_codes(bundle.json)  # the export as made passes


def test_an_unknown_system_and_a_coding_without_a_system_are_caught() -> None:
    resource = {
        "resourceType": "Observation",
        "code": {
            "coding": [
                {"system": "http://loinc.org", "code": "29463-7"},
                {"system": "http://example.org/made-up", "code": "x"},
                {"code": "29463-7", "display": "Body weight"},
            ]
        },
        "valueQuantity": {"value": 3, "system": "http://unitsofmeasure.org", "code": "stone"},
    }
    assert unknown_codings(resource) == [
        "code.coding[1]: http://example.org/made-up is not a code system in alstrack's table",
        "code.coding[2]: the coding of 29463-7 names no system",
        "valueQuantity: http://unitsofmeasure.org has no code stone in alstrack's table",
    ]


def test_meddra_codes_are_checked_by_their_form() -> None:
    mdr = "http://terminology.hl7.org/CodeSystem/mdr"
    assert code_table().knows(mdr, "10019211")
    assert not code_table().knows(mdr, "headache")
    assert not code_table().knows(mdr, "1001921")


def test_every_system_of_the_table_names_its_source_and_version() -> None:
    table = code_table()
    assert table.version
    for system in table.systems:
        assert system.source.strip(), system.url
        assert system.version.strip(), system.url
        assert system.codes or system.pattern, system.url


def test_a_system_with_codes_and_a_pattern_or_listed_twice_is_refused() -> None:
    system = {"url": "u", "name": "n", "source": "s", "version": "1"}
    with pytest.raises(ValueError, match="either codes or a pattern"):
        CodeTable.model_validate(
            {"version": "1", "local_base": "b",
             "systems": [system | {"codes": {"a": "A"}, "pattern": "a"}]}
        )  # fmt: skip
    with pytest.raises(ValueError, match="listed twice"):
        CodeTable.model_validate(
            {"version": "1", "local_base": "b",
             "systems": [system | {"codes": {"a": "A"}}, system | {"codes": {"b": "B"}}]}
        )  # fmt: skip


def test_the_table_covers_alstracks_catalogues_and_value_sets() -> None:
    table = code_table()

    def listed(name: str) -> set[str]:
        found = table.system(local(f"CodeSystem/{name}"))
        assert found is not None, name
        return set(found.codes)

    assert {s.id for s in cell_sources().entries} <= listed("cell-source")
    assert {r.id for r in routes().entries} <= listed("route")
    assert {s.tissue for s in cell_sources().entries} <= listed("tissue")
    assert set(ONSET_REGIONS) <= listed("onset-region")
    assert set(RELATEDNESS) <= listed("relatedness")
    assert set(OUTCOMES) == set(_OUTCOME)
    instrument = builtin_instruments()["alsfrs_r"]
    assert {item.key for item in instrument.items} <= listed("alsfrs-r")
    answers = {str(c.value) for item in instrument.items for c in item.choices}
    assert answers <= listed("alsfrs-r-answer")


def test_a_writer_refuses_a_code_the_table_does_not_list() -> None:
    with pytest.raises(InvalidInput, match="has no code spinal_msc"):
        coding(local("CodeSystem/cell-source"), "spinal_msc")
