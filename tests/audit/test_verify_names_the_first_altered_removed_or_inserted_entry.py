"""`alstrack audit verify` recomputes the chain and names the first entry an attacker with the
database altered, removed or inserted, on SQLite and PostgreSQL alike (AT-4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner, Result

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.store.audit_chain import canonical, link
from alstrack.store.models import AuditEntry

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_on_the_clinic(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", db.url)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def trail(clinic, pat, alsfrs, entries) -> list[AuditEntry]:
    """Pat's registration (3 entries) and four visits Dr Chen entered: the clinic's trail."""
    for day in (1, 2, 3, 4):
        form = alsfrs(date(2024, 3, day))
        records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, form)
    return entries()


def verify_command(*args: str) -> Result:
    return runner.invoke(app, ["audit", "verify", *args])


def test_an_intact_trail_verifies_printing_the_count_and_the_head(trail) -> None:
    result = verify_command()
    assert result.exit_code == 0, result.output
    head = trail[-1]
    assert result.stdout == (
        f"Verified {len(trail)} audit entries: the chain is intact.\nhead: {head.id} {head.hash}\n"
    )


ALTERATIONS = {
    "a reason added": "UPDATE audit_log SET reason = 'Entered late' WHERE id = :id",
    "someone else named": "UPDATE audit_log SET username = 'aude' WHERE id = :id",
    "the entity renamed": "UPDATE audit_log SET entity_id = '99' WHERE id = :id",
    "another patient": "UPDATE audit_log SET patient_id = 2 WHERE id = :id",
}


@pytest.mark.parametrize("alteration", ALTERATIONS)
def test_an_altered_entry_is_named(trail, tamper, verify, alteration) -> None:
    tamper(ALTERATIONS[alteration], {"id": 5})

    report = verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.entry_id, report.verified) == ("altered", 5, 4)
    result = verify_command()
    assert result.exit_code == 1
    assert "entry 5 was altered: its content does not match its hash" in result.stderr


def test_a_backdated_entry_is_named_altered(trail, tamper, verify) -> None:
    tamper("UPDATE audit_log SET at = :at WHERE id = 6", {"at": trail[5].at - timedelta(days=3)})
    report = verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.entry_id) == ("altered", 6)


def test_a_removed_entry_is_named_by_its_id_and_the_entry_after_it(trail, tamper, verify) -> None:
    tamper("DELETE FROM audit_log WHERE id = 4")

    report = verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.entry_id, report.verified) == ("removed", 5, 3)
    result = verify_command()
    assert result.exit_code == 1
    assert "the entry before entry 5 was removed (id 4)" in result.stderr


def test_a_removal_hidden_by_renumbering_is_still_found(trail, tamper, verify) -> None:
    tamper("DELETE FROM audit_log WHERE id = 4")
    _shift(tamper, after=4, by=-1)

    report = verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.entry_id) == ("removed", 4)
    assert "entry 4 does not follow the entry before it" in report.broken.message


def _shift(tamper, *, after: int, by: int) -> None:
    """Move the entries after id ``after`` by ``by`` (in two steps: ids are unique)."""
    tamper("UPDATE audit_log SET id = -id WHERE id > :after", {"after": after})
    tamper("UPDATE audit_log SET id = -id + :by WHERE id < 0", {"by": by})


def _forged(trail: list[AuditEntry], *, after: int, well_hashed: bool) -> dict[str, Any]:
    """An entry claiming Dr Chen voided the visit of entry 5, slipped in as entry after + 1."""
    model = trail[after - 1]
    forged = {
        "at": model.at + timedelta(seconds=1), "user_id": model.user_id,
        "username": model.username, "action": "void", "entity": "instrument_assessment",
        "entity_id": trail[4].entity_id, "patient_id": model.patient_id,
        "site_id": model.site_id, "old": {"status": "current"}, "new": {"status": "void"},
        "reason": "Entered in error", "id": after + 1, "prev_hash": model.hash,
    }  # fmt: skip
    # An attacker who knows the algorithm hashes it properly; a careless one does not.
    forged["hash"] = link(model.hash, canonical(forged)) if well_hashed else "f" * 64
    return forged


@pytest.mark.parametrize("well_hashed", [True, False], ids=["well hashed", "badly hashed"])
def test_an_inserted_entry_is_named(trail, tamper, verify, well_hashed) -> None:
    _shift(tamper, after=5, by=1)
    tamper(insert(AuditEntry).values(**_forged(trail, after=5, well_hashed=well_hashed)))
    forged_id = 6

    report = verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.entry_id, report.verified) == (
        "inserted",
        forged_id,
        5,
    )
    result = verify_command()
    assert result.exit_code == 1
    assert f"entry {forged_id} was inserted" in result.stderr


def test_the_first_of_several_breaks_is_the_one_named(trail, tamper, verify) -> None:
    tamper("UPDATE audit_log SET reason = 'x' WHERE id = 7")
    tamper("DELETE FROM audit_log WHERE id = 6")
    tamper("UPDATE audit_log SET reason = 'x' WHERE id = 3")
    report = verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.entry_id) == ("altered", 3)


def test_a_removed_tail_is_found_only_against_a_head_kept_elsewhere(
    trail, tamper, put_back, verify
) -> None:
    kept = trail[-1].hash
    tamper("DELETE FROM audit_log WHERE id = :id", {"id": trail[-1].id})
    put_back()  # the attacker covers their tracks

    assert verify().intact  # what is left is a whole chain
    report = verify(anchor=kept)
    assert (report.intact, report.anchor_found) == (False, False)
    result = verify_command("--head", kept)
    assert result.exit_code == 1
    assert f"the head given ({kept}) is not in the audit trail's chain" in result.stderr
    earlier = trail[2].hash
    assert verify_command("--head", earlier).exit_code == 0


def test_verify_fails_while_a_trigger_that_keeps_the_trail_append_only_is_lifted(
    trail, tamper, put_back, verify, db
) -> None:
    tamper(
        "SELECT 1"
    )  # lifts the triggers (SQLite: dropped; PostgreSQL: disabled), changes nothing
    report = verify()
    assert report.broken is None
    assert not report.intact
    state = "disabled" if db.dialect == "postgresql" else "missing"
    expected = {
        "postgresql": ("audit_log_no_update_or_delete", "audit_log_no_truncate"),
        "sqlite": ("audit_log_no_update", "audit_log_no_delete"),
    }[db.dialect]
    assert report.unprotected == tuple(f"trigger {name} is {state}" for name in expected)
    result = verify_command()
    assert result.exit_code == 1
    assert "no longer append-only" in result.stderr
    assert f"trigger {expected[0]} is {state}" in result.stderr
    put_back()
    assert verify_command().exit_code == 0
