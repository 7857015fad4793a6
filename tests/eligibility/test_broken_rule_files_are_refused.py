"""A broken rule file is refused with InvalidInput naming the file, the rule and the reason."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from eligibility_cast import AS_OF, SMALL_RULESET

from alstrack.domain.eligibility import (
    Result,
    builtin_ruleset,
    load_ruleset,
    read_observations,
    screen,
)
from alstrack.errors import InvalidInput


def write(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    document = copy.deepcopy(SMALL_RULESET)
    change(document)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def age_rule(document: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = document["rules"][0]
    return rule


def rename_loose(document: dict[str, Any], name: str) -> None:
    """The profile loose renamed everywhere the file names it."""
    profiles = document["ruleset"]["profiles"]
    profiles[name] = profiles.pop("loose")
    age_rule(document)["threshold"][name] = age_rule(document)["threshold"].pop("loose")
    document["rules"][1]["effect"][name] = document["rules"][1]["effect"].pop("loose")


def test_it_loads_the_good_file(tmp_path: Path) -> None:
    ruleset = load_ruleset(write(tmp_path, lambda d: None))
    assert ruleset.profiles == ("strict", "loose")
    assert ruleset.rules[1].certainty == "secondary"


CHANGES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    (
        "unknown operator",
        lambda d: age_rule(d).update(operator="roughly"),
        "INC-AGE-001: unknown operator 'roughly'",
    ),
    (
        "unknown data element",
        lambda d: age_rule(d).update(data_element="patient.age"),
        "INC-AGE-001: unknown data element 'patient.age'",
    ),
    (
        "profile without a threshold",
        lambda d: age_rule(d).update(threshold={"strict": [18, 60]}),
        "INC-AGE-001: profile loose has no threshold",
    ),
    (
        "duplicate id",
        lambda d: d["rules"][1].update(id="INC-AGE-001"),
        "INC-AGE-001: the id is used twice",
    ),
    (
        "unknown profile in thresholds",
        lambda d: age_rule(d).update(threshold={"strict": [18, 60], "lax": [18, 90]}),
        "INC-AGE-001: threshold names unknown profiles: lax",
    ),
    (
        "unknown profile in effects",
        lambda d: d["rules"][1].update(effect={"strict": "exclude", "lax": "flag"}),
        "EXC-IMM-001: effect names unknown profiles: lax",
    ),
    (
        "threshold of the wrong shape",
        lambda d: age_rule(d).update(threshold=18),
        "INC-AGE-001: patient.age_years: threshold must be [low, high]",
    ),
    (
        "threshold on an operator that takes none",
        lambda d: d["rules"][1].update(threshold=True),
        "EXC-IMM-001: is_false takes no threshold",
    ),
    (
        "operator that cannot read the element",
        lambda d: d["rules"][1].update(operator="gte", threshold=1),
        "EXC-IMM-001: gte cannot read hx.autoimmune_disease, a boolean",
    ),
    (
        "effect that is not an effect",
        lambda d: d["rules"][1].update(effect="if FAIL -> ask someone"),
        "rule EXC-IMM-001.effect",
    ),
    (
        "unknown source",
        lambda d: age_rule(d).update(sources=["ELSEWHERE"]),
        "INC-AGE-001: unknown sources ELSEWHERE",
    ),
    (
        "id outside the groups",
        lambda d: age_rule(d).update(id="XYZ-AGE-001"),
        "XYZ-AGE-001: id prefix XYZ is not a group",
    ),
    (
        "default profile that is not a profile",
        lambda d: d["ruleset"].update(default_profile="medium"),
        "default_profile medium is not among the profiles",
    ),
    (
        "misspelt key",
        lambda d: age_rule(d).update(treshold=[1, 2]),
        "rule INC-AGE-001.treshold",
    ),
    (
        "inclusion rule that blocks a procedure",
        lambda d: age_rule(d).update(effect="block_procedure"),
        "INC-AGE-001: effect block_procedure is not for INC- rules, which exclude or flag; "
        "block_procedure belongs to LP- rules",
    ),
    (
        "exclusion rule that blocks a release under one profile",
        lambda d: d["rules"][1].update(effect={"strict": "exclude", "loose": "block_release"}),
        "EXC-IMM-001: effect block_release (profile loose) is not for EXC- rules",
    ),
    (
        "procedure rule that excludes",
        lambda d: age_rule(d).update(id="LP-AGE-001"),
        "LP-AGE-001: effect exclude is not for LP- rules, which block_procedure or flag; "
        "exclude belongs to INC-, EXC- rules",
    ),
    (
        "release rule that blocks a procedure",
        lambda d: age_rule(d).update(id="REL-AGE-001", effect="block_procedure"),
        "REL-AGE-001: effect block_procedure is not for REL- rules, which block_release or flag",
    ),
    (
        "rule id longer than 32 characters",
        lambda d: age_rule(d).update(id="INC-" + "A" * 26 + "-001"),
        "rule INC-" + "A" * 26 + "-001.id: at most 32 characters (it has 34)",
    ),
    (
        "profile name longer than 64 characters",
        lambda d: rename_loose(d, "l" * 65),
        "ruleset.profiles." + "l" * 65 + ".[key]: at most 64 characters (it has 65)",
    ),
    (
        "rule set id longer than 64 characters",
        lambda d: d["ruleset"].update(id="s" * 65),
        "ruleset.id: at most 64 characters (it has 65)",
    ),
    (
        "version longer than 40 characters",
        lambda d: d["ruleset"].update(version="1." + "0" * 39),
        "ruleset.version: at most 40 characters (it has 41)",
    ),
]


@pytest.mark.parametrize(
    ("change", "reason"), [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES]
)
def test_it_refuses_a_broken_rule_file(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    path = write(tmp_path, change)
    with pytest.raises(InvalidInput) as caught:
        load_ruleset(path)
    assert str(path) in str(caught.value)
    assert reason in str(caught.value)


def test_names_at_the_column_limits_are_accepted(tmp_path: Path) -> None:
    def longest(d: dict[str, Any]) -> None:
        rename_loose(d, "l" * 64)
        d["ruleset"].update(id="s" * 64, version="1" * 40)
        age_rule(d).update(id="INC-" + "A" * 24 + "-001")

    ruleset = load_ruleset(write(tmp_path, longest))
    assert ruleset.profiles == ("strict", "l" * 64)
    assert len(ruleset.rules[0].id) == 32


def test_it_reports_every_failing_rule_at_once(tmp_path: Path) -> None:
    def two_broken_rules(d: dict[str, Any]) -> None:
        age_rule(d).update(operator="roughly")
        d["rules"][1].update(effect="block_procedure")

    path = write(tmp_path, two_broken_rules)
    with pytest.raises(InvalidInput) as caught:
        load_ruleset(path)
    assert [(f.field, f.message.split(":")[0]) for f in caught.value.fields] == [
        (str(path), "rule INC-AGE-001"),
        (str(path), "rule EXC-IMM-001"),
    ]
    assert "unknown operator 'roughly'" in caught.value.fields[0].message
    assert "block_procedure is not for EXC- rules" in caught.value.fields[1].message


def test_it_reports_every_schema_error_at_once(tmp_path: Path) -> None:
    def three_schema_errors(d: dict[str, Any]) -> None:
        age_rule(d).update(treshold=[1, 2])
        d["rules"][1].update(verification="heard")
        d["ruleset"].update(version="")

    path = write(tmp_path, three_schema_errors)
    with pytest.raises(InvalidInput) as caught:
        load_ruleset(path)
    where = [f.message.split(":")[0] for f in caught.value.fields]
    assert "ruleset.version" in where
    assert "rule INC-AGE-001.treshold" in where
    assert any(w.startswith("rule EXC-IMM-001.verification") for w in where)
    assert str(path) in str(caught.value)


def test_it_accepts_an_explicit_null_threshold_as_review(tmp_path: Path) -> None:
    loose_unknown = {"strict": [18, 60], "loose": None}
    ruleset = load_ruleset(write(tmp_path, lambda d: age_rule(d).update(threshold=loose_unknown)))
    data = read_observations(ruleset, {"patient.age_years": 40, "hx.autoimmune_disease": False})
    result = screen(ruleset, data, as_of=AS_OF, profile="loose")
    assert result.criteria[0].result is Result.REVIEW
    assert result.verdict == "needs_review"


def test_it_refuses_a_file_that_is_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("ruleset: [unclosed", encoding="utf-8")
    with pytest.raises(InvalidInput, match="cannot be read as YAML"):
        load_ruleset(path)


def test_the_builtin_rule_set_is_the_48_rule_draft_plus_the_seeds_adverse_reaction_rule() -> None:
    ruleset = builtin_ruleset()
    assert len(ruleset.rules) == 49
    assert "EXC-CELL-002" in {rule.id for rule in ruleset.rules}
    assert ruleset.ruleset.id == "msc-als-program"
    assert "draft" in ruleset.ruleset.version
    assert ruleset.profiles == ("nurown_p3_like", "alsummit_like", "brazil_it_msc_like")
