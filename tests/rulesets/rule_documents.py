"""Program rule documents: the shipped file, loaded and changed as a program would change it.

Northgate's own file is the shipped one plus a profile, ``northgate``, that follows
nurown_p3_like except that any prior cell therapy (EXC-CELL-001) is flagged for a physician
instead of excluding.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from alstrack.services import rulesets

Document = dict[str, Any]
# The write_rules fixture: a document and a file name in, the written file out.
WriteRules = Callable[[Document, str], Path]
LIKE = "nurown_p3_like"
# Fields of a rule that may hold one value per profile.
_BY_PROFILE = ("data_element", "operator", "threshold", "effect")


def shipped_document() -> Document:
    document: Document = yaml.safe_load(rulesets.shipped_file().read_text(encoding="utf-8"))
    return document


def rule(document: Document, rule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in document["rules"] if r["id"] == rule_id)
    return found


def add_profile(document: Document, name: str, like: str = LIKE) -> Document:
    """The document with a profile ``name`` that applies every rule as ``like`` does."""
    profiles = document["ruleset"]["profiles"]
    known = set(profiles)
    profiles[name] = {"description": f"Northgate's own profile, as {like} otherwise"}
    for r in document["rules"]:
        if like in (r.get("profiles") or ()):
            r["profiles"].append(name)
        for key in _BY_PROFILE:
            value = r.get(key)
            if isinstance(value, dict) and set(value) <= known and like in value:
                value[name] = copy.deepcopy(value[like])
    return document


def northgate_document(version: str = "0.2.0-northgate.1") -> Document:
    """The shipped file with Northgate's profile, under a version of its own."""
    document = add_profile(shipped_document(), "northgate")
    document["ruleset"]["version"] = version
    cell = rule(document, "EXC-CELL-001")
    cell["effect"] = {p: "exclude" for p in document["ruleset"]["profiles"]} | {"northgate": "flag"}
    return document
