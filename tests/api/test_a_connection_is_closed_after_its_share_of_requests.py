"""RotateConnections (api/connections.py) closes a keep-alive connection on its n-th answer."""

from __future__ import annotations

from typing import Any

import pytest

from alstrack.api.connections import TRACKED, RotateConnections


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _call(app: RotateConnections, client: tuple[str, int]) -> list[tuple[bytes, bytes]]:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "client": client, "server": ("127.0.0.1", 8000)}
    await app(scope, receive, send)
    assert sent[1]["body"] == b"ok"
    return list(sent[0]["headers"])


@pytest.mark.anyio
async def test_every_third_answer_on_a_connection_says_connection_close() -> None:
    app = RotateConnections(_answer, limit=3)
    one, other = ("10.0.0.1", 5000), ("10.0.0.1", 5001)
    closing = []
    for client in (one, one, other, one, one, one, one):
        closing.append((b"connection", b"close") in await _call(app, client))
    assert closing == [False, False, False, True, False, False, True]


@pytest.mark.anyio
async def test_the_answer_keeps_its_own_headers_and_says_close_once() -> None:
    app = RotateConnections(_answer, limit=1)
    headers = await _call(app, ("10.0.0.1", 5000))
    assert headers == [(b"x-a", b"1"), (b"connection", b"close")]


@pytest.mark.anyio
async def test_a_limit_of_zero_never_closes_and_counts_nothing() -> None:
    app = RotateConnections(_answer, limit=0)
    for _ in range(5):
        assert (b"connection", b"close") not in await _call(app, ("10.0.0.1", 5000))
    assert not app.counts


@pytest.mark.anyio
async def test_it_remembers_a_bounded_number_of_connections() -> None:
    app = RotateConnections(_answer, limit=10)
    for port in range(TRACKED + 50):
        await _call(app, ("10.0.0.1", port))
    assert len(app.counts) == TRACKED
