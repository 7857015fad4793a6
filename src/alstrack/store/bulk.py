"""Bulk inserts for imports: one executemany per table, ids returned in row order.

SQLAlchemy's per-row parameter handling costs several times what SQLite itself spends on a
row, so on SQLite the rows go to the driver's executemany directly, each value passed through
its column type's own bind processor (the same conversion SQLAlchemy applies), and the ids are
read from the table afterwards. PostgreSQL uses SQLAlchemy's batched RETURNING.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts keyed by column name) and return their new ids in order."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(stmt, list(rows)))
    names = [c.name for c in table.columns if c.name != "id"]
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type._cached_bind_processor(dialect) for name in names
    ]
    plan = list(zip(names, processors, strict=True))
    params = [
        tuple(
            None if (v := row.get(name)) is None else proc(v) if proc else v for name, proc in plan
        )
        for row in rows
    ]
    # Names come from alstrack's own table metadata, never from input.
    columns, marks = ", ".join(names), ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608
    session.flush()
    connection = session.connection()
    connection.exec_driver_sql(sql, params)
    # From its first INSERT to commit this transaction holds SQLite's only write lock, and
    # SQLite gives each new row max(rowid) + 1 (rows are never deleted): the ids are known.
    last = connection.scalar(select(func.max(table.c.id)))
    assert last is not None
    return list(range(last - len(rows) + 1, last + 1))
