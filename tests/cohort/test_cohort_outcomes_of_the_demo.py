"""The demo clinic gives one patient a dose today: too few for the cohort model, and the report
says so, through the service and the API, instead of failing or guessing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient

from alstrack.api.app import create_app
from alstrack.config import Settings
from alstrack.errors import InvalidInput
from alstrack.services import demo, users
from alstrack.services.cohort_outcomes import cohort_outcomes

TODAY = date(2026, 11, 26)


def test_one_treated_demo_patient_is_too_few_and_the_report_says_why(
    db: Any, facility: str
) -> None:
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        loaded = demo.load_demo(db, users.system_actor(db), patients=60, seed=1, today=TODAY)
        with pytest.raises(InvalidInput) as refused:
            cohort_outcomes(db, users.system_actor(db))
        answer = TestClient(create_app(Settings(), db)).get(
            "/cohort/outcomes", headers={"Authorization": f"Bearer {loaded.tokens['olga']}"}
        )
    assert refused.value.message.startswith(
        "The cohort model cannot be fitted to the 1 treated patient with "
    )
    assert refused.value.message.endswith(
        f"on or before {TODAY}: a mixed model needs at least 2 patients; the data have 1"
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"] == refused.value.message
