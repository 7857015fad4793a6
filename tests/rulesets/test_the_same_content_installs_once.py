"""One content, one version row; one version name, one content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rule_documents import WriteRules, northgate_document, rule, shipped_document

from alstrack.errors import Conflict
from alstrack.services import rulesets


def test_installing_the_same_content_twice_is_a_conflict_naming_its_version(
    clinic: Any, northgate_file: Path, tmp_path: Path
) -> None:
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    copy = tmp_path / "copy.yaml"
    copy.write_bytes(northgate_file.read_bytes())
    with pytest.raises(Conflict, match=f"rule set version {installed.id} .* holds the same"):
        rulesets.install_ruleset(clinic.db, clinic["adam"], copy)


def test_other_content_under_an_installed_version_name_is_a_conflict(
    clinic: Any, northgate_file: Path, write_rules: WriteRules
) -> None:
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    document = northgate_document()
    rule(document, "EXC-CELL-001")["description"] = "Any prior cell therapy, reworded"
    with pytest.raises(Conflict, match=f"0.2.0-northgate.1 is rule set version {installed.id}"):
        rulesets.install_ruleset(clinic.db, clinic["adam"], write_rules(document, "reworded.yaml"))


def test_a_changed_file_under_the_shipped_version_name_is_a_conflict(
    clinic: Any, write_rules: WriteRules
) -> None:
    document = shipped_document()
    rule(document, "EXC-CELL-001")["description"] = "Any prior cell therapy, reworded"
    with pytest.raises(Conflict, match="is the shipped rule set, with other content"):
        rulesets.install_ruleset(clinic.db, clinic["adam"], write_rules(document, "mine.yaml"))


def test_the_shipped_file_itself_may_be_installed_until_it_is_stored(clinic: Any) -> None:
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], rulesets.shipped_file())
    assert (installed.active, installed.validated) == (True, False)
    with pytest.raises(Conflict, match="holds the same content"):
        rulesets.install_ruleset(clinic.db, clinic["adam"], rulesets.shipped_file())
