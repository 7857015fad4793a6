"""`alstrack backup` and `alstrack restore`: a checked copy of the database; putting it back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from alstrack.cli.common import console, database, err_console, user_errors
from alstrack.errors import AlstrackError
from alstrack.services import backups
from alstrack.store.audit_chain import ChainReport

__all__ = ["backup_command", "restore_command"]


def backup_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Where to write the backup.")],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Write a checked backup of the database to FILE; safe while the server runs.

    SQLite: an online copy (SQLite's backup API), checked by PRAGMA integrity_check and the audit
    chain. PostgreSQL: pg_dump's custom format, read back whole by pg_restore. FILE appears only
    once its copy is checked. Prints its size and SHA-256, the audit entries and the audit head:
    keep them to compare later. Exit 1 on any failure, and when the audit chain is broken (the
    copy is kept then: it is the evidence). Nothing is written to the audit trail.
    """
    with _errors():
        db = database(migrated=False)
        try:
            copy = backups.back_up(db, file, force=force)
        finally:
            db.dispose()
    _print(f"Wrote {copy.path}: {copy.size} bytes, sha256 {copy.sha256}")
    _print(f"schema revision {copy.revision}")
    _report_chain(copy.entries, copy.chain)
    if copy.chain is not None and copy.chain.broken is not None:
        err_console.print(
            f"error: the audit chain in the copy, as in the database, is broken: "
            f"{copy.chain.broken.message} ({copy.chain.verified} entries verified before it). "
            "The copy is kept as evidence; `alstrack audit verify` checks the database.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


def restore_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A backup from alstrack backup.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a database that holds patients or audit entries."),
    ] = False,
    sha256: Annotated[
        str | None,
        typer.Option(
            metavar="HASH",
            help="The SHA-256 alstrack backup printed: refuse the file unless it still has it.",
        ),
    ] = None,
) -> None:
    """Restore a backup into the configured database; stop the server first.

    Refused, with the database unchanged, for a damaged file, one whose SHA-256 is not --sha256,
    a backup from a newer alstrack, or (without --force) a database that holds patients or audit
    entries. SQLite: the file is checked first, then copied in whole. PostgreSQL: pg_restore
    --clean in one transaction. Then the database restored is checked and its audit entries and
    head printed; exit 1 if its audit chain does not verify. Nothing is written to the audit
    trail.
    """
    with _errors():
        db = database(migrated=False)
        try:
            restored = backups.restore(db, file, force=force, sha256=sha256)
        finally:
            db.dispose()
    _print(f"Restored {restored.source} into {restored.database}")
    _print(f"schema revision {restored.revision}")
    _report_chain(restored.entries, restored.chain)
    if restored.newest is not None and restored.revision != restored.newest:
        _print(
            f"The backup's schema ({restored.revision}) is older than this alstrack's "
            f"({restored.newest}): run `alstrack db upgrade` before serving it."
        )


def _report_chain(entries: int, chain: ChainReport | None) -> None:
    if chain is None:
        _print(f"{entries} audit entries (a schema before the audit chain: not verified).")
    elif chain.broken is None:
        _print(f"Verified {chain.verified} audit entries: the chain is intact.")
        _print(f"head: {chain.head_id} {chain.head_hash}")


def _print(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def _errors() -> Iterator[None]:
    """Any failure as one line on stderr and exit 1: a scheduled job's log says why."""
    with user_errors():  # settings refused
        try:
            yield
        except AlstrackError as exc:
            err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
