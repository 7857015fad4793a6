"""Keep identifiers and secrets out of the logs, whoever configures the logging.

The API's paths name records by pseudonymous id, DIN or username, and secrets travel in headers
and bodies, which nothing logs. Three loggers could still write a patient's identifiers, a
password or a token, and :func:`install` puts :class:`KeepIdentifiersOut` on each of them (a
logger's own filter holds whatever handlers an operator configures):

- ``uvicorn.access`` prints each request line with its query string: a client that puts
  ``?family_name=…`` or ``?token=…`` in a URL (the API reads no such parameter) would have it
  written. The filter puts ``[query not logged]`` in the query string's place: the line keeps
  the method, the path and the status.
- ``sqlalchemy.engine.Engine``, when someone turns SQL logging on (``echo``, or the logger at INFO
  or DEBUG), writes each statement's parameters and, at DEBUG, every row read. The filter keeps the
  statements and replaces the values with ``[values not logged]``.
- ``uvicorn.error`` writes the traceback of a request that failed; a database error's message
  holds the statement's parameters, a validation error's (an answer that failed its own model,
  or pydantic's inside a service) the values it refused. The filter has SQLAlchemy hide the
  parameters (the statement stays) and writes a validation error as where and why it failed.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi.exceptions import ValidationException
from pydantic import ValidationError
from sqlalchemy.exc import StatementError

ACCESS = "uvicorn.access"
ERRORS = "uvicorn.error"
SQL = "sqlalchemy.engine.Engine"
NOT_LOGGED = "[values not logged]"
QUERY_NOT_LOGGED = "[query not logged]"


class KeepIdentifiersOut(logging.Filter):
    """Redact a log record of uvicorn or SQLAlchemy in place; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == ACCESS:
            _without_query_string(record)
        elif record.name.startswith(SQL) and record.args:
            # A statement is logged on its own, without arguments; what has arguments is its
            # parameters, the rows and columns read, or a count of them.
            record.msg, record.args = NOT_LOGGED, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            _redact_exception(record, record.exc_info[1])
        return True


def _without_query_string(record: logging.LogRecord) -> None:
    # uvicorn's access record: (client, method, path with query string, HTTP version, status).
    args = record.args
    if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
        path, mark, _query = args[2].partition("?")
        if mark:
            record.args = (args[0], args[1], f"{path}?{QUERY_NOT_LOGGED}", args[3], args[4])


def _redact_exception(record: logging.LogRecord, exc: BaseException) -> None:
    validation: list[ValidationError | ValidationException] = []
    for current in _chain(exc):
        if isinstance(current, StatementError):
            current.hide_parameters = True
        elif isinstance(current, ValidationError | ValidationException):
            validation.append(current)
    if not validation:
        return  # the formatter writes the traceback, the statements' parameters hidden
    # The traceback as logging.Formatter writes it, each validation error's text replaced.
    text = "".join(traceback.format_exception(exc)).removesuffix("\n")
    for error in validation:
        written = "".join(traceback.format_exception_only(error)).removesuffix("\n")
        text = text.replace(written, _where_and_why(error))
    record.exc_text = text


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception it was raised from or while handling."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending += [current.__cause__, current.__context__]
    return found


def _where_and_why(error: ValidationError | ValidationException) -> str:
    """A validation error as its fields and error types, without the values or messages."""
    errors: list[Any] = list(
        error.errors(include_input=False, include_url=False, include_context=False)
        if isinstance(error, ValidationError)
        else error.errors()
    )
    fields = ", ".join(
        f"{'.'.join(str(part) for part in item.get('loc', ()))} ({item.get('type', '?')})"
        for item in errors
    )
    kind = type(error)
    return f"{kind.__module__}.{kind.__qualname__}: {len(errors)} invalid: {fields} {NOT_LOGGED}"


def install() -> None:
    """Put the filter on the three loggers, once per process (calling again adds nothing)."""
    for name in (ACCESS, ERRORS, SQL):
        logger = logging.getLogger(name)
        if not any(isinstance(f, KeepIdentifiersOut) for f in logger.filters):
            logger.addFilter(KeepIdentifiersOut())
