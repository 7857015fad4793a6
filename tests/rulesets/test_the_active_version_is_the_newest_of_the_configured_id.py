"""Screenings use the newest installed version of the rule set the settings name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rule_documents import WriteRules, northgate_document

from alstrack.config import get_settings
from alstrack.errors import NotFound
from alstrack.services import rulesets


def test_the_list_marks_the_newest_version_of_each_rule_set_active(
    clinic: Any, northgate_file: Path, write_rules: WriteRules
) -> None:
    adam = clinic["adam"]
    first = rulesets.install_ruleset(clinic.db, adam, northgate_file)
    second = rulesets.install_ruleset(
        clinic.db, adam, write_rules(northgate_document("0.2.0-northgate.2"), "second.yaml")
    )
    listed = rulesets.list_versions(clinic.db, clinic["alice"])
    assert [(v.id, v.version, v.active) for v in listed] == [
        (second.id, "0.2.0-northgate.2", True),
        (first.id, "0.2.0-northgate.1", False),
    ]


def test_the_list_shows_the_shipped_version_once_a_screening_stored_it(clinic: Any) -> None:
    assert rulesets.list_versions(clinic.db, clinic["adam"]) == []
    with clinic.db.transaction() as session:
        rulesets.active_ruleset(session, store_as=clinic["alice"])
    [shipped] = rulesets.list_versions(clinic.db, clinic["adam"])
    assert (shipped.origin, shipped.active, shipped.validated) == ("builtin", True, False)


def test_a_rule_set_of_another_id_is_used_once_the_setting_names_it(
    clinic: Any, write_rules: WriteRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = northgate_document("1.0.0")
    document["ruleset"]["id"] = "northgate-rules"
    installed = rulesets.install_ruleset(
        clinic.db, clinic["adam"], write_rules(document, "own.yaml")
    )
    assert not installed.active
    assert not any(v.active for v in rulesets.list_versions(clinic.db, clinic["alice"]))
    with clinic.db.transaction() as session:
        assert rulesets.active_ruleset(session).origin == "builtin"
        assert rulesets.active_ruleset(session, "northgate-rules").version_id == installed.id
    monkeypatch.setenv("ALSTRACK_RULESET", "northgate-rules")
    get_settings.cache_clear()
    assert rulesets.describe_active(clinic.db, clinic["alice"]).version_id == installed.id
    [listed] = rulesets.list_versions(clinic.db, clinic["alice"])
    assert (listed.id, listed.active) == (installed.id, True)


def test_installing_under_the_configured_id_reports_it_active(
    clinic: Any, northgate_file: Path
) -> None:
    assert rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file).active


def test_an_unknown_rule_set_id_is_not_found_by_its_name(clinic: Any) -> None:
    with (
        clinic.db.transaction() as session,
        pytest.raises(NotFound, match="No rule set 'southbank-rules' is installed"),
    ):
        rulesets.active_ruleset(session, "southbank-rules")
