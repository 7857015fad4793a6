"""Reading an exported Bundle in the FHIR export tests: its codings and its references."""

from __future__ import annotations

from typing import Any


def codings(value: Any) -> list[tuple[str, str]]:
    """Every (system, code) of a Coding in ``value``."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if "code" in value and "system" in value:
            found.append((value["system"], str(value["code"])))
        for item in value.values():
            found += codings(item)
    elif isinstance(value, list):
        for item in value:
            found += codings(item)
    return found


def references(value: Any) -> list[str]:
    """Every Reference.reference in ``value``."""
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.append(value["reference"])
        for item in value.values():
            found += references(item)
    elif isinstance(value, list):
        for item in value:
            found += references(item)
    return found
