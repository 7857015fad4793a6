"""The plan catalogues (cell sources, routes, adjuncts) load; broken files are refused."""

import copy
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from alstrack.domain.eligibility import builtin_ruleset
from alstrack.domain.plans import (
    AdjunctCatalogue,
    Catalogue,
    CellSourceCatalogue,
    RouteCatalogue,
    adjunct_therapies,
    cell_sources,
    load_catalogue,
    routes,
)
from alstrack.errors import InvalidInput

SHIPPED = files("alstrack.domain").joinpath("data", "plans")


def shipped(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(SHIPPED.joinpath(name).read_text(encoding="utf-8"))
    return document


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_the_cell_sources_are_the_two_autologous_and_two_allogeneic_ones() -> None:
    catalogue = cell_sources()
    assert catalogue.ids() == (
        "autologous_bm_msc",
        "autologous_adipose_msc",
        "allogeneic_uc_msc",
        "allogeneic_wj_msc",
    )
    assert catalogue.version == "1.0"
    assert "21 CFR 1271" in catalogue.source


def test_only_autologous_sources_need_a_collection_from_the_patient() -> None:
    for source in cell_sources().entries:
        assert source.requires_collection is (source.origin == "autologous")
    assert cell_sources().get("autologous_adipose_msc", field="cell_source").tissue == "adipose"
    wharton = cell_sources().get("allogeneic_wj_msc", field="cell_source")
    assert wharton.tissue == "wharton_jelly"
    assert wharton.note is not None
    assert "subpart C" in wharton.note


def test_the_routes_are_intrathecal_intravenous_and_intramuscular_each_with_a_source() -> None:
    catalogue = routes()
    assert catalogue.ids() == ("intrathecal", "intravenous", "intramuscular")
    assert all("USP <85>" in route.source for route in catalogue.entries)
    assert "not a clinical source" in catalogue.plausibility.source


def test_the_route_factors_agree_with_the_eligibility_release_rule() -> None:
    [rule] = [rule for rule in builtin_ruleset().rules if rule.id == "REL-ENDO-001"]
    by_rule = rule.threshold["K_eu_per_kg"]
    assert {route.id: route.endotoxin_k_eu_per_kg for route in routes().entries} == by_rule


def test_the_route_ids_are_the_lot_route_codes_of_the_rule_set() -> None:
    codes = builtin_ruleset().data_elements["lot.route"].values
    assert codes is not None
    assert set(routes().ids()) == set(codes)


def test_the_adjunct_therapies_include_the_articles_and_other_with_a_detail() -> None:
    catalogue = adjunct_therapies()
    assert catalogue.ids() == (
        "mri_checkup",
        "physiotherapy",
        "speech_therapy",
        "respiratory_therapy",
        "occupational_therapy",
        "nutrition",
        "other",
    )
    needing_detail = [t.id for t in catalogue.entries if t.detail_required]
    assert needing_detail == ["other"]


@pytest.mark.parametrize("catalogue", [cell_sources(), routes(), adjunct_therapies()])
def test_every_id_in_a_catalogue_is_unique(catalogue: Catalogue[Any]) -> None:
    assert len(set(catalogue.ids())) == len(catalogue.entries)


def test_an_unknown_id_is_refused_on_the_field_naming_the_ids() -> None:
    with pytest.raises(InvalidInput) as caught:
        cell_sources().get("embryonic", field="cell_source")
    [error] = caught.value.fields
    assert error.field == "cell_source"
    assert "choose autologous_bm_msc, autologous_adipose_msc" in error.message


def test_the_catalogues_are_read_once_and_cannot_be_changed() -> None:
    assert routes() is routes()
    with pytest.raises(ValueError, match="frozen"):
        routes().entries[0].endotoxin_k_eu_per_kg = 5.0  # type: ignore[misc]


def test_it_loads_a_good_file_from_a_path(tmp_path: Path) -> None:
    loaded = load_catalogue(write(tmp_path, shipped("routes.yaml")), RouteCatalogue)
    assert loaded == routes()


def entry(index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["entries"][index].update(changes)


BROKEN: list[tuple[str, str, type[Catalogue[Any]], Callable[[dict[str, Any]], None], str]] = [
    (
        "duplicate id",
        "cell-sources.yaml",
        CellSourceCatalogue,
        entry(1, id="autologous_bm_msc"),
        "duplicate ids: autologous_bm_msc",
    ),
    (
        "allogeneic source needing a collection",
        "cell-sources.yaml",
        CellSourceCatalogue,
        entry(2, requires_collection=True),
        "allogeneic_uc_msc: requires_collection is true exactly for autologous cells",
    ),
    (
        "unknown tissue",
        "cell-sources.yaml",
        CellSourceCatalogue,
        entry(0, tissue="cord_blood"),
        "entries.0.tissue",
    ),
    (
        "an id that is not a key",
        "adjuncts.yaml",
        AdjunctCatalogue,
        entry(0, id="MRI check-up"),
        "entries.0.id",
    ),
    (
        "zero K",
        "routes.yaml",
        RouteCatalogue,
        entry(0, endotoxin_k_eu_per_kg=0),
        "entries.0.endotoxin_k_eu_per_kg",
    ),
    (
        "a route without a source",
        "routes.yaml",
        RouteCatalogue,
        lambda d: d["entries"][1].pop("source"),
        "entries.1.source: Field required",
    ),
    (
        "bounds upside down",
        "routes.yaml",
        RouteCatalogue,
        lambda d: d["plausibility"].update(cells_per_kg=[1e8, 1e4]),
        "cells_per_kg is [low, high]",
    ),
    (
        "no entries",
        "adjuncts.yaml",
        AdjunctCatalogue,
        lambda d: d.update(entries=[]),
        "the catalogue has no entries",
    ),
    (
        "misspelt key",
        "adjuncts.yaml",
        AdjunctCatalogue,
        entry(6, detail_requried=True),
        "entries.6.detail_requried: Extra inputs are not permitted",
    ),
    (
        "a catalogue of another kind",
        "routes.yaml",
        CellSourceCatalogue,
        lambda d: None,
        "catalogue: Input should be 'cell_sources'",
    ),
    (
        "no version",
        "cell-sources.yaml",
        CellSourceCatalogue,
        lambda d: d.pop("version"),
        "version: Field required",
    ),
]


@pytest.mark.parametrize(
    ("name", "schema", "change", "reason"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_it_refuses_a_broken_catalogue_naming_the_file_and_the_reason(
    tmp_path: Path,
    name: str,
    schema: type[Catalogue[Any]],
    change: Callable[[dict[str, Any]], None],
    reason: str,
) -> None:
    document = copy.deepcopy(shipped(name))
    change(document)
    path = write(tmp_path, document)
    with pytest.raises(InvalidInput) as caught:
        load_catalogue(path, schema)
    [error] = caught.value.fields
    assert error.field == str(path)
    assert reason in error.message


def test_it_refuses_a_file_that_is_not_yaml_or_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("entries: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidInput, match="cannot be read as YAML"):
        load_catalogue(path, RouteCatalogue)
    with pytest.raises(InvalidInput, match="must hold a mapping"):
        load_catalogue(write(tmp_path, ["a", "list"]), RouteCatalogue)
    with pytest.raises(InvalidInput, match="cannot be read"):
        load_catalogue(tmp_path / "missing.yaml", RouteCatalogue)
