"""`alstrack user attest` certifies a user's signatures with their password, and `alstrack user
reset-mfa` removes a lost authenticator app; both audited, on the database of the settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.services import auth, users
from alstrack.services.users import UserIn
from alstrack.store.models import AuditEntry, SignatureAttestation, User
from signing_cast import PASSWORD

runner = CliRunner()


@pytest.fixture
def cli(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", clinic.db.url)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    yield clinic
    get_settings.cache_clear()


def _new_physician(clinic: Any) -> None:
    users.create_user(
        clinic.db,
        clinic.system,
        UserIn(username="rosa", display_name="Dr Rosa Ibáñez", role="physician", site_codes=[]),
    )
    auth.set_initial_password(clinic.db, clinic.system, "rosa", PASSWORD)


def test_attest_prints_the_text_and_certifies_it_signed_with_the_users_password(cli: Any) -> None:
    _new_physician(cli)
    result = runner.invoke(app, ["user", "attest", "rosa"], input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "legally binding" in result.output
    assert "Certified by rosa" in result.output
    with cli.db.read() as session:
        rows = list(session.scalars(select(SignatureAttestation)))
        rosa = session.scalars(select(User.id).where(User.username == "rosa")).one()
    assert any(r.user_id == rosa and r.signature_id is not None for r in rows)


def test_attest_with_a_wrong_password_certifies_nothing_and_says_so(cli: Any) -> None:
    _new_physician(cli)
    result = runner.invoke(app, ["user", "attest", "rosa", "--password", "not hers at all"])
    assert result.exit_code != 0
    assert "password is wrong" in result.output
    with cli.db.read() as session:
        rosa = session.scalars(select(User.id).where(User.username == "rosa")).one()
        mine = session.scalars(
            select(SignatureAttestation).where(SignatureAttestation.user_id == rosa)
        ).all()
    assert mine == []


def test_reset_mfa_removes_the_app_with_the_reason_in_the_audit_trail(cli: Any) -> None:
    result = runner.invoke(app, ["user", "reset-mfa", "chen", "--reason", "phone lost"])
    assert result.exit_code == 0, result.output
    with cli.db.read() as session:
        enrolled = session.scalars(
            select(User.totp_enrolled_at).where(User.username == "chen")
        ).one()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "mfa_reset")).one()
    assert enrolled is None
    assert entry.reason == "phone lost"


def test_reset_mfa_of_nobody_says_so(cli: Any) -> None:
    result = runner.invoke(app, ["user", "reset-mfa", "nobody", "--reason", "x"])
    assert result.exit_code != 0
    assert "No user 'nobody'" in result.output
