"""The adjunct-therapy catalogue in force: the shipped one, plus the programme's own entries
when ``ALSTRACK_ADJUNCT_THERAPIES`` names a file of them (domain/adjuncts.py)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alstrack.config import get_settings
from alstrack.domain.adjuncts import load_own_catalogue, with_own
from alstrack.domain.plans import AdjunctCatalogue, adjunct_therapies

__all__ = ["adjunct_catalogue"]


def adjunct_catalogue() -> AdjunctCatalogue:
    """The catalogue plans and sessions are checked against; InvalidInput names a bad file."""
    return _merged(get_settings().adjunct_therapies)


@cache
def _merged(own_file: Path | None) -> AdjunctCatalogue:
    if own_file is None:
        return adjunct_therapies()
    return with_own(adjunct_therapies(), load_own_catalogue(own_file))
