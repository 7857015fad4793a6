"""Fixtures of the rule-set tests: rule documents written to tmp_path, and fresh settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from rule_documents import Document, WriteRules, northgate_document

from alstrack.config import get_settings


@pytest.fixture
def write_rules(tmp_path: Path) -> WriteRules:
    """Write a rule document as YAML into tmp_path under a file name."""

    def write(document: Document, name: str) -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture
def northgate_file(write_rules: WriteRules) -> Path:
    return write_rules(northgate_document(), "northgate.yaml")


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings read anew by each test (a test may set ALSTRACK_RULESET)."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
