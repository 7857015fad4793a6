"""Clinical data files (instruments, rule sets, plan catalogues): YAML read and checked one way.

Every loader refuses a broken file with InvalidInput naming the file and each problem, so a
program sees at once what to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from alstrack.errors import InvalidInput

__all__ = ["describe", "parse_model", "read_text"]

M = TypeVar("M", bound=BaseModel)


def read_text(path: Path | Traversable) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field(str(path), f"cannot be read as YAML: {exc}") from exc


def parse_model(
    text: str,
    where: str,
    schema: type[M],
    *,
    holds: str,
    explain: Callable[[ValidationError, dict[str, Any]], str] | None = None,
) -> M:
    """The YAML ``text`` checked against ``schema``; ``holds`` says what the mapping must hold."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput.for_field(where, f"cannot be read as YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInput.for_field(where, f"must hold a mapping with {holds}")
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        message = explain(exc, data) if explain else describe(exc)
        raise InvalidInput.for_field(where, message) from exc
    except InvalidInput as exc:
        # A schema's own check may compute with the file's values (the ENCALS model works its
        # example) and be refused as a caller's input would be: the fault is the file's.
        raise InvalidInput.for_field(where, str(exc)) from exc


def describe(exc: ValidationError, rename: Callable[[list[Any]], list[Any]] | None = None) -> str:
    """Each validation problem as "where: what", joined; ``rename`` may relabel a location."""
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        if rename is not None:
            loc = rename(loc)
        where = ".".join(str(part) for part in loc)
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
