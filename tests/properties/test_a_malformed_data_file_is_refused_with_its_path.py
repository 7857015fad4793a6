"""Every data file alstrack loads through domain/datafiles.py (instruments, catalogues, plan
parameters, product specifications, donor tests, the prognosis model, follow-up schedules,
safety clocks, the consent template, and a programme's own adjunct therapies named by
ALSTRACK_ADJUNCT_THERAPIES) is read, or refused with InvalidInput naming the file."""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, note
from hypothesis import strategies as st
from properties_cast import (
    PROPERTIES,
    assert_names,
    damaged,
    damaged_bytes,
    outcome,
    yaml_bytes,
)

from alstrack.domain import adjuncts, consent, follow_up, instruments, plans, prognosis, safety
from alstrack.domain.datafiles import parse_model, read_text
from alstrack.domain.products import donor_tests, specifications
from alstrack.errors import AlstrackError, InvalidInput

DATA = Path(str(files("alstrack.domain").joinpath("data")))


def _consent_template(path: Path) -> Any:
    return parse_model(read_text(path), str(path), consent.ConsentTemplate, holds="template, ...")


def _own_adjuncts(path: Path) -> Any:
    # The catalogue in force, built from ALSTRACK_ADJUNCT_THERAPIES (services/adjunct_catalogue).
    return adjuncts.with_own(plans.adjunct_therapies(), adjuncts.load_own_catalogue(path))


LOADERS: dict[str, Callable[[Path], Any]] = {
    "instruments/alsfrs-r.yaml": instruments.load_instrument,
    "instruments/mas.yaml": instruments.load_instrument,
    "instruments/symptoms.yaml": instruments.load_instrument,
    "plans/cell-sources.yaml": lambda p: plans.load_catalogue(p, plans.CellSourceCatalogue),
    "plans/routes.yaml": lambda p: plans.load_catalogue(p, plans.RouteCatalogue),
    "plans/adjuncts.yaml": _own_adjuncts,
    "plans/parameters.yaml": plans.load_parameters,
    "products/specifications.yaml": specifications.load_specifications,
    "products/donor-tests.yaml": donor_tests.load_donor_tests,
    "prognosis/encals.yaml": prognosis.load_encals_model,
    "follow-up/schedules.yaml": follow_up.load_schedules,
    "safety/reporting.yaml": safety.load_reporting_rules,
    "consent/msc-als-default.yaml": _consent_template,
}
SHIPPED = {name: yaml.safe_load((DATA / name).read_text(encoding="utf-8")) for name in LOADERS}
# A programme's own adjunct therapies: the shipped ones under ids of their own (a shipped id is
# refused, which would be all the property saw).
SHIPPED["plans/adjuncts.yaml"]["entries"] = [
    entry | {"id": f"own_{entry['id']}"} for entry in SHIPPED["plans/adjuncts.yaml"]["entries"]
]


def _loaded_or_refused(load: Callable[[Path], Any], path: Path) -> None:
    loaded = outcome(lambda: load(path))
    if isinstance(loaded, AlstrackError):
        note(str(loaded)[:2000])
        assert isinstance(loaded, InvalidInput)
        # The file, or for a programme's own adjunct therapies the setting that names it.
        assert_names(loaded, str(path), "ALSTRACK_ADJUNCT_THERAPIES")


def _file(tmp: pytest.TempPathFactory, content: bytes) -> Path:
    path = tmp.mktemp("data") / "data-file.yaml"
    path.write_bytes(content)
    return path


def test_every_loader_reads_the_document_its_properties_start_from(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for name, load in LOADERS.items():
        load(_file(tmp_path_factory, yaml_bytes(SHIPPED[name])))


@pytest.mark.parametrize("name", LOADERS)
@PROPERTIES
@given(data=st.data())
def test_a_damaged_data_file_is_read_or_refused_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject
) -> None:
    document = data.draw(damaged(SHIPPED[name]), label="document").value
    _loaded_or_refused(LOADERS[name], _file(tmp_path_factory, yaml_bytes(document)))


@pytest.mark.parametrize("name", LOADERS)
@PROPERTIES
@given(data=st.data())
def test_damaged_bytes_are_read_or_refused_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject
) -> None:
    content = data.draw(damaged_bytes(yaml_bytes(SHIPPED[name])), label="content").value
    _loaded_or_refused(LOADERS[name], _file(tmp_path_factory, content))
