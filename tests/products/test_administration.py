"""A verified product is given and recorded, and its follow-up visits are scheduled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from product_cast import NOW
from sqlalchemy import select

from alstrack.config import get_settings
from alstrack.errors import Conflict, InvalidInput, PermissionDenied, StepRefused
from alstrack.services import records
from alstrack.services.administrations import (
    AdministrationIn,
    administer,
    patient_administrations,
)
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventIn, list_adverse_events
from alstrack.services.product_documents import custody_report
from alstrack.services.products import get_product
from alstrack.services.visits import patient_visits
from alstrack.store.models import AuditEntry
from signing_cast import SECRET

Stored = Callable[[], dict[str, int]]


@pytest.fixture
def verified(clinic: Any, approved: Any, thawed: Any, confirm: Any) -> Callable[[], Any]:
    """Approve Maria's plan once; each call verifies a new thawed lot (Nina, then Dr Chen)."""
    approved()

    def made() -> Any:
        product = thawed()
        confirm(product.din, "nina")
        return confirm(product.din, "chen")

    return made


def _given(checked: Any, **changes: Any) -> AdministrationIn:
    data = {
        "version": checked.product_version,
        "route": "intrathecal",
        "cells_administered": 6.1e7,
        "volume_ml": 10.0,
        "password": SECRET,
    } | changes
    return AdministrationIn(**data)


def test_a_verified_product_is_recorded_as_given_with_both_verifiers_and_its_follow_up(
    clinic: Any, maria: Any, verified: Any
) -> None:
    checked = verified()
    given = administer(clinic.db, clinic["nina"], checked.din, _given(checked, note="L4-L5"))
    assert (given.dose_number, given.planned_administrations, given.route) == (1, 3, "intrathecal")
    assert (given.first_verifier, given.second_verifier, given.given_by) == (
        clinic["nina"].user_id,
        clinic["chen"].user_id,
        clinic["nina"].user_id,
    )
    assert (given.cells_administered, given.volume_ml, given.at) == (6.1e7, 10.0, NOW)
    assert [(v.visit, v.due_on) for v in given.follow_up] == [
        ("day-1", date(2026, 11, 2)),
        ("week-1", date(2026, 11, 8)),
        ("month-1", date(2026, 12, 1)),
        ("month-3", date(2027, 1, 31)),
        ("month-6", date(2027, 5, 2)),
        ("month-12", date(2027, 11, 1)),
    ]
    assert {v.schedule_id for v in given.follow_up} == {"msc-post-dose"}
    trace = get_product(clinic.db, clinic["alice"], checked.din)
    assert (trace.product.state, trace.events[-1].step) == ("administered", "administer")
    assert patient_administrations(clinic.db, clinic["alice"], maria.patient_id) == [given]
    assert patient_visits(clinic.db, clinic["alice"], maria.patient_id) == given.follow_up
    with clinic.db.read() as session:
        actions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.patient_id == maria.patient_id)
            .order_by(AuditEntry.id.desc())
            .limit(3)
        ).all()
    assert actions == ["schedule", "create", "administer"]
    with clinic.db.read() as session:  # every entry about a patient names the patient's site
        unsited = session.scalars(
            select(AuditEntry).where(
                AuditEntry.patient_id.is_not(None), AuditEntry.site_id.is_(None)
            )
        ).all()
    assert unsited == []


def test_doses_are_numbered_under_the_plan_and_given_its_interval_apart(
    clinic: Any, verified: Any, clock: Any
) -> None:
    first = verified()
    administer(clinic.db, clinic["nina"], first.din, _given(first))
    clock.move_to(NOW + timedelta(days=27), tick=False)
    early = verified()
    with pytest.raises(StepRefused, match="28 days apart: the last was on 2026-11-01, the next"):
        administer(clinic.db, clinic["chen"], early.din, _given(early))
    clock.move_to(NOW + timedelta(days=28), tick=False)
    second = verified()
    given = administer(clinic.db, clinic["chen"], second.din, _given(second))
    assert given.dose_number == 2


