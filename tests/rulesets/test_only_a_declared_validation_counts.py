"""A version counts as validated only when its file declares it (ruleset.validation), never
the shipped file and never by its name."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from rule_documents import Document, WriteRules, northgate_document, shipped_document

from alstrack.errors import InvalidInput
from alstrack.services import rulesets

VALIDATION = {"status": "validated", "by": "Dr Wei Chen and QA (Northgate)", "date": "2026-09-30"}


def declared(document: Document, validation: Any = VALIDATION) -> Document:
    document["ruleset"]["validation"] = validation
    return document


def test_a_version_without_a_declaration_is_a_draft_whatever_its_name(
    clinic: Any, write_rules: WriteRules
) -> None:
    installed = rulesets.install_ruleset(
        clinic.db, clinic["adam"], write_rules(northgate_document("1.0.0"), "plain.yaml")
    )
    assert (installed.validated, installed.validation) == (False, None)


def test_a_declared_validation_makes_it_validated_and_says_by_whom_and_when(
    clinic: Any, write_rules: WriteRules
) -> None:
    path = write_rules(declared(northgate_document("0.3.0-draft")), "validated.yaml")
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], path)
    assert installed.validated
    assert installed.validation is not None
    assert (installed.validation.by, installed.validation.date) == (
        "Dr Wei Chen and QA (Northgate)",
        date(2026, 9, 30),
    )
    described = rulesets.describe_active(clinic.db, clinic["chen"])
    assert described.validated
    assert described.validation == installed.validation
    [listed] = rulesets.list_versions(clinic.db, clinic["chen"])
    assert listed.validated


def test_the_shipped_file_is_never_validated(clinic: Any) -> None:
    assert not rulesets.describe_active(clinic.db, clinic["chen"]).validated
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], rulesets.shipped_file())
    assert not installed.validated
    ruleset = rulesets.check_file(rulesets.shipped_file())
    assert ruleset.ruleset.validation is None
    # Even were a release to declare it, the shipped content would not count.
    assert not rulesets.is_validated(ruleset, "builtin", "0" * 64)


@pytest.mark.parametrize(
    ("validation", "reason"),
    [
        (VALIDATION | {"status": "approved"}, "ruleset.validation.status: Input should be"),
        (VALIDATION | {"by": "  "}, "ruleset.validation.by: name who validated it"),
        (VALIDATION | {"date": "30/09/2026"}, "ruleset.validation.date: must be a date YYYY-MM-DD"),
        ({"status": "validated"}, "ruleset.validation.by: Field required"),
        ("yes", "ruleset.validation: Input should be a valid dictionary"),
    ],
)
def test_a_malformed_declaration_is_refused(
    write_rules: WriteRules, validation: Any, reason: str
) -> None:
    path = write_rules(declared(shipped_document(), validation), "claimed.yaml")
    with pytest.raises(InvalidInput) as refused:
        rulesets.check_file(path)
    assert reason in str(refused.value)


def _docs_yaml_after(heading: str) -> Document:
    docs = Path(__file__).parents[2] / "docs" / "rulesets.md"
    text = docs.read_text(encoding="utf-8").split(heading, 1)[1]
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    found: Document = yaml.safe_load(block)
    return found


def test_the_declaration_the_docs_show_is_accepted(write_rules: WriteRules) -> None:
    shown = _docs_yaml_after("## Validated or DRAFT")["ruleset"]
    document = northgate_document(shown["version"])
    document["ruleset"]["validation"] = shown["validation"]
    ruleset = rulesets.check_file(write_rules(document, "from-the-docs.yaml"))
    assert ruleset.ruleset.validation is not None


def test_the_docs_profile_example_declares_no_validation() -> None:
    shown = _docs_yaml_after("## Making your own profile")["ruleset"]
    assert "validation" not in shown
