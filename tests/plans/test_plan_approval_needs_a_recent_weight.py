"""A plan is approved only on a weight at most 30 days old on the day of approval."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from alstrack.config import get_settings
from alstrack.errors import StepRefused
from alstrack.services import records
from alstrack.services.assessments import BODY_MEASUREMENT, BodyMeasurementIn

Step = Callable[..., Any]


def test_a_weight_30_days_old_is_recent_enough(draft: Step, approve: Step, clock: Any) -> None:
    plan = draft()
    clock.move_to(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))  # Maria weighed 64 kg on 29 October
    assert approve(plan).status == "approved"


def test_an_older_weight_stops_the_approval_saying_why_and_what_to_do(
    clinic: Any,
    maria: Any,
    draft: Step,
    revise: Step,
    approve: Step,
    clock: Any,
    stored: Callable[[], dict[str, int]],
) -> None:
    plan = draft(dose_basis="fixed", cells_per_kg=None, fixed_cells=1e8)  # K × weight needs it
    clock.move_to(datetime(2026, 11, 29, 9, 0, tzinfo=UTC))
    before = stored()
    with pytest.raises(StepRefused) as refused:
        approve(plan)
    assert refused.value.message == (
        f"Plan version number 1 of treatment plan {plan.id} cannot be approved: the weight it "
        "was computed from (2026-10-29) is 31 days old on 2026-11-29; at approval it may be at "
        "most 30 days old: weigh the patient and revise the plan."
    )
    assert stored() == before
    weight = BodyMeasurementIn(
        assessed_on=date(2026, 11, 29), assessed_by="Nina Okafor", weight_kg=63
    )
    records.add(clinic.db, clinic["nina"], BODY_MEASUREMENT, maria.patient_id, weight)
    approved = approve(revise(plan, reason="Weighed again before approval"))
    assert (approved.status, approved.versions[-1].endotoxin_limit_eu) == ("approved", 12.6)


def test_the_day_of_approval_is_the_clinics_day(
    draft: Step, approve: Step, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = draft()
    # 23:30 UTC on 28 November is already 29 November in Belgrade: 31 days after the weighing.
    clock.move_to(datetime(2026, 11, 28, 23, 30, tzinfo=UTC))
    monkeypatch.setenv("ALSTRACK_TIME_ZONE", "Europe/Belgrade")
    get_settings.cache_clear()
    try:
        with pytest.raises(StepRefused, match="31 days old on 2026-11-29"):
            approve(plan)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
