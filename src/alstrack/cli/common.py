"""What every command shares: the database from settings, and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from typer._click.globals import get_current_context

from alstrack.config import Settings
from alstrack.errors import AlstrackError, FieldError, InvalidInput
from alstrack.store.db import Database
from alstrack.store.migrate import current_revision, head_revision

console = Console()
err_console = Console(stderr=True)


def database(*, migrated: bool = True) -> Database:
    """The database from settings; with ``migrated``, exit with advice unless its schema is current.

    A missing SQLite file is not created here: only `alstrack db upgrade` creates the database.
    """
    settings = Settings()
    url = settings.url
    if migrated:
        where = url.split("///", 1)[1] if url.startswith("sqlite") and "///" in url else None
        if where and where != ":memory:" and not Path(where).exists():
            err_console.print(
                f"No alstrack database at {where}: run `alstrack db upgrade` to create one, or "
                "set ALSTRACK_DATA_DIR (or ALSTRACK_DATABASE_URL) to where it is."
            )
            raise typer.Exit(1)
    db = Database(url)
    # The command's connections close when it ends, not whenever the garbage collector gets to
    # them: a process that runs commands in-process (a script, a test run) would otherwise leave
    # PostgreSQL connections open (ResourceWarning: unclosed connection).
    # Typer (0.2x) runs on its own copy of click: the real click's context is never set.
    command = get_current_context(silent=True)
    if command is not None:
        command.call_on_close(db.dispose)
    if migrated and current_revision(db) != head_revision(db):
        err_console.print("The database schema is not current: run `alstrack db upgrade` first.")
        raise typer.Exit(1)
    return db


@contextmanager
def user_errors() -> Iterator[None]:
    """Print an alstrack error as one clear line on stderr and exit 1."""
    try:
        yield
    except ValidationError as exc:
        fields = [
            FieldError(".".join(str(p) for p in e["loc"]) or "input", e["msg"])
            for e in exc.errors()
        ]
        error = InvalidInput("Invalid input", fields)
        err_console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from None
    except AlstrackError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
