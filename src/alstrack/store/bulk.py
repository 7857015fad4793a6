"""Bulk inserts for imports: one executemany per table, ids returned in row order.

A batch is given by column: a list of values per column, or :class:`Same` for one value shared
by every row (the entry time, who entered the rows). SQLAlchemy's per-row parameter handling
costs several times what SQLite itself spends on a row, so on SQLite the rows go to the
driver's executemany directly as plain tuples, each value converted by its column type's own
bind processor (the conversion SQLAlchemy applies), values shared by the batch written into the
statement once, and the ids are read from the table afterwards. PostgreSQL uses SQLAlchemy's
batched RETURNING.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from sqlalchemy import Date, Dialect, String, Table, func, insert, select
from sqlalchemy.orm import Session

__all__ = ["Column", "Same", "insert_columns", "insert_rows", "rows_of"]


@dataclass(frozen=True)
class Same:
    """One value for every row of a batch."""

    value: Any


Column = Sequence[Any] | Same


def rows_of(columns: Mapping[str, Column], count: int) -> list[dict[str, Any]]:
    """The batch as one dict per row, keys in column order (for checks written per row)."""
    names = list(columns)
    values = [_spread(c, count) for c in columns.values()]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts keyed by column name) and return their new ids in order."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "sqlite":
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(stmt, list(rows)))
    names = [c.name for c in table.columns if c.name != "id"]
    return insert_columns(session, table, {n: [r.get(n) for r in rows] for n in names}, len(rows))


def insert_columns(
    session: Session, table: Table, columns: Mapping[str, Column], count: int
) -> list[int]:
    """Insert ``count`` rows given by column and return their new ids in order.

    A column of ``table`` left out is stored as NULL.
    """
    if count == 0:
        return []
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.scalars(stmt, rows_of(columns, count)))
    names = [c.name for c in table.columns if c.name != "id"]
    marks: list[str] = []
    varying: list[Iterable[Any]] = []
    for name in names:
        column = columns.get(name, Same(None))
        shared = _literal(table, name, column, dialect) if isinstance(column, Same) else None
        if shared is None:
            marks.append("?")
            varying.append(_stored(table, name, column, count, dialect))
        else:
            # The driver binds every value of every row anew, about 0.2 µs apiece (for an
            # assessment's 13 columns, a third of raw executemany's time): a value shared by
            # the whole batch is written into the statement once instead.
            marks.append(shared)
    params = list(zip(*varying, strict=True)) if varying else [()] * count
    # Names come from alstrack's own table metadata, never from input; shared values are
    # quoted by SQLAlchemy (_literal).
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(marks)})"  # noqa: S608
    session.flush()
    connection = session.connection()
    connection.exec_driver_sql(sql, params)
    # From its first INSERT to commit this transaction holds SQLite's only write lock, and
    # SQLite gives each new row max(rowid) + 1 (rows are never deleted): the ids are known.
    last = connection.scalar(select(func.max(table.c.id)))
    assert last is not None
    return list(range(last - count + 1, last + 1))


def _spread(column: Column, count: int) -> Iterable[Any]:
    return repeat(column.value, count) if isinstance(column, Same) else column


def _literal(table: Table, name: str, shared: Same, dialect: Dialect) -> str | None:
    """A value shared by a batch as SQL text, or None to bind it with each row instead.

    The value is first converted by its column's bind processor, so the statement stores what
    binding would (text stays text: SQLite's column affinity treats both alike); only NULL,
    integers and text are written out, text quoted by SQLAlchemy's own literal renderer.
    """
    processor = table.c[name].type._cached_bind_processor(dialect)
    value = shared.value if processor is None or shared.value is None else processor(shared.value)
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\x00" not in value:
        quote: Callable[[str], str] = String().literal_processor(dialect)  # type: ignore[no-untyped-call]
        return quote(value)
    return None


def _stored(table: Table, name: str, column: Column, count: int, dialect: Dialect) -> Iterable[Any]:
    """A column's values as the driver stores them (None stays NULL)."""
    processor: Callable[[Any], Any] | None = table.c[name].type._cached_bind_processor(dialect)
    if processor is None:
        return _spread(column, count)
    if isinstance(column, Same):
        return repeat(None if column.value is None else processor(column.value), count)
    if isinstance(table.c[name].type, Date):
        # An import's dates repeat (visit days, the day of entry): convert each one once.
        distinct = {v: None if v is None else processor(v) for v in set(column)}
        return map(distinct.__getitem__, column)
    return [None if v is None else processor(v) for v in column]
