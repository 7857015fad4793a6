"""A rule file damaged in any way is refused with InvalidInput naming the file and what is
wrong, as `alstrack rules check` (and install, and `alstrack screen --rules`) checks it; the
command says so and exits 1, without a traceback.

The damaged files start from the shipped rule set (a DRAFT): keys dropped, values of the wrong
type or out of range, ids twice, unknown fields, names that are no names (numbers, null, a NUL,
an unpaired surrogate spelt as YAML's escape), text cut short, bytes that are not UTF-8.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, note, settings
from properties_cast import (
    PROPERTIES,
    SHIPPED_RULES,
    Damaged,
    assert_clean_exit,
    assert_names,
    damaged_bytes,
    damaged_rule_files,
    outcome,
    yaml_bytes,
)
from typer.testing import CliRunner

from alstrack.cli.main import app
from alstrack.errors import AlstrackError, InvalidInput
from alstrack.services import rulesets


def _file(tmp: pytest.TempPathFactory, content: bytes) -> Path:
    path = tmp.mktemp("rules") / "program-rules.yaml"
    path.write_bytes(content)
    return path


def _check(path: Path) -> None:
    checked = outcome(lambda: rulesets.check_file(path))
    if isinstance(checked, AlstrackError):
        note(str(checked)[:2000])
        assert isinstance(checked, InvalidInput)
        assert_names(checked, str(path))
        assert all(f.field == str(path) for f in checked.fields), checked.fields


def test_the_document_the_properties_start_from_is_checked_ok(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    checked = rulesets.check_file(_file(tmp_path_factory, yaml_bytes(SHIPPED_RULES)))
    assert checked.ruleset.id == SHIPPED_RULES["ruleset"]["id"]


@PROPERTIES
@given(damaged=damaged_rule_files())
def test_a_damaged_rule_document_is_checked_or_refused_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, damaged: Damaged[Any]
) -> None:
    _check(_file(tmp_path_factory, yaml_bytes(damaged.value)))


@PROPERTIES
@given(damaged=damaged_rule_files(parts=("mapping",)))
def test_a_mapping_with_entries_under_no_name_is_checked_or_refused_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, damaged: Damaged[Any]
) -> None:
    _check(_file(tmp_path_factory, yaml_bytes(damaged.value)))


@PROPERTIES
@given(damaged=damaged_bytes(yaml_bytes(SHIPPED_RULES)))
def test_damaged_bytes_are_checked_or_refused_naming_the_file(
    tmp_path_factory: pytest.TempPathFactory, damaged: Damaged[bytes]
) -> None:
    _check(_file(tmp_path_factory, damaged.value))


# The command prints what the checks above return: fewer examples suffice.
@settings(PROPERTIES, max_examples=20)
@given(damaged=damaged_rule_files(changes=2))
def test_rules_check_exits_1_with_the_file_and_never_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, damaged: Damaged[Any]
) -> None:
    path = _file(tmp_path_factory, yaml_bytes(damaged.value))
    result = CliRunner().invoke(app, ["rules", "check", str(path)])
    assert_clean_exit(result, refused_says="error:")
    if result.exit_code == 1:
        assert str(path) in "".join(result.stderr.split()), result.stderr
