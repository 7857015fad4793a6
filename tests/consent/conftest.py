"""Fixtures of the consent tests: Maria from the screening tests' cast, and new document versions.

Maria consented on 2026-10-20 to the default template (version 1.0, in force from 2024-01-01),
was evaluated on 2026-10-29 and is screened as of 2026-11-01 (screening_cast.py). The clock
stands at NOW, so days up to 26 November 2026 are not in the future. Adam (admin) installs
documents.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from alstrack.services.consent_documents import DocumentOut, install_document, template_in
from alstrack.services.screenings import ScreeningIn, ScreeningOut, screen_patient

_SCREENING_TESTS = str(Path(__file__).resolve().parent.parent / "screening")
if _SCREENING_TESTS not in sys.path:
    sys.path.insert(0, _SCREENING_TESTS)
_cast = import_module("screening_cast")
maria = _cast.maria
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def version(clinic: Any) -> Callable[..., DocumentOut]:
    """Adam installs a new version of the consent document (the template's text unless told)."""

    def installed(name: str, effective_from: date, **fields: Any) -> DocumentOut:
        data = template_in(effective_from, document_version=name, **fields)
        return install_document(clinic.db, clinic["adam"], data)

    return installed


@pytest.fixture
def screen(clinic: Any) -> Callable[..., ScreeningOut]:
    """Screen a patient as of 09:00 UTC on a day (Alice)."""

    def screened(patient_id: int, on: date) -> ScreeningOut:
        as_of = datetime(on.year, on.month, on.day, 9, 0, tzinfo=UTC)
        return screen_patient(clinic.db, clinic["alice"], patient_id, ScreeningIn(as_of=as_of))

    return screened
