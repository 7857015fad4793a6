"""What every command shares: the database from settings, and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console

from alstrack.config import Settings
from alstrack.errors import AlstrackError, FieldError, InvalidInput
from alstrack.store.db import Database

console = Console()
err_console = Console(stderr=True)


def database() -> Database:
    return Database(Settings().url)


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
