"""The shipped rule set is stored, and audited, by the first caller that acts (a screening);
reading which rule set is in use stores nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from rule_documents import shipped_document
from sqlalchemy import func, select

from alstrack.domain.eligibility import builtin_ruleset
from alstrack.services import rulesets
from alstrack.store.models import AuditEntry, RuleSetVersion


def _versions(clinic: Any) -> int:
    with clinic.db.read() as session:
        return session.scalar(select(func.count()).select_from(RuleSetVersion)) or 0


def _store_entries(clinic: Any) -> list[AuditEntry]:
    with clinic.db.read() as session:
        stmt = select(AuditEntry).where(
            AuditEntry.entity == "rule_set_version", AuditEntry.action == "store"
        )
        return list(session.scalars(stmt))


def test_a_read_returns_the_shipped_rule_set_without_storing_it(clinic: Any) -> None:
    with clinic.db.transaction() as session:
        active = rulesets.active_ruleset(session)
    assert (active.version_id, active.stored, active.accepted_at) == (None, False, None)
    assert (active.origin, active.validated) == ("builtin", False)
    assert active.ruleset == builtin_ruleset()
    assert _versions(clinic) == 0


def test_the_first_use_that_acts_stores_the_shipped_rule_set_once(clinic: Any) -> None:
    alice = clinic["alice"]
    with clinic.db.transaction() as session:
        first = rulesets.active_ruleset(session, store_as=alice)
        again = rulesets.active_ruleset(session, store_as=alice)
    with clinic.db.transaction() as session:
        later = rulesets.active_ruleset(session, store_as=alice)
        read = rulesets.active_ruleset(session)
    assert first.version_id is not None
    assert first.version_id == again.version_id == later.version_id == read.version_id
    assert _versions(clinic) == 1
    assert (first.origin, first.validated) == ("builtin", False)
    assert first.ruleset == builtin_ruleset()


def test_storing_it_is_audited_with_who_and_what(clinic: Any) -> None:
    with clinic.db.transaction() as session:
        active = rulesets.active_ruleset(session, store_as=clinic["alice"])
    [entry] = _store_entries(clinic)
    assert (entry.username, entry.entity_id) == ("alice", str(active.version_id))
    assert entry.new == {
        "ruleset_id": "msc-als-program",
        "version": builtin_ruleset().ruleset.version,
        "sha256": active.sha256,
        "origin": "builtin",
    }


def test_the_shipped_row_holds_the_shipped_file_verbatim(clinic: Any) -> None:
    with clinic.db.transaction() as session:
        version_id = rulesets.active_ruleset(session, store_as=clinic.system).version_id
    with clinic.db.read() as session:
        row = session.get_one(RuleSetVersion, version_id)
    assert row.content == rulesets.shipped_file().read_text(encoding="utf-8")
    assert (row.ruleset_id, row.version) == ("msc-als-program", builtin_ruleset().ruleset.version)


def test_it_stores_and_audits_nothing_when_the_callers_transaction_rolls_back(
    clinic: Any,
) -> None:
    def a_screening_that_fails() -> None:
        with clinic.db.transaction() as session:
            rulesets.active_ruleset(session, store_as=clinic["alice"])
            raise RuntimeError("the screening failed")

    with pytest.raises(RuntimeError):
        a_screening_that_fails()
    assert _versions(clinic) == 0
    assert _store_entries(clinic) == []


def test_two_first_screenings_at_once_store_it_once_with_one_audit_entry(clinic: Any) -> None:
    start = threading.Barrier(2)
    found: list[int | None] = []
    errors: list[BaseException] = []

    def screen_as(username: str) -> None:
        try:
            start.wait()
            with clinic.db.transaction() as session:
                found.append(rulesets.active_ruleset(session, store_as=clinic[username]).version_id)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=screen_as, args=(u,)) for u in ("alice", "sami")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(found) == 2
    assert found[0] == found[1] is not None
    assert _versions(clinic) == 1
    assert len(_store_entries(clinic)) == 1


def test_a_stored_version_is_read_back_from_its_text(clinic: Any) -> None:
    with clinic.db.transaction() as session:
        version_id = rulesets.active_ruleset(session, store_as=clinic.system).version_id
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
    with clinic.db.read() as session:
        read = rulesets.active_ruleset(session)
    assert read.version_id is None
    assert read.ruleset.ruleset.version == builtin_ruleset().ruleset.version
    with clinic.db.transaction() as session:
        active = rulesets.active_ruleset(session, store_as=clinic["alice"])
    assert active.version_id not in (None, earlier)
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
        assert rulesets.active_ruleset(session, store_as=clinic["alice"]).version_id == installed.id
    assert _versions(clinic) == 2
