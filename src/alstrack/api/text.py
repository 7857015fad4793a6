"""Every request's text must be storable: no NUL character, no unpaired surrogate, anywhere.

PostgreSQL refuses a NUL in text and JSON, and neither database encodes an unpaired surrogate;
SQLite would store the NUL. :class:`RefuseUnstorableText`, an ASGI middleware, checks each request
before any route and refuses both the same way on either database (422), naming each field: path
and query parameters and every string, key included, of a JSON body. It was a dependency of
every route first: as one, it cost a GET about a third of the timeline's server time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alstrack.api.errors import error_response
from alstrack.errors import FieldError, InvalidInput

MESSAGE = "must not contain a NUL character (\\u0000) or an unpaired surrogate"
# In JSON text these characters only ever arrive escaped: a body without the escapes is not parsed.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _printable(name: str) -> str:
    return json.dumps(name)[1:-1]  # a NUL or a surrogate in a key, escaped


def _bad_fields(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if unstorable(value):
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{_printable(key)}" if path else _printable(key)
            if unstorable(key):
                yield here
            yield from _bad_fields(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _bad_fields(item, f"{path}.{index}" if path else str(index))


# Methods whose requests carry no body to check.
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class RefuseUnstorableText:
    """Refuse (422) a request with a NUL or an unpaired surrogate in any of its text.

    Path and query parameters are percent-decoded with replacement of what is not UTF-8, so
    only a NUL (``%00``) can reach them: they are named one by one only when the raw path or
    query holds one. A body is read whole, checked, and handed on to the route unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bad: list[str] = []
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            bad += _bad_parameters(scope)
        if scope["method"] not in _BODILESS:
            body, receive = await _read_body(receive)
            if _SUSPECT.search(body):
                try:
                    document = json.loads(body)
                except ValueError:
                    document = None  # not JSON: the route refuses it for that
                bad += _bad_fields(document, "")
        if not bad:
            await self.app(scope, receive, send)
            return
        refusal = InvalidInput(
            f"Invalid input: {', '.join(bad)} {MESSAGE}", [FieldError(f, MESSAGE) for f in bad]
        )
        await error_response(refusal)(scope, receive, send)


def _bad_parameters(scope: Scope) -> list[str]:
    """The path parameters (named as the matching route names them) and query parameters
    holding a NUL."""
    bad: list[str] = []
    path = scope["path"]
    for pattern in _path_patterns(scope["app"]):
        found = pattern.fullmatch(path)
        if found is not None:
            bad += [name for name, value in found.groupdict().items() if unstorable(value)]
            break
    query = QueryParams(scope["query_string"])
    bad += [
        _printable(name)
        for name, value in query.multi_items()
        if unstorable(name) or unstorable(value)
    ]
    return bad


def _path_patterns(app: Any) -> list[re.Pattern[str]]:
    """The app's paths as OpenAPI gives them (``/products/{din}/bedside-checks``), as regular
    expressions that name their parameters; made once per app, when first needed."""
    patterns: list[re.Pattern[str]] | None = getattr(app.state, "path_patterns", None)
    if patterns is None:
        patterns = [_pattern(template) for template in app.openapi()["paths"]]
        app.state.path_patterns = patterns
    return patterns


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)(?::path)?\}", template)
    # re.split keeps the names at odd places; literal text at even places.
    text = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(text, re.DOTALL)


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a ``receive`` that gives it to the route as if unread."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: pass that on
            first: Message | None = message
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            first = None
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return first or {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
