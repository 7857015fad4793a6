"""A program installs its own rule file, with a profile of its own, and screenings use it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from alstrack.domain.eligibility import Result, read_observations, screen
from alstrack.services import rulesets
from alstrack.store.models import AuditEntry, RuleSetVersion

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def test_an_installed_file_becomes_the_version_screenings_use(
    clinic: Any, northgate_file: Path
) -> None:
    with clinic.db.transaction() as session:
        shipped = rulesets.active_ruleset(session)
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    assert (installed.ruleset_id, installed.version) == ("msc-als-program", "0.2.0-northgate.1")
    assert installed.origin == str(northgate_file.resolve())
    assert installed.active
    assert installed.profiles == [
        "nurown_p3_like",
        "alsummit_like",
        "brazil_it_msc_like",
        "northgate",
    ]
    with clinic.db.transaction() as session:
        active = rulesets.active_ruleset(session)
    assert active.version_id == installed.id != shipped.version_id
    assert active.ruleset.ruleset.version == "0.2.0-northgate.1"


def test_its_own_profile_flags_prior_cell_therapy_where_the_shipped_ones_exclude(
    clinic: Any, northgate_file: Path
) -> None:
    rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    with clinic.db.transaction() as session:
        ruleset = rulesets.active_ruleset(session).ruleset
    treated_before = read_observations(
        ruleset,
        {
            "hx.prior_cell_or_stem_cell_therapy": True,
            "hx.prior_cell_therapy_adverse_reaction": False,
        },
    )
    # A failed flag goes to a physician's review instead of excluding.
    for profile, effect, outcome in (
        ("nurown_p3_like", "exclude", Result.FAIL),
        ("northgate", "flag", Result.REVIEW),
    ):
        result = screen(ruleset, treated_before, as_of=AS_OF, profile=profile)
        criteria = {c.id: c for c in result.criteria}
        cell = criteria["EXC-CELL-001"]
        assert (cell.effect, cell.result) == (effect, outcome)
        # The seed's contraindication still holds: no adverse reaction, so it passes.
        assert criteria["EXC-CELL-002"].result is Result.PASS


def test_the_file_is_stored_verbatim_under_the_sha256_of_its_bytes(
    clinic: Any, northgate_file: Path
) -> None:
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    assert installed.sha256 == hashlib.sha256(northgate_file.read_bytes()).hexdigest()
    with clinic.db.read() as session:
        row = session.get_one(RuleSetVersion, installed.id)
    assert row.content == northgate_file.read_text(encoding="utf-8")
    assert row.accepted_at.utcoffset() is not None


def test_the_installation_is_audited_with_who_and_what(clinic: Any, northgate_file: Path) -> None:
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    with clinic.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "rule_set_version")
        ).one()
    assert (entry.action, entry.username, entry.entity_id) == ("install", "adam", str(installed.id))
    assert entry.new == {
        "ruleset_id": "msc-als-program",
        "version": "0.2.0-northgate.1",
        "sha256": installed.sha256,
        "origin": installed.origin,
        "profiles": installed.profiles,
    }
