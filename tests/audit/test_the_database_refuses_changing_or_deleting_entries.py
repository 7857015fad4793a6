"""The database itself keeps the audit trail append-only: its triggers refuse UPDATE and DELETE
to every role, the application's included (AT-4); PostgreSQL also refuses TRUNCATE."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from alstrack.services import sites
from alstrack.services.sites import SiteIn
from alstrack.store.models import AuditEntry

REFUSALS = {
    "changing an entry's reason": "UPDATE audit_log SET reason = 'tidied' WHERE id = 1",
    "changing who acted, everywhere": "UPDATE audit_log SET username = 'someone'",
    "deleting one entry": "DELETE FROM audit_log WHERE id = 1",
    "deleting every entry": "DELETE FROM audit_log",
}


def _count(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


@pytest.mark.parametrize("statement", REFUSALS)
def test_the_database_refuses(db, pat, statement) -> None:
    before = _count(db)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(REFUSALS[statement]))
    assert _count(db) == before
    with db.read() as session:
        assert session.scalar(select(AuditEntry.reason).where(AuditEntry.id == 1)) is None
        assert "someone" not in session.scalars(select(AuditEntry.username)).all()


def _tidy_reason(session) -> None:
    entry = session.get(AuditEntry, 1)
    entry.reason = "tidied"
    session.flush()


def _delete_first(session) -> None:
    session.delete(session.get(AuditEntry, 1))
    session.flush()


@pytest.mark.parametrize("change", [_tidy_reason, _delete_first], ids=["update", "delete"])
def test_the_refusal_holds_through_the_applications_own_session(db, pat, change) -> None:
    before = _count(db)
    with db.transaction() as session, pytest.raises(DBAPIError, match="append-only"):
        change(session)
    assert _count(db) == before


def test_postgresql_refuses_truncating_the_trail(db, pat) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite has no TRUNCATE: DELETE without WHERE is refused above")
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))
    assert _count(db) > 0


def test_appending_is_still_allowed(db, pat, clinic) -> None:
    before = _count(db)
    sites.create_site(db, clinic["adam"], SiteIn(code="EAST", name="Eastfield"))
    assert _count(db) == before + 1
