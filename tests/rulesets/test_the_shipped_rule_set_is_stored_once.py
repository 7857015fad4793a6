"""The shipped rule set is stored as a version row the first time it is used, and only then."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from rule_documents import shipped_document
from sqlalchemy import func, select

from alstrack.domain.eligibility import builtin_ruleset
from alstrack.services import rulesets
from alstrack.store.models import RuleSetVersion


def _versions(clinic: Any) -> int:
    with clinic.db.read() as session:
        return session.scalar(select(func.count()).select_from(RuleSetVersion)) or 0


def test_the_first_use_stores_the_shipped_rule_set_once(clinic: Any) -> None:
    assert _versions(clinic) == 0
    with clinic.db.transaction() as session:
        first = rulesets.active_ruleset(session)
        again = rulesets.active_ruleset(session)
    with clinic.db.transaction() as session:
        later = rulesets.active_ruleset(session)
    assert first.version_id == again.version_id == later.version_id
    assert _versions(clinic) == 1
    assert (first.origin, first.validated) == ("builtin", False)
    assert first.ruleset == builtin_ruleset()


def test_the_shipped_row_holds_the_shipped_file_verbatim(clinic: Any) -> None:
    with clinic.db.transaction() as session:
        version_id = rulesets.active_ruleset(session).version_id
    with clinic.db.read() as session:
        row = session.get_one(RuleSetVersion, version_id)
    assert row.content == rulesets.shipped_file().read_text(encoding="utf-8")
    assert (row.ruleset_id, row.version) == ("msc-als-program", builtin_ruleset().ruleset.version)


def test_it_stores_nothing_when_the_callers_transaction_rolls_back(clinic: Any) -> None:
    def a_screening_that_fails() -> None:
        with clinic.db.transaction() as session:
            rulesets.active_ruleset(session)
            raise RuntimeError("the screening failed")

    with pytest.raises(RuntimeError):
        a_screening_that_fails()
    assert _versions(clinic) == 0


def test_a_stored_version_is_read_back_from_its_text(clinic: Any) -> None:
    with clinic.db.transaction() as session:
        version_id = rulesets.active_ruleset(session).version_id
    rulesets._PARSED.clear()
    with clinic.db.read() as session:
        active = rulesets.active_ruleset(session)
    assert active.version_id == version_id
    assert active.ruleset == builtin_ruleset()


def _store_as_an_earlier_release_would(clinic: Any) -> int:
    """A shipped row of an earlier alstrack release (other content, origin builtin)."""
    with clinic.db.transaction() as session:
        row = RuleSetVersion(
            ruleset_id="msc-als-program",
            version="0.1.0-draft",
            sha256="0" * 64,
            origin=rulesets.BUILTIN,
            content=rulesets.shipped_file().read_text(encoding="utf-8"),
            accepted_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        session.add(row)
        session.flush()
        return row.id


def test_a_new_releases_shipped_rule_set_takes_over_from_the_one_an_earlier_release_stored(
    clinic: Any,
) -> None:
    earlier = _store_as_an_earlier_release_would(clinic)
    with clinic.db.transaction() as session:
        active = rulesets.active_ruleset(session)
    assert active.version_id != earlier
    assert active.ruleset.ruleset.version == builtin_ruleset().ruleset.version
    assert _versions(clinic) == 2


def test_a_programs_own_file_stays_in_force_over_a_new_shipped_release(
    clinic: Any, tmp_path: Path
) -> None:
    _store_as_an_earlier_release_would(clinic)
    document = shipped_document()
    document["ruleset"]["version"] = "northgate-1"
    path = tmp_path / "northgate.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], path)
    with clinic.db.transaction() as session:
        assert rulesets.active_ruleset(session).version_id == installed.id
