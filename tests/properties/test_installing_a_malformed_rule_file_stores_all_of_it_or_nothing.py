"""Installing a rule file damaged in any way stores all of it (one rule set version and its
audit entry) or nothing, and a refusal names the file.

Its id and version, stored in columns of their own, are damaged most often: text past their
columns, a NUL (which PostgreSQL cannot store), an unpaired surrogate.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, note, settings
from properties_cast import (
    PROPERTIES,
    SHIPPED_RULES,
    Damaged,
    assert_names,
    damaged_rule_files,
    outcome,
    yaml_bytes,
)

from alstrack.errors import AlstrackError
from alstrack.services import rulesets

_versions = itertools.count(1)


@settings(PROPERTIES, max_examples=25)
@given(damaged=damaged_rule_files(parts=("names", "names", "header", "mapping", "rule"), changes=2))
def test_installing_a_damaged_rule_file_stores_all_of_it_or_nothing(
    clinic: Any,
    stored: Callable[[], dict[str, int]],
    tmp_path_factory: pytest.TempPathFactory,
    damaged: Damaged[Any],
) -> None:
    document = damaged.value
    if document["ruleset"].get("version") == SHIPPED_RULES["ruleset"]["version"]:
        # A version of its own, so that a file that passes its checks installs.
        document["ruleset"]["version"] = f"0.0.{next(_versions)}-property"
    path = tmp_path_factory.mktemp("rules") / "program-rules.yaml"
    path.write_bytes(yaml_bytes(document))
    before = stored()
    installed = outcome(lambda: rulesets.install_ruleset(clinic.db, clinic["adam"], path))
    after = stored()
    if isinstance(installed, AlstrackError):
        note(str(installed)[:2000])
        assert_names(installed, str(path))
        assert after == before
    else:
        grown = {table: after[table] - before[table] for table in after}
        assert {t: n for t, n in grown.items() if n} == {"rule_set_versions": 1, "audit_log": 1}
