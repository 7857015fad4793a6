"""One content, one version row; one version name, one content."""

from __future__ import annotations

import threading
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


def _install_at_once(clinic: Any, paths: list[Path]) -> tuple[list[int], list[BaseException]]:
    """Install each file from a thread of its own, all starting together."""
    start = threading.Barrier(len(paths))
    installed: list[int] = []
    refused: list[BaseException] = []

    def install(path: Path) -> None:
        try:
            start.wait()
            installed.append(rulesets.install_ruleset(clinic.db, clinic["adam"], path).id)
        except BaseException as exc:  # judged in the test's thread
            refused.append(exc)

    threads = [threading.Thread(target=install, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return installed, refused


def test_two_installs_of_the_same_content_at_once_store_one_and_refuse_the_other(
    clinic: Any, northgate_file: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_bytes(northgate_file.read_bytes())
    installed, refused = _install_at_once(clinic, [northgate_file, copy])
    assert len(installed) == 1
    [conflict] = refused
    assert isinstance(conflict, Conflict)
    assert f"rule set version {installed[0]} " in str(conflict)


def test_two_installs_of_one_version_name_at_once_store_one_and_refuse_the_other(
    clinic: Any, northgate_file: Path, write_rules: WriteRules
) -> None:
    document = northgate_document()
    rule(document, "EXC-CELL-001")["description"] = "Any prior cell therapy, reworded"
    reworded = write_rules(document, "reworded.yaml")
    installed, refused = _install_at_once(clinic, [northgate_file, reworded])
    assert len(installed) == 1
    [conflict] = refused
    assert isinstance(conflict, Conflict)
    assert f"0.2.0-northgate.1 is rule set version {installed[0]}" in str(conflict)


@pytest.mark.parametrize("same_content", [True, False], ids=["same content", "same version"])
def test_an_install_that_loses_the_race_after_its_check_is_a_conflict_naming_the_clash(
    clinic: Any,
    northgate_file: Path,
    write_rules: WriteRules,
    monkeypatch: pytest.MonkeyPatch,
    same_content: bool,
) -> None:
    first = rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    document = northgate_document()
    if not same_content:
        rule(document, "EXC-CELL-001")["description"] = "Any prior cell therapy, reworded"
    path = write_rules(document, "second.yaml")
    # The other installation commits just after this one's check: the check sees nothing.
    real = rulesets._clash
    calls: list[object] = []

    def blind_at_first(*args: Any) -> Conflict | None:
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(rulesets, "_clash", blind_at_first)
    with pytest.raises(Conflict) as refused:
        rulesets.install_ruleset(clinic.db, clinic["adam"], path)
    clash = "holds the same content" if same_content else "0.2.0-northgate.1 is rule set version"
    assert clash in str(refused.value)
    assert f"rule set version {first.id}" in str(refused.value)
    assert len(calls) == 2
    assert [v.id for v in rulesets.list_versions(clinic.db, clinic["adam"])] == [first.id]
