"""`alstrack backup` and `alstrack restore`: a round trip gives back every row and the same audit
head; a copy that does not check out, a file that would be overwritten and a database that would
lose data are refused, and leave everything as it was."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from alstrack.cli.main import app
from alstrack.services import audit_trail, backups, patients, records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.patients import IdentityIn, PatientIn, PatientOut
from alstrack.store.db import Database
from alstrack.store.migrate import upgrade
from alstrack.store.models import Base

runner = CliRunner()

MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}
Rows = dict[str, list[tuple[Any, ...]]]


def everything(database: Database) -> Rows:
    """Every row of every table, in primary key order, and the schema revision."""
    with database.connection() as conn:
        rows = {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in Base.metadata.sorted_tables
        }
        revision = conn.execute(text("SELECT version_num FROM alembic_version"))
        rows["alembic_version"] = [tuple(r) for r in revision]
    return rows


def refused(result: Result, *said: str) -> str:
    """The command exited 1 with one line on stderr, no traceback, saying each of ``said``."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), result.output
    for words in said:
        assert words in lines[0]
    return lines[0]


@pytest.fixture
def alstrack(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `alstrack ARGS…` on a server whose ALSTRACK_DATABASE_URL names ``database``."""

    def run(database: Database, *args: str | Path) -> Result:
        monkeypatch.setenv("ALSTRACK_DATABASE_URL", database.url)
        return runner.invoke(app, [str(a) for a in args])

    return run


@pytest.fixture
def fresh(db: Database, tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    """A second database of the same kind as ``db``, upgraded and empty: where a restore goes."""
    if db.dialect == "sqlite":
        path = tmp_path / "restored" / "alstrack.db"
        path.parent.mkdir()
        shutil.copy(sqlite_template, path)
        target = Database(f"sqlite:///{path}")
        yield target
        target.dispose()
        return
    name = f"alstrack_restored_{uuid.uuid4().hex[:8]}"
    admin = create_engine(db.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = Database(db.url.rsplit("/", 1)[0] + f"/{name}")
    upgrade(target)
    yield target
    target.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def followed(clinic: Any, pat: PatientOut, alsfrs: Any, consented: Any) -> PatientOut:
    """Pat, consented, with three ALSFRS-R visits entered by Dr Chen."""
    consented(pat.id)
    for day, speech in ((date(2024, 3, 4), 3), (date(2024, 6, 3), 2), (date(2024, 9, 2), 2)):
        form = alsfrs(day, q1=speech)
        records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, form)
    return pat


def register_sam(clinic: Any) -> PatientOut:
    identity = IdentityIn(
        given_name="Sam", family_name="Reyes", date_of_birth=date(1961, 7, 9), record_number="M-5"
    )
    return patients.register_patient(
        clinic.db,
        clinic["alice"],
        PatientIn(site_id=clinic.sites["NORTH"], sex="female", identity=identity),
    )


def test_a_backup_restored_into_an_empty_database_gives_every_row_and_the_same_audit_head(
    db: Database, followed: PatientOut, fresh: Database, alstrack: Any, tmp_path: Path
) -> None:
    before = everything(db)
    assert len(before["instrument_assessments"]) == 3
    head = audit_trail.verify(db)
    backup = tmp_path / "clinic.backup"

    written = alstrack(db, "backup", backup)

    assert written.exit_code == 0, written.output
    digest = re.search(r"sha256 ([0-9a-f]{64})", written.output)
    assert digest is not None
    assert f"Wrote {backup}: {backup.stat().st_size} bytes" in written.output
    assert f"Verified {head.verified} audit entries" in written.output
    assert f"head: {head.head_id} {head.head_hash}" in written.output

    restored = alstrack(fresh, "restore", backup, "--sha256", digest[1])

    assert restored.exit_code == 0, restored.output
    assert f"head: {head.head_id} {head.head_hash}" in restored.output
    assert everything(fresh) == before
    assert everything(db) == before  # neither command wrote an audit entry
    again = audit_trail.verify(fresh)
    assert again.intact
    assert (again.verified, again.head_hash) == (head.verified, head.head_hash)


def test_restore_refuses_a_database_that_holds_patients_and_changes_nothing(
    db: Database, clinic: Any, pat: PatientOut, alstrack: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "clinic.backup"
    assert alstrack(db, "backup", backup).exit_code == 0
    register_sam(clinic)
    now = everything(db)

    result = alstrack(db, "restore", backup)

    refused(result, "holds 2 patients and", "audit entries", "--force")
    assert everything(db) == now


def test_a_forced_restore_puts_the_backup_back_and_the_audit_log_stays_append_only(
    db: Database, clinic: Any, pat: PatientOut, alstrack: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "clinic.backup"
    assert alstrack(db, "backup", backup).exit_code == 0
    then = everything(db)
    register_sam(clinic)

    result = alstrack(db, "restore", backup, "--force")

    assert result.exit_code == 0, result.output
    db.dispose()  # connections from before the restore
    assert everything(db) == then
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = 'rewritten'"))
    register_sam(clinic)  # the clinic goes on: ids and the chain continue from the backup
    assert audit_trail.verify(db).intact


def test_backup_refuses_to_replace_a_file_unless_forced(
    db: Database, clinic: Any, alstrack: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "clinic.backup"
    backup.write_text("last week's backup")

    refused(alstrack(db, "backup", backup), "exists already", "--force")
    assert backup.read_text() == "last week's backup"

    assert alstrack(db, "backup", backup, "--force").exit_code == 0
    assert backup.read_bytes().startswith(MAGIC[db.dialect])


def test_a_backup_whose_copy_does_not_check_out_leaves_no_file(
    db: Database, clinic: Any, alstrack: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = "_copy_sqlite" if db.dialect == "sqlite" else "_dump_postgresql"
    write = getattr(backups, writer)

    def cut_short(database: Database, part: Path) -> Any:
        written = write(database, part)
        with part.open("r+b") as f:  # as a full disk would leave it
            f.truncate(part.stat().st_size // 2)
        return written

    monkeypatch.setattr(backups, writer, cut_short)
    folder = tmp_path / "backups"
    folder.mkdir()

    refused(alstrack(db, "backup", folder / "clinic.backup"), "The backup to")
    assert list(folder.iterdir()) == []


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "cut in half": lambda data: data[: len(data) // 2],
    "short of its last 100 bytes": lambda data: data[:-100],
    "not a backup at all": lambda _: b"alstrack backup, honest\n" * 200,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_backup_is_refused_even_forced_and_the_database_is_left_as_it_was(
    damage: str, db: Database, clinic: Any, pat: PatientOut, alstrack: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "clinic.backup"
    assert alstrack(db, "backup", backup).exit_code == 0
    backup.write_bytes(DAMAGE[damage](backup.read_bytes()))
    register_sam(clinic)
    now = everything(db)

    refused(alstrack(db, "restore", backup, "--force"))

    db.dispose()
    assert everything(db) == now
    assert audit_trail.verify(db).intact


def test_a_backup_changed_since_it_was_written_is_refused_when_its_sha256_is_given(
    db: Database, clinic: Any, fresh: Database, alstrack: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "clinic.backup"
    written = alstrack(db, "backup", backup).output
    digest = re.search(r"sha256 ([0-9a-f]{64})", written)
    assert digest is not None
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit: structure intact, a value changed
    backup.write_bytes(bytes(data))
    before = everything(fresh)

    refused(alstrack(fresh, "restore", backup, "--sha256", digest[1]), "not the file written")
    assert everything(fresh) == before


def test_a_backup_from_a_newer_alstrack_is_refused(
    db: Database, fresh: Database, alstrack: Any, tmp_path: Path
) -> None:
    with fresh.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    backup = tmp_path / "newer.backup"
    assert alstrack(fresh, "backup", backup).exit_code == 0
    before = everything(db)

    refused(alstrack(db, "restore", backup), "revision 9999, newer than this alstrack knows")
    assert everything(db) == before


def test_a_backup_of_a_database_of_the_other_kind_is_refused(
    db: Database, clinic: Any, alstrack: Any, tmp_path: Path
) -> None:
    backup = tmp_path / "other.backup"
    other = "postgresql" if db.dialect == "sqlite" else "sqlite"
    backup.write_bytes(MAGIC[other] + bytes(4096))

    refused(alstrack(db, "restore", backup), f"a backup of a {other} database")


# The triggers of migration 0012, lifted as someone holding the database could.
LIFT = {
    "sqlite": ("DROP TRIGGER audit_log_no_update", None),
    "postgresql": (
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete",
        "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_or_delete",
    ),
}


def test_a_tampered_trail_is_backed_up_as_evidence_named_and_not_restored_as_intact(
    db: Database, clinic: Any, fresh: Database, alstrack: Any, tmp_path: Path
) -> None:
    lift, put_back = LIFT[db.dialect]
    with db.engine.begin() as conn:
        conn.execute(text(lift))
        conn.execute(text("UPDATE audit_log SET reason = 'rewritten' WHERE id = 3"))
        if put_back:
            conn.execute(text(put_back))
    backup = tmp_path / "clinic.backup"
    before = everything(fresh)

    written = alstrack(db, "backup", backup)

    assert written.exit_code == 1
    assert "entry 3 was altered" in written.output
    assert backup.exists()
    restored = alstrack(fresh, "restore", backup)
    assert "entry 3 was altered" in refused(restored)
    if db.dialect == "sqlite":  # the file is checked before it is copied in
        assert everything(fresh) == before


def test_a_sqlite_backup_from_before_the_audit_chain_is_restored_and_asks_for_an_upgrade(
    alstrack: Any, tmp_path: Path
) -> None:
    old = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old, "0011")
    backup = tmp_path / "old.backup"
    written = alstrack(old, "backup", backup)
    assert written.exit_code == 0, written.output
    assert "before the audit chain: not verified" in written.output
    new = Database(f"sqlite:///{tmp_path / 'new' / 'alstrack.db'}")  # no file yet

    restored = alstrack(new, "restore", backup)

    assert restored.exit_code == 0, restored.output
    assert "run `alstrack db upgrade`" in restored.output
    upgrade(new)
    assert audit_trail.verify(new).intact
    old.dispose()
    new.dispose()
