"""What the trust tests share besides fixtures: the clock's start, Chen's password, a header."""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHENS_PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
