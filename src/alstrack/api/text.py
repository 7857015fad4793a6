"""Every request's text must be storable: no NUL character, no unpaired surrogate, anywhere.

PostgreSQL refuses a NUL in text and JSON, and neither database encodes an unpaired surrogate;
SQLite would store the NUL. This check runs before every route (an app-wide dependency) and
refuses both the same way on either database, naming each field: path and query parameters and
every string, key included, of a JSON body.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request

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


async def refuse_unstorable_text(request: Request) -> None:
    """Refuse (422) a request with a NUL or an unpaired surrogate in any of its text."""
    bad = [name for name, value in request.path_params.items() if unstorable(str(value))]
    bad += [
        _printable(name)
        for name, value in request.query_params.multi_items()
        if unstorable(name) or unstorable(value)
    ]
    body = await request.body()
    if _SUSPECT.search(body):
        try:
            document = json.loads(body)
        except ValueError:
            document = None  # not JSON: the route refuses it for that
        bad += _bad_fields(document, "")
    if bad:
        raise InvalidInput(
            f"Invalid input: {', '.join(bad)} {MESSAGE}", [FieldError(f, MESSAGE) for f in bad]
        )
