"""Backups of the database, each checked before it is trusted, and their restoration.

SQLite: an online copy through SQLite's backup API (a consistent snapshot while the server
writes), checked by ``PRAGMA integrity_check`` and the audit chain. PostgreSQL: ``pg_dump`` in
its custom format, taken in a snapshot the audit chain is verified in, checked by reading the
whole archive back with ``pg_restore``. A backup is written to a temporary file beside its path
and takes that name only once checked. Neither a backup nor a restore writes to the audit
trail: a restore gives back the data as it was backed up (docs/backup.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from alstrack.errors import AlstrackError, Conflict, NotFound
from alstrack.store.audit_chain import ChainReport, verify
from alstrack.store.db import Database
from alstrack.store.migrate import alembic_config, current_revision
from alstrack.store.models import AuditEntry, Patient

__all__ = ["Backup", "BackupFailed", "Restored", "back_up", "restore"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


@dataclass
class BackupFailed(AlstrackError):
    """A backup or restore that could not be made or did not check out."""

    code: str = "backup_failed"


@dataclass(frozen=True)
class Backup:
    """A backup file as written and checked: what an auditor compares later."""

    path: Path
    size: int
    sha256: str
    revision: str
    entries: int
    # The audit chain of the data in the file; None when its schema predates the chain (0012).
    chain: ChainReport | None


@dataclass(frozen=True)
class Restored:
    """A restored database as checked after the restore."""

    source: Path
    database: str  # its URL, without a password
    revision: str
    newest: str | None  # this alstrack's newest schema revision
    entries: int
    chain: ChainReport | None


# --- backing up ----------------------------------------------------------------------------------


def back_up(db: Database, path: Path, *, force: bool = False) -> Backup:
    """Write a checked copy of ``db`` to ``path``; an existing file is replaced only if ``force``.

    The copy is written beside ``path`` and renamed into place once checked: a failure leaves
    no file. A copy whose audit chain is broken is kept (it is the evidence) and says so in
    ``chain``; the caller reports it.
    """
    path = path.absolute()
    _may_write(path, force)
    if db.dialect == "sqlite":
        source = _sqlite_file(db.url)
        if not source.exists():
            raise NotFound(f"No alstrack database at {source}: nothing to back up.")
        if path.exists() and path.samefile(source):
            raise Conflict(f"{path} is the database itself: write the backup to another file.")
    failed = f"The backup to {path} failed, and left no file"
    with _failures(failed):
        part = _part_beside(path)
        try:
            if db.dialect == "sqlite":
                _copy_sqlite(db, part)
                revision, entries, chain = _check_sqlite_file(part, "the copy")
            else:
                revision, entries, chain = _dump_postgresql(db, part)
                _check_archive(part, "the copy")
            _may_write(path, force)  # nor a file that appeared meanwhile
            size, digest = part.stat().st_size, _sha256(part)
            os.replace(part, path)
        except BackupFailed as exc:
            _remove(part)
            said = exc.message[:1].lower() + exc.message[1:]
            raise BackupFailed(f"{failed}: {said}") from None
        except BaseException:
            _remove(part)
            raise
    return Backup(path, size, digest, revision, entries, chain)


def _remove(part: Path) -> None:
    # With what SQLite may have left beside a copy it did not finish.
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{part}{suffix}").unlink(missing_ok=True)


def _may_write(path: Path, force: bool) -> None:
    if not path.parent.is_dir():
        raise NotFound(f"No folder {path.parent} to write the backup in.")
    if path.is_dir():
        raise Conflict(f"{path} is a folder: name the backup file.")
    if path.exists() and not force:
        raise Conflict(f"{path} exists already: choose another file, or replace it (--force).")


def _part_beside(path: Path) -> Path:
    # Beside the target, so that the final rename stays on one file system; readable by its
    # owner only (mkstemp), as the backup holds patients' direct identifiers.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    return Path(name)


def _copy_sqlite(db: Database, part: Path) -> None:
    raw = db.engine.raw_connection()  # the server's pragmas: busy_timeout
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        with closing(sqlite3.connect(part)) as copy:
            # All pages in one step: a read transaction on the source, which in WAL mode
            # writers do not wait for; the copy is the database as of its start.
            source.backup(copy)
            # One self-contained file: no -wal beside it to lose in the rename.
            copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        raw.close()


def _dump_postgresql(db: Database, part: Path) -> tuple[str, int, ChainReport | None]:
    # pg_dump takes the snapshot this transaction exports, so the chain verified here is the
    # chain in the file: the count and head printed are those of the backup.
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            revision = _revision(conn)
            arguments, env = _libpq(db.url)
            dump = ["--format=custom", f"--snapshot={snapshot}", f"--file={part}", *arguments]
            _run("pg_dump", dump, env)
            entries, chain = _audit(conn)
    return revision, entries, chain


def _check_archive(path: Path, what: str) -> None:
    damaged = f"{what} is damaged or not a pg_dump archive"
    listing = _run("pg_restore", ["--list", str(path)], failing=damaged)
    if " TABLE DATA public audit_log " not in listing:
        raise BackupFailed(f"{what} is not an alstrack backup: it holds no audit trail.")
    # --list reads the table of contents only; reading every block back finds a truncated file.
    _run("pg_restore", [f"--file={os.devnull}", str(path)], failing=damaged)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# --- restoring -----------------------------------------------------------------------------------


def restore(
    db: Database, path: Path, *, force: bool = False, sha256: str | None = None
) -> Restored:
    """Restore the backup at ``path`` into ``db``, then check the database restored.

    Refused, with ``db`` unchanged, for a file that is damaged or not a backup of this kind of
    database, whose SHA-256 is not ``sha256`` (when given: the one printed when it was written),
    a backup of a newer schema than this alstrack knows, or (unless ``force``) a database that
    holds patients or audit entries. Nothing is written to the audit trail.
    """
    path = path.absolute()
    if not path.is_file():
        raise NotFound(f"No backup file at {path}.")
    with _failures(f"The restore of {path} failed"):
        # SQLite's integrity check finds damage to its structure, not a changed value.
        if sha256 is not None and (found := _sha256(path)) != sha256.strip().lower():
            raise BackupFailed(f"{path} is not the file written: its SHA-256 is {found}.")
        _expect_kind(path, db.dialect)
        if db.dialect == "sqlite":
            _restore_sqlite(db, path, force)
        else:
            _restore_postgresql(db, path, force)
        with db.connection() as conn:
            if db.dialect == "sqlite":
                _intact(conn, f"The database restored at {_sqlite_file(db.url)}")
            revision = _revision(conn)
            entries, chain = _audit(conn)
        if chain is not None and not chain.intact:
            assert chain.broken is not None
            raise BackupFailed(
                f"The backup was restored, but its audit chain does not verify: "
                f"{chain.broken.message}."
            )
        newest = ScriptDirectory.from_config(alembic_config(db)).get_current_head()
    shown = make_url(db.url).render_as_string(hide_password=True)
    return Restored(path, shown, revision, newest, entries, chain)


def _expect_kind(path: Path, dialect: str) -> None:
    with path.open("rb") as f:
        start = f.read(len(SQLITE_MAGIC))
    kinds = {"sqlite": SQLITE_MAGIC, "postgresql": PG_DUMP_MAGIC}
    if start.startswith(kinds[dialect]):
        return
    other = next((k for k, magic in kinds.items() if start.startswith(magic)), None)
    if other is not None:
        raise BackupFailed(f"{path} is a backup of a {other} database; this one is {dialect}.")
    raise BackupFailed(f"{path} is not an alstrack backup of a {dialect} database.")


def _restore_sqlite(db: Database, path: Path, force: bool) -> None:
    _, _, chain = _check_sqlite_file(path, str(path), lambda revision: _require_known(db, revision))
    if chain is not None and not chain.intact:
        assert chain.broken is not None
        raise BackupFailed(f"The backup's audit chain does not verify: {chain.broken.message}.")
    target = _sqlite_file(db.url)
    if target.exists():
        if path.samefile(target):
            raise Conflict(f"{path} is the database itself.")
        if not force:
            _require_empty(db)
    db.dispose()  # no pooled connection of ours left on the file being replaced
    with _read_only(path) as source, closing(sqlite3.connect(target, timeout=30)) as copy:
        source.backup(copy)
    db.dispose()


def _restore_postgresql(db: Database, path: Path, force: bool) -> None:
    _check_archive(path, str(path))
    revision = _archive_revision(path)
    _require_known(db, revision)
    if not force:
        _require_empty(db)
    here = current_revision(db)
    if here is not None and here != revision:
        # --clean drops what the backup holds: tables of another revision would stay behind.
        raise BackupFailed(
            f"The database is at schema revision {here} and the backup at {revision}: restore "
            "it into a new, empty database."
        )
    db.dispose()
    arguments, env = _libpq(db.url)
    # One transaction: a restore that fails part way leaves the database as it was.
    replace = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
    failing = "pg_restore failed, and changed nothing"
    _run("pg_restore", [*replace, *arguments, str(path)], env, failing)


def _archive_revision(path: Path) -> str:
    script = _run("pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(path)])
    lines = script.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("COPY ")), None)
    if start is None or start + 1 >= len(lines) or lines[start + 1] == "\\.":
        raise BackupFailed(f"{path} is not an alstrack backup: it holds no schema revision.")
    return lines[start + 1]


def _require_known(db: Database, revision: str) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(db))
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise BackupFailed(
            f"The backup is at schema revision {revision}, newer than this alstrack knows (its "
            f"newest is {scripts.get_current_head()}): restore it with the version that wrote it."
        ) from None


def _require_empty(db: Database) -> None:
    with db.connection() as conn:
        tables = set(inspect(conn).get_table_names())
        held = {
            what: conn.scalar(select(func.count()).select_from(model)) or 0
            for what, model in (("patients", Patient), ("audit entries", AuditEntry))
            if model.__tablename__ in tables
        }
    if any(held.values()):
        holds = " and ".join(f"{n} {what}" for what, n in held.items())
        raise Conflict(
            f"The database holds {holds}: a restore would replace them. Restore into an empty "
            "database, or replace it (--force)."
        )


# --- what both share -----------------------------------------------------------------------------


def _sqlite_file(url: str) -> Path:
    name = make_url(url).database
    if not name or name == ":memory:":
        raise BackupFailed(f"The database {url} is not a file.")
    return Path(name).absolute()


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """The SQLite file opened so that nothing can change it, nor be created beside it."""
    with closing(_open_ro(path)) as conn:
        yield conn


def _check_sqlite_file(
    path: Path, what: str, known: Callable[[str], None] | None = None
) -> tuple[str, int, ChainReport | None]:
    """Integrity, schema revision (``known`` may refuse it) and audit chain of a SQLite file,
    called ``what`` when it fails."""
    engine = create_engine("sqlite://", creator=lambda: _open_ro(path), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            _intact(conn, what)
            revision = _revision(conn)
            if known is not None:
                known(revision)
            entries, chain = _audit(conn)
    except DBAPIError as exc:
        raise BackupFailed(f"{what} is damaged or not a SQLite database: {exc.orig}") from None
    finally:
        engine.dispose()
    return revision, entries, chain


def _open_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)


def _intact(conn: Connection, what: str) -> None:
    found = "\n".join(str(row[0]) for row in conn.exec_driver_sql("PRAGMA integrity_check"))
    if found != "ok":
        # Rows may hold several lines, under headings such as "*** in database main ***".
        problems = [line for line in found.splitlines() if line and not line.startswith("***")]
        raise BackupFailed(f"{what} is damaged: {(problems or ['no detail'])[0]}")


def _revision(conn: Connection) -> str:
    revision = None
    if inspect(conn).has_table("alembic_version"):
        revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    if revision is None:
        raise BackupFailed("Not an alstrack database: it has no schema revision.")
    return str(revision)


def _audit(conn: Connection) -> tuple[int, ChainReport | None]:
    """How many audit entries, and the chain verified (None before migration 0012 made one)."""
    entries = conn.scalar(select(func.count()).select_from(AuditEntry.__table__)) or 0
    columns = {c["name"] for c in inspect(conn).get_columns(AuditEntry.__tablename__)}
    return entries, verify(conn) if "hash" in columns else None


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump's and pg_restore's connection arguments for a SQLAlchemy URL; the password goes
    in the environment, where other users' `ps` does not show it."""
    u = make_url(url)
    arguments = ["--no-password"]
    if u.host:
        arguments.append(f"--host={u.host}")
    if u.port:
        arguments.append(f"--port={u.port}")
    if u.username:
        arguments.append(f"--username={u.username}")
    # Query parameters (sslmode=…) are libpq's own: they join the database name as a conninfo.
    options = {"dbname": u.database or ""} | {
        k: v if isinstance(v, str) else v[-1] for k, v in u.query.items()
    }
    conninfo = " ".join(f"{k}='{_quoted(v)}'" for k, v in options.items())
    arguments.append(f"--dbname={conninfo}")
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return arguments, env


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _run(
    tool: str, arguments: list[str], env: dict[str, str] | None = None, failing: str = ""
) -> str:
    """The tool's output; on failure, BackupFailed with ``failing`` (or "TOOL failed") and the
    tool's own error."""
    binary = shutil.which(tool)
    if binary is None:
        raise BackupFailed(
            f"{tool} was not found: install the PostgreSQL client tools (the server's version "
            "or newer) on this machine's PATH."
        )
    # A list of arguments, no shell: nothing in them is interpreted.
    done = subprocess.run(  # noqa: S603
        [binary, *arguments],
        capture_output=True,
        encoding="utf-8",
        errors="replace",  # a damaged archive's bytes may appear in a message
        env=env,
        check=False,
    )
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        error = next((line for line in lines if "error:" in line), lines[0] if lines else "")
        said = error.removeprefix(f"{tool}: ").removeprefix("error: ") or "no message"
        raise BackupFailed(f"{failing or f'{tool} failed'}: {said}")
    return done.stdout


@contextmanager
def _failures(what: str) -> Iterator[None]:
    """A file or database that fails underneath as one BackupFailed, saying what failed."""
    try:
        yield
    except AlstrackError:
        raise
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise BackupFailed(f"{what}: {exc.strerror or exc}{where}") from None
    except (sqlite3.Error, SQLAlchemyError) as exc:
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        raise BackupFailed(f"{what}: {str(cause).splitlines()[0]}") from None
