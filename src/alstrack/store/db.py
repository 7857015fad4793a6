"""The database handle: engine, SQLite pragmas, and one transaction per service call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# Registers the record lock's guard on every session (a locked record refuses every change).
from alstrack.store import record_locks  # noqa: F401


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin): the driver would otherwise begin only
    # at the first INSERT, after a service's checks had read the database outside the transaction.
    dbapi_connection.isolation_level = None


_WRITE = "alstrack_write"


def _sqlite_begin(connection: Any) -> None:
    # A service's transaction takes the write lock at BEGIN, so its checks ("no death recorded
    # yet", the next study number) and its writes are one step: concurrent writers wait their
    # turn (busy_timeout) instead of acting on what they read before the other committed.
    immediate = connection.get_execution_options().get(_WRITE, False)
    # Straight to the driver: this runs once per request, and the statement needs no processing.
    connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


def json_dumps(value: Any) -> str:
    # orjson: several times faster than json for the audit trail's many small documents.
    return orjson.dumps(value).decode()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, json_serializer=json_dumps
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, json_serializer=json_dumps
    )


class Database:
    """Owns the engine; services open one transaction each through :meth:`transaction`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            session.connection(execution_options={_WRITE: True})
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A Core connection for a read that needs no ORM session (rolled back on leaving)."""
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
