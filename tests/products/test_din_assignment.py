"""DINs are numbered per facility and year from one counter, audited, and never name a patient."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from alstrack.config import get_settings
from alstrack.domain.isbt128 import new_din, parse_din
from alstrack.errors import InvalidInput, PermissionDenied, StepRefused
from alstrack.services.dins import assign_din, din_counter
from alstrack.store.models import AuditEntry, SequenceCounter


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings read anew by each test (a test may set ALSTRACK_FACILITY_ID)."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def facility(monkeypatch: pytest.MonkeyPatch) -> str:
    """The program's facility identification number, G1234 (the ST-001 example)."""
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")
    get_settings.cache_clear()  # the clinic's set-up may have read the settings already
    return "G1234"


def test_the_first_din_of_a_year_is_number_1_and_the_next_number_2(
    clinic: Any, facility: str
) -> None:
    first = assign_din(clinic.db, clinic["ben"], year=2026)
    second = assign_din(clinic.db, clinic["ben"], year=2026)
    assert (first.din, first.eye_readable) == ("G123426000001", "G1234 26 000001")
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.din == "G123426000002"
    assert (first.check_character, first.flag) == ("4", "64")
    assert str(parse_din(second.din + second.check_character)) == second.din


def test_each_year_has_its_own_sequence(clinic: Any, facility: str) -> None:
    assigned = [assign_din(clinic.db, clinic.system, year=y).din for y in (2026, 2025, 2026)]
    assert assigned == ["G123426000001", "G123425000001", "G123426000002"]


def test_the_default_year_is_this_year_where_the_clinic_is(
    clinic: Any, facility: str, monkeypatch: pytest.MonkeyPatch, time_machine: Any
) -> None:
    monkeypatch.setenv("ALSTRACK_TIME_ZONE", "Europe/Belgrade")
    get_settings.cache_clear()
    time_machine.move_to(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False)
    assert assign_din(clinic.db, clinic["ben"]).din == "G123427000001"


def test_an_audit_entry_says_who_assigned_which_din_and_names_no_patient(
    clinic: Any, facility: str
) -> None:
    out = assign_din(clinic.db, clinic["ben"], year=2026)
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "din")).one()
    assert (entry.action, entry.entity_id, entry.username) == ("assign", out.din, "ben")
    assert (entry.patient_id, entry.site_id) == (None, None)
    assert entry.new == {
        "din": "G123426000001",
        "check_character": "4",
        "facility": "G1234",
        "year": 2026,
        "sequence": 1,
    }


def test_it_refuses_without_a_facility_setting_and_says_which(
    clinic: Any, stored: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALSTRACK_FACILITY_ID", raising=False)
    before = stored()
    with pytest.raises(StepRefused, match="set ALSTRACK_FACILITY_ID"):
        assign_din(clinic.db, clinic["ben"], year=2026)
    assert stored() == before


def test_it_requires_products_write(clinic: Any, facility: str, stored: Any) -> None:
    before = stored()
    for username in ("alice", "chen", "nina", "olga", "aude", "adam"):
        with pytest.raises(PermissionDenied, match=r"products\.write"):
            assign_din(clinic.db, clinic[username], year=2026)
    assert stored() == before


def test_a_year_that_is_not_four_digits_is_refused(clinic: Any, facility: str) -> None:
    with pytest.raises(InvalidInput, match="four-digit calendar year"):
        assign_din(clinic.db, clinic["ben"], year=26)


def test_the_last_number_of_a_year_is_999999_and_then_it_refuses(
    clinic: Any, facility: str
) -> None:
    assign_din(clinic.db, clinic["ben"], year=2026)
    with clinic.db.transaction() as session:
        session.execute(
            update(SequenceCounter)
            .where(SequenceCounter.name == din_counter("G1234", 2026))
            .values(value=999_998)
        )
    assert assign_din(clinic.db, clinic["ben"], year=2026).din == "G123426999999"
    with pytest.raises(StepRefused, match="all 999999 DINs of 2026"):
        assign_din(clinic.db, clinic["ben"], year=2026)
    assert assign_din(clinic.db, clinic["ben"], year=2027).sequence == 1


def test_sixteen_concurrent_assignments_get_sixteen_numbers(clinic: Any, facility: str) -> None:
    get_settings()  # read once, before the threads share it
    assigned: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            assigned.append(assign_din(clinic.db, clinic["ben"], year=2026).sequence)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(assigned) == list(range(1, 17))


def test_new_din_numbers_from_1_to_999999_only() -> None:
    assert str(new_din("G1234", 2026, 999_999)) == "G123426999999"
    for sequence in (0, 1_000_000):
        with pytest.raises(InvalidInput, match="between 1 and 999999"):
            new_din("G1234", 2026, sequence)
    with pytest.raises(InvalidInput, match="facility identification number 'O1234'"):
        new_din("O1234", 2026, 1)


def test_a_din_given_by_hand_is_skipped_when_the_counter_reaches_it(
    clinic: Any, facility: str, lot: Any
) -> None:
    given = lot(din="G1234 26 000001")
    assigned = lot()
    assert (given.din, assigned.din) == ("G123426000001", "G123426000002")
