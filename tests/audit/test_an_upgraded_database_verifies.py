"""Migration 0012 chains the entries a database already holds, in id order, so that an upgraded
database verifies and new entries follow the old ones; then the triggers hold."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from alstrack.services import audit_trail
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.migrate import upgrade
from alstrack.store.types import UTCDateTime, json_type

# audit_log as revision 0011 left it.
OLD_AUDIT_LOG = sa.table(
    "audit_log",
    *(sa.column(n, sa.Integer()) for n in ("id", "user_id", "patient_id", "site_id")),
    *(sa.column(n, sa.String()) for n in ("username", "action", "entity", "entity_id", "reason")),
    sa.column("at", UTCDateTime()),
    sa.column("old", json_type()),
    sa.column("new", json_type()),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def old(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:
    """A database at revision 0011, before the chain."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'old.db'}")
        upgrade(db, "0011")
        yield db
        db.dispose()
        return
    server = request.getfixturevalue("pg_url")  # skips the leg without a server
    name = f"alstrack_0011_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(server.rsplit("/", 1)[0] + f"/{name}")
    upgrade(db, "0011")
    yield db
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _entry(entry_id: int, minute: int, **values: object) -> dict[str, object]:
    return {
        "id": entry_id, "at": datetime(2024, 3, 1, 9, minute, 30, 250, tzinfo=UTC),
        "user_id": None, "username": "alice", "action": "create", "entity": "patient",
        "entity_id": str(entry_id), "patient_id": 1, "site_id": 1, "old": None,
        "new": {"sex": "male", "weight_kg": 70.1 + 0.2}, "reason": None,
    } | values  # fmt: skip


def test_the_entries_stored_before_are_chained_in_id_order_and_verify(old) -> None:
    # Id 3 and 4 are missing, as a PostgreSQL sequence leaves ids of rolled-back writes.
    stored = [
        _entry(1, 0),
        _entry(2, 1, action="update", old={"sex": None}, new={"sex": "male"}, reason="Typo"),
        _entry(5, 2, entity="patient_identity", new={"given_name": "Inès", "note": "50%"}),
    ]
    with old.engine.begin() as conn:
        conn.execute(sa.insert(OLD_AUDIT_LOG), stored)

    upgrade(old)

    report = audit_trail.verify(old)
    assert (report.intact, report.verified, report.head_id) == (True, 3, 5)
    viewed = audit.entry(
        at=datetime.now(UTC), user_id=None, username="adam", action="view", entity="patient",
        entity_id=1,
    )  # fmt: skip
    with old.transaction() as session:
        audit.record(session, [viewed])
    report = audit_trail.verify(old)
    assert (report.intact, report.verified, report.head_id) == (True, 4, 6)
    with pytest.raises(DBAPIError, match="append-only"), old.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = 'x' WHERE id = 1"))


def test_an_empty_trail_upgrades_to_an_empty_chain(old) -> None:
    upgrade(old)
    assert audit_trail.verify(old).verified == 0