def test_a_product_is_not_given_before_two_people_verified_it(
    clinic: Any, approved: Any, thawed: Any, confirm: Any, stored: Stored
) -> None:
    approved()
    product = thawed()
    checked = confirm(product.din, "nina")
    before = stored()
    with pytest.raises(StepRefused, match="out of order: the product is thawed; next: verify"):
        administer(clinic.db, clinic["nina"], product.din, _given(checked))
    assert stored() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"route": "intravenous"}, "route", "the approved plan gives the cells intrathecal"),
        ({"volume_ml": 10.5}, "volume_ml", "more than the 10 mL checked at the bedside"),
        ({"at": NOW + timedelta(minutes=5)}, "at", "must not be in the future"),
        ({"at": NOW - timedelta(days=40)}, "at", "is before the bedside verification"),
        ({"cells_administered": 1.0}, "cells_administered", "must be the plan's dose"),
    ],
)
def test_an_administration_unlike_the_plan_or_the_bedside_check_is_refused(
    clinic: Any, verified: Any, stored: Stored, changes: dict[str, Any], field: str, message: str
) -> None:
    checked = verified()
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        administer(clinic.db, clinic["nina"], checked.din, _given(checked, **changes))
    assert (caught.value.fields[0].field, message in caught.value.fields[0].message) == (
        field,
        True,
    )
    assert stored() == before


def test_a_product_that_expired_after_verification_is_not_given(
    clinic: Any, verified: Any, clock: Any
) -> None:
    checked = verified()
    clock.move_to(NOW + timedelta(hours=5), tick=False)
    with pytest.raises(StepRefused, match=r"the product expired at .* \(REL-EXP-001\)"):
        administer(clinic.db, clinic["nina"], checked.din, _given(checked))


def test_a_stale_record_version_and_the_wrong_role_are_refused(clinic: Any, verified: Any) -> None:
    checked = verified()
    with pytest.raises(PermissionDenied, match=r"products\.administer"):
        administer(clinic.db, clinic["ben"], checked.din, _given(checked))
    with pytest.raises(Conflict, match="reload it and try again"):
        administer(
            clinic.db,
            clinic["nina"],
            checked.din,
            _given(checked, version=checked.product_version - 1),
        )


def test_follow_up_falls_due_from_the_clinics_day_not_the_utc_day(
    clinic: Any, verified: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALSTRACK_TIME_ZONE", "Europe/Belgrade")
    get_settings.cache_clear()
    try:
        clock.move_to(NOW.replace(hour=23, minute=30), tick=False)  # 00:30 on 2 Nov in Belgrade
        checked = verified()
        given = administer(clinic.db, clinic["nina"], checked.din, _given(checked))
    finally:
        get_settings.cache_clear()
    assert given.follow_up[0].due_on == date(2026, 11, 3)


def test_the_custody_report_ends_with_the_bedside_checks_and_the_administration(
    clinic: Any, verified: Any
) -> None:
    checked = verified()
    administer(clinic.db, clinic["nina"], checked.din, _given(checked))
    html = custody_report(clinic.db, clinic["aude"], checked.din, fmt="html").content.decode()
    part = html[html.index("<h2>At the bedside</h2>") : html.index("<h2>Turnaround</h2>")]
    bedside = " ".join(part.split())
    assert bedside.index("<td>nina</td>") < bedside.index("<td>chen</td>")
    assert "Administered</strong> 2026-11-01 10:00 UTC: dose 1, intrathecal" in bedside
    assert "given by nina; verified by nina and chen." in bedside


def test_adverse_events_after_a_dose_are_listed_per_lot_and_per_route(
    clinic: Any, maria: Any, verified: Any
) -> None:
    checked = verified()
    given = administer(clinic.db, clinic["nina"], checked.din, _given(checked))
    data = AdverseEventIn(
        term="Fever",
        onset_date=date(2026, 11, 1),
        aware_on=date(2026, 11, 1),
        grade=1,
        related_to_procedure="possible",
        related_to_product="possible",
        expectedness="expected",
        action_taken="medication_given",
        outcome="recovering",
        administration_id=given.id,
    )
    fever = records.add(clinic.db, clinic["nina"], ADVERSE_EVENT, maria.patient_id, data)
    records.add(  # an event after no dose is in neither list
        clinic.db, clinic["nina"], ADVERSE_EVENT, maria.patient_id,
        data.model_copy(update={"administration_id": None, "term": "Cramps"}),
    )  # fmt: skip
    by_lot = list_adverse_events(clinic.db, clinic["chen"], din=checked.din)
    assert [e.id for e in by_lot] == [fever.id]
    assert [e.id for e in list_adverse_events(clinic.db, clinic["chen"], route="intrathecal")] == [
        fever.id
    ]
    assert list_adverse_events(clinic.db, clinic["chen"], route="intravenous") == []
