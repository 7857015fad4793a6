"""The turnaround of an autologous product: days from collection to release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from alstrack.domain.products import Step, StepEvent, turnaround_days
from alstrack.errors import InvalidInput

COLLECTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_it_counts_the_days_from_collection_to_release() -> None:
    events = [
        StepEvent(Step.SCHEDULE_COLLECTION, COLLECTED - timedelta(days=7)),
        StepEvent(Step.COLLECT, COLLECTED),
        StepEvent(Step.START_QC, COLLECTED + timedelta(days=18)),
        StepEvent(Step.RELEASE, COLLECTED + timedelta(days=21, hours=12)),
        StepEvent(Step.ADMINISTER, COLLECTED + timedelta(days=30)),
    ]
    assert turnaround_days(events) == 21.5


def test_it_reads_times_in_any_time_zone() -> None:
    released = (COLLECTED + timedelta(days=14)).astimezone(timezone(timedelta(hours=-5)))
    events = [StepEvent(Step.COLLECT, COLLECTED), StepEvent(Step.RELEASE, released)]
    assert turnaround_days(events) == 14.0


def test_it_is_none_until_the_product_is_released() -> None:
    assert turnaround_days([StepEvent(Step.COLLECT, COLLECTED)]) is None
    assert turnaround_days([]) is None


def test_an_allogeneic_lot_has_no_collection_and_so_no_turnaround() -> None:
    events = [
        StepEvent(Step.MANUFACTURE, COLLECTED),
        StepEvent(Step.RELEASE, COLLECTED + timedelta(days=20)),
    ]
    assert turnaround_days(events) is None


def test_the_first_collection_and_release_count() -> None:
    events = [
        StepEvent(Step.COLLECT, COLLECTED),
        StepEvent(Step.RELEASE, COLLECTED + timedelta(days=10)),
        StepEvent(Step.RELEASE, COLLECTED + timedelta(days=12)),
    ]
    assert turnaround_days(events) == 10.0


def test_it_refuses_a_time_without_a_time_zone() -> None:
    with pytest.raises(InvalidInput, match=r"collect\.at: must be timezone-aware"):
        turnaround_days([StepEvent(Step.COLLECT, datetime(2026, 3, 2, 9, 0))])


def test_it_refuses_a_release_before_the_collection() -> None:
    events = [
        StepEvent(Step.COLLECT, COLLECTED),
        StepEvent(Step.RELEASE, COLLECTED - timedelta(days=1)),
    ]
    with pytest.raises(InvalidInput, match=r"release\.at: is before the collection"):
        turnaround_days(events)
