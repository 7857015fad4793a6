"""`alstrack db upgrade`, `alstrack demo`, `alstrack user create` and `alstrack token create`."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from alstrack.cli.main import app
from alstrack.services import auth, patients, users
from alstrack.store.db import Database
from alstrack.store.migrate import head_revision
from alstrack.store.models import BodyMeasurement

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ALSTRACK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ALSTRACK_DATABASE_URL", raising=False)
    return tmp_path


def test_db_upgrade_creates_the_sqlite_database_in_the_data_dir(data_dir: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "alstrack.db").exists()
    newest = head_revision(Database(f"sqlite:///{data_dir / 'alstrack.db'}"))
    assert newest is not None
    assert newest in runner.invoke(app, ["db", "current"]).output


def test_demo_refuses_to_run_before_the_schema_exists(data_dir: Path) -> None:
    result = runner.invoke(app, ["demo", "--patients", "2"])
    assert result.exit_code == 1
    assert "alstrack db upgrade" in result.output


def test_demo_loads_synthetic_patients_marked_synthetic_with_demo_tokens(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["demo", "--patients", "4", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output
    db = Database(f"sqlite:///{data_dir / 'alstrack.db'}")
    tokens = dict(
        line.split("\t")
        for line in (data_dir / "demo-tokens.txt").read_text().splitlines()
        if not line.startswith("#")
    )
    alice = users.authenticate(db, tokens["alice"])
    total, listed = patients.list_patients(db, alice)
    assert total == 4
    assert all(p.synthetic for p in listed)
    assert (data_dir / "demo-tokens.txt").stat().st_mode & 0o077 == 0


def _private(path: Path) -> dict[str, str]:
    assert path.stat().st_mode & 0o077 == 0
    lines = path.read_text().splitlines()
    return dict(line.split("\t") for line in lines if not line.startswith("#"))


def test_the_demo_staff_can_log_in_with_the_passwords_and_app_keys_the_demo_wrote(
    data_dir: Path,
) -> None:
    runner.invoke(app, ["db", "upgrade"])
    assert runner.invoke(app, ["demo", "--patients", "2", "--seed", "5"]).exit_code == 0
    passwords = _private(data_dir / "demo-passwords.txt")
    assert set(passwords) >= {"alice", "chen", "nina", "adam"}
    keys = _private(data_dir / "demo-mfa-keys.txt")
    assert {"chen", "nina", "adam"} <= set(keys)
    assert "alice" not in keys  # a coordinator signs nothing: the password alone
    db = Database(f"sqlite:///{data_dir / 'alstrack.db'}")
    code = pyotp.TOTP(keys["chen"]).now()
    login = auth.LoginIn(username="chen", password=passwords["chen"], totp_code=code)
    session = auth.login(db, login)
    assert auth.authenticate_session(db, session.token).username == "chen"
    alice = auth.login(db, auth.LoginIn(username="alice", password=passwords["alice"]))
    assert auth.authenticate_session(db, alice.token).scope == "full"
    db.dispose()


def test_demo_if_empty_leaves_a_database_with_patients_alone(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["demo", "--patients", "2"])
    again = runner.invoke(app, ["demo", "--patients", "2", "--if-empty"])
    assert again.exit_code == 0
    assert "no demo data loaded" in again.output
    refused = runner.invoke(app, ["demo", "--patients", "2"])
    assert refused.exit_code == 1


def test_a_user_created_on_the_command_line_can_use_a_token(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    created = runner.invoke(
        app, ["user", "create", "zoe", "--name", "Zoe Park", "--role", "auditor"]
    )
    assert created.exit_code == 0, created.output
    token = runner.invoke(app, ["token", "create", "zoe"]).output.strip()
    db = Database(f"sqlite:///{data_dir / 'alstrack.db'}")
    assert users.authenticate(db, token).role == "auditor"


def test_user_create_names_the_bad_field_and_what_is_allowed(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["user", "create", "zoe", "--name", "Zoe", "--role", "wizard"])
    assert result.exit_code == 1
    assert "role" in result.output
    assert "coordinator" in result.output


def test_every_demo_weighing_has_a_bmi(data_dir: Path) -> None:
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["demo", "--patients", "3"])
    db = Database(f"sqlite:///{data_dir / 'alstrack.db'}")
    with db.read() as session:
        missing = session.scalar(select(func.count()).where(BodyMeasurement.bmi.is_(None)))
    assert missing == 0


def test_a_command_run_where_there_is_no_database_says_how_to_make_one_and_creates_nothing(
    data_dir: Path,
) -> None:
    result = runner.invoke(app, ["rules", "list"])
    assert result.exit_code == 1
    assert "run `alstrack db upgrade`" in " ".join(result.output.split())  # wrapped to the terminal
    assert not (data_dir / "alstrack.db").exists()
