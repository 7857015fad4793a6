"""Optimistic concurrency: a write names the version it read, and loses with 409 if it is stale."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from alstrack.errors import Conflict


def update_versioned(
    session: Session,
    model: Any,
    where: ColumnElement[bool],
    expected_version: int,
    values: dict[str, Any],
    what: str,
) -> None:
    """Apply ``values`` only if the row is still at ``expected_version``; bump the version."""
    result = session.execute(
        update(model)
        .where(where, model.version == expected_version)
        .values(**values, version=model.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict(
            f"{what} changed since version {expected_version} was read; reload it and try again."
        )
