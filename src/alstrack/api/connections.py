"""Keep-alive connections end after a number of requests, so that processes share the clients.

With several server processes (`alstrack serve --workers`), each connection stays with the
process that accepted it. Clients that connect at the same moment (a proxy's pool, a script's
threads) are accepted by whichever process wakes first, which often takes most of them: with
8 such clients and 2 processes, splits of 6 and 2 were seen, the busier process answering at
about three times the delay of the other. :class:`RotateConnections` answers the last of every
``limit`` requests on a connection with ``Connection: close``, as nginx's ``keepalive_requests``
does; the client reconnects (HTTP/1.1 clients do), and the new connection is accepted by a
process free at that moment, so the clients spread over the processes as they go.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Connections whose counts are kept, the least recently used forgotten first (a forgotten
# connection starts counting again: nothing but the moment of its closing depends on it).
TRACKED = 4096
_CLOSE = (b"connection", b"close")


class RotateConnections:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.counts: OrderedDict[Any, int] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or client is None or self.limit <= 0:
            await self.app(scope, receive, send)
            return
        key = (tuple(client), tuple(scope.get("server") or ()))
        served = self.counts.pop(key, 0) + 1
        if served < self.limit:
            self.counts[key] = served
            if len(self.counts) > TRACKED:
                self.counts.popitem(last=False)
            await self.app(scope, receive, send)
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != b"connection"]
                message = {**message, "headers": [*headers, _CLOSE]}
            await send(message)

        await self.app(scope, receive, send_closing)
