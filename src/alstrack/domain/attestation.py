"""The text each user certifies before they sign anything (21 CFR 11.100(c)).

It lives as data (domain/data/signatures/attestation.yaml): its version, its source and the
text. An attestation stores the version and the SHA-256 of the text it certified.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from alstrack.domain.datafiles import parse_model, read_text

__all__ = ["AttestationText", "attestation_text", "load_attestation_text"]


class AttestationText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: Annotated[str, Field(min_length=1, max_length=40)]
    source: Annotated[str, Field(min_length=1)]
    text: Annotated[str, Field(min_length=1)]

    @property
    def sha256(self) -> str:
        """SHA-256 of the text (UTF-8), as an attestation stores it."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def load_attestation_text(path: Path | Traversable) -> AttestationText:
    """Read and check an attestation file; InvalidInput names the file and what is wrong."""
    return parse_model(read_text(path), str(path), AttestationText, holds="version, source, text")


@cache
def attestation_text() -> AttestationText:
    """The shipped text (frozen)."""
    path = files("alstrack.domain").joinpath("data", "signatures", "attestation.yaml")
    return load_attestation_text(path)
