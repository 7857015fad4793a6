"""Fixtures of the safety tests: the clock on 20 Nov 2026, and adverse events of Pat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from safety_cast import HEADACHE, NOW

from alstrack.services import records
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventIn, AdverseEventOut


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def event(clinic: Any, pat: Any) -> Callable[..., AdverseEventOut]:
    """Record an adverse event of Pat (Nina unless told); keywords change the headache."""

    def made(by: str = "nina", **changes: Any) -> AdverseEventOut:
        data = AdverseEventIn(**(HEADACHE | changes))
        return records.add(clinic.db, clinic[by], ADVERSE_EVENT, pat.id, data)

    return made
