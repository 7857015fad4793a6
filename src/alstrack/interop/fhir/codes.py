"""The code systems and codes alstrack writes into FHIR, and the check that an export uses only
those: the fhir.resources models check structure, not coded values (interop.md).

The table is data (``domain/data/fhir/codes.yaml``), with each system's source and version.

>>> known = code_table()
>>> known.knows("http://snomed.info/sct", "86044005")
True
>>> unknown_codings({"code": {"coding": [{"system": "http://loinc.org", "code": "1-1"}]}})
["code.coding[0]: http://loinc.org has no code 1-1 in alstrack's table"]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alstrack.domain.datafiles import parse_model, read_text
from alstrack.errors import InvalidInput

__all__ = [
    "CodeSystem",
    "CodeTable",
    "code_table",
    "local",
    "require_known_codes",
    "unknown_codings",
]

_Text = Annotated[str, Field(min_length=1)]


class CodeSystem(BaseModel):
    """One code system: its canonical URL, where it comes from, and its codes (or a pattern)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: _Text
    name: _Text
    source: _Text
    version: _Text
    codes: dict[str, str] = Field(default_factory=dict)
    pattern: str | None = None

    @model_validator(mode="after")
    def _codes_or_pattern(self) -> Self:
        if bool(self.codes) == (self.pattern is not None):
            raise ValueError(f"{self.url} needs either codes or a pattern, not both or neither")
        return self

    def knows(self, code: str) -> bool:
        if self.pattern is not None:
            return re.fullmatch(self.pattern, code) is not None
        return code in self.codes


class CodeTable(BaseModel):
    """Every code system an export may use, by URL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: _Text
    local_base: _Text
    systems: tuple[CodeSystem, ...]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        urls = [s.url for s in self.systems]
        if twice := sorted({u for u in urls if urls.count(u) > 1}):
            raise ValueError(f"systems listed twice: {', '.join(twice)}")
        return self

    def system(self, url: str) -> CodeSystem | None:
        return next((s for s in self.systems if s.url == url), None)

    def knows(self, system: str, code: str) -> bool:
        found = self.system(system)
        return found is not None and found.knows(code)

    def display(self, system: str, code: str) -> str:
        """The display the table gives ``code``; KeyError for a code it does not know."""
        found = self.system(system)
        if found is None or code not in found.codes:
            raise KeyError(f"{system}|{code}")
        return found.codes[code]


@cache
def code_table() -> CodeTable:
    """The table shipped with alstrack (read once)."""
    path = files("alstrack.domain").joinpath("data", "fhir", "codes.yaml")
    return parse_model(read_text(path), str(path), CodeTable, holds="version, systems")


def local(name: str) -> str:
    """The canonical URL of one of alstrack's own code systems or resources."""
    return f"{code_table().local_base}/{name}"


def _codings(value: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Coding in a resource as JSON: a mapping with a "code" (and a "system", or not)."""
    if isinstance(value, dict):
        if "code" in value and ("system" in value or "display" in value):
            yield where, value
        for key, item in value.items():
            yield from _codings(item, f"{where}.{key}" if where else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _codings(item, f"{where}[{i}]")


def unknown_codings(resource: dict[str, Any], table: CodeTable | None = None) -> list[str]:
    """Where ``resource`` (FHIR JSON; a Bundle is walked whole) codes something alstrack's
    table does not know: an unknown system, a code the system does not have, or no system."""
    table = table or code_table()
    problems = []
    for where, coding in _codings(resource, ""):
        system, code = coding.get("system"), str(coding.get("code"))
        if system is None:
            problems.append(f"{where}: the coding of {code} names no system")
        elif table.system(system) is None:
            problems.append(f"{where}: {system} is not a code system in alstrack's table")
        elif not table.knows(system, code):
            problems.append(f"{where}: {system} has no code {code} in alstrack's table")
    return problems


def require_known_codes(resource: dict[str, Any], table: CodeTable | None = None) -> None:
    """Refuse a resource with a coding the table does not know, naming each."""
    if problems := unknown_codings(resource, table):
        raise InvalidInput(
            "The FHIR export uses codes alstrack does not know: " + "; ".join(problems)
        )
