"""A broken rule file is refused with the file, the rule and the reason, and stores nothing:
screenings go on with the last good version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rule_documents import Document, WriteRules, add_profile, northgate_document, rule

from alstrack.errors import InvalidInput
from alstrack.services import rulesets


def _without_northgates_threshold(document: Document) -> None:
    del rule(document, "INC-DUR-001")["threshold"]["northgate"]


def _a_second_cell_rule(document: Document) -> None:
    rule(document, "EXC-CELL-002")["id"] = "EXC-CELL-001"


BREAKS: list[tuple[str, Callable[[Document], None], str]] = [
    (
        "unknown operator",
        lambda d: rule(d, "EXC-CELL-001").update(operator="is_falsy"),
        "EXC-CELL-001: unknown operator 'is_falsy'",
    ),
    (
        "unknown data element",
        lambda d: rule(d, "EXC-CELL-001").update(data_element="hx.prior_cell_therapy"),
        "EXC-CELL-001: unknown data element 'hx.prior_cell_therapy'",
    ),
    (
        "profile without a threshold",
        _without_northgates_threshold,
        "INC-DUR-001: profile northgate has no threshold for dx.symptom_onset_date",
    ),
    ("duplicate id", _a_second_cell_rule, "EXC-CELL-001: the id is used twice"),
    (
        "rule id too long to store",
        lambda d: rule(d, "EXC-CELL-002").update(id="EXC-" + "C" * 26 + "-002"),
        f"rule EXC-{'C' * 26}-002.id: at most 32 characters",
    ),
    (
        "profile name too long to store",
        lambda d: add_profile(d, "n" * 65),
        f"ruleset.profiles.{'n' * 65}.[key]: at most 64 characters",
    ),
    (
        "inclusion rule that blocks a procedure",
        lambda d: rule(d, "INC-AGE-001").update(effect="block_procedure"),
        "INC-AGE-001: effect block_procedure is not for INC- rules",
    ),
]


@pytest.fixture
def last_good(clinic: Any, northgate_file: Path) -> int:
    """Northgate's first file, installed: the version screenings use."""
    return rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file).id


@pytest.mark.parametrize(("change", "reason"), [b[1:] for b in BREAKS], ids=[b[0] for b in BREAKS])
def test_a_broken_file_is_refused_and_the_last_good_version_stays_active(
    clinic: Any,
    last_good: int,
    write_rules: WriteRules,
    stored: Callable[[], dict[str, int]],
    change: Callable[[Document], None],
    reason: str,
) -> None:
    document = northgate_document("0.2.0-northgate.2")
    change(document)
    path = write_rules(document, "northgate-2.yaml")
    before = stored()
    with pytest.raises(InvalidInput) as refused:
        rulesets.install_ruleset(clinic.db, clinic["adam"], path)
    assert str(path) in str(refused.value)
    assert reason in str(refused.value)
    assert stored() == before
    with clinic.db.transaction() as session:
        assert rulesets.active_ruleset(session).version_id == last_good


def test_a_new_profile_must_say_null_where_it_has_no_threshold(write_rules: WriteRules) -> None:
    document = add_profile(northgate_document("0.2.0-northgate.2"), "southbank")
    rule(document, "INC-DUR-001")["threshold"]["southbank"] = None
    assert "southbank" in rulesets.check_file(write_rules(document, "ok.yaml")).profiles


def test_a_file_that_cannot_be_read_is_refused_by_name(clinic: Any, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(InvalidInput, match=r"nowhere\.yaml"):
        rulesets.install_ruleset(clinic.db, clinic["adam"], missing)


def test_a_version_too_long_to_store_is_refused_before_anything_is_stored(
    clinic: Any, write_rules: WriteRules, stored: Callable[[], dict[str, int]]
) -> None:
    path = write_rules(northgate_document("0.2.0-" + "n" * 40), "long.yaml")
    before = stored()
    with pytest.raises(InvalidInput, match=r"ruleset\.version: at most 40 characters"):
        rulesets.install_ruleset(clinic.db, clinic["adam"], path)
    assert stored() == before
