"""What the research export tests share: the command line pointed at the clinic's database,
and the exported folders read back."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.store.models import AuditEntry, PatientIdentity, User

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


@contextmanager
def cli_on(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The commands read this database; one message a line (Rich wraps at 80)."""
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", db_url)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()


def table(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def cells(folder: Path) -> Iterator[tuple[str, str]]:
    """Every cell of every CSV file in the folder, headers included, and every line of its
    other files, with the file's name."""
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        with path.open(newline="", encoding="utf-8") as handle:
            if path.suffix != ".csv":
                yield from ((path.name, line) for line in handle.read().splitlines())
                continue
            for row in csv.reader(handle):
                for value in row:
                    yield path.name, value


def export_entries(db: Any) -> list[AuditEntry]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
            ).all()
        )


# ISO dates, and day/month/year in any order with / . or - between.
DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")


def identifiers(db: Any) -> set[str]:
    """Every identifier the registry holds: names, birth dates, record numbers, and the staff's
    names (who rated a visit)."""
    with db.read() as session:
        found: set[str] = set()
        for i in session.scalars(select(PatientIdentity)):
            found |= {i.given_name, i.family_name, i.date_of_birth.isoformat()}
            found |= {i.date_of_birth.strftime("%d/%m/%Y"), i.date_of_birth.strftime("%m/%d/%Y")}
            if i.record_number:
                found.add(i.record_number)
        for name in session.scalars(select(User.display_name)):
            found.add(name)
    return {f for f in found if f}


def leaks(folder: Path, identifiers: set[str]) -> list[tuple[str, str]]:
    words = [re.compile(rf"\b{re.escape(i)}\b", re.IGNORECASE) for i in identifiers]
    return [
        (file, value)
        for file, value in cells(folder)
        if DATE.search(value) or any(w.search(value) for w in words)
    ]
