"""Adverse events: severity and seriousness apart, relatedness twice, followed until resolved."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError
from safety_cast import HEADACHE
from sqlalchemy import select

from alstrack.errors import InvalidInput, PermissionDenied
from alstrack.services import records
from alstrack.services.adverse_events import (
    ADVERSE_EVENT,
    AdverseEventIn,
    list_adverse_events,
)
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.records import Correction
from alstrack.store.models import AuditEntry

Stored = Callable[[], dict[str, int]]


def test_an_event_keeps_grade_seriousness_and_both_relatednesses_and_is_audited(
    clinic: Any, pat: Any, event: Any
) -> None:
    made = event(grade=3)  # severe, yet not serious: the axes are apart
    assert (made.grade, made.serious, made.susar) == (3, False, False)
    assert (made.related_to_procedure, made.related_to_product) == ("probable", "unlikely")
    assert records.list_for_patient(clinic.db, clinic["chen"], ADVERSE_EVENT, pat.id) == [made]
    with clinic.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "adverse_event")
        ).one()
    assert (entry.action, entry.username, entry.site_id) == ("create", "nina", pat.site_id)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"onset_date": date(2026, 11, 21)}, "onset_date", "must not be in the future"),
        ({"aware_on": date(2026, 11, 2)}, "aware_on", "must not be before the onset"),
        ({"outcome": "recovered"}, "resolution_date", "is given exactly when the outcome is"),
        (
            {"resolution_date": date(2026, 11, 10)},
            "resolution_date",
            "is given exactly when the outcome is",
        ),
        (
            {"grade": 5},
            "outcome",
            "grade 5, outcome fatal and the seriousness criterion death go together",
        ),
        ({"serious_criteria": ["death"]}, "outcome", "go together"),
        (
            {"serious_criteria": ["hospitalisation", "hospitalisation"]},
            "serious_criteria",
            "lists a criterion twice",
        ),
        ({"administration_id": 999}, "administration_id", "no administration 999"),
    ],
)
def test_an_inconsistent_event_is_refused_naming_the_field_and_nothing_is_stored(
    event: Any, stored: Stored, changes: dict[str, Any], field: str, message: str
) -> None:
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        event(**changes)
    assert any(f.field == field and message in f.message for f in caught.value.fields)
    assert stored() == before


def test_values_outside_the_lists_are_refused_by_the_input_model() -> None:

    for name, value in (
        ("related_to_product", "likely"),
        ("serious_criteria", ["disabled"]),
        ("grade", 6),
        ("outcome", "died"),
        ("meddra_code", "1005483"),
    ):
        with pytest.raises(ValidationError) as caught:
            AdverseEventIn(**(HEADACHE | {name: value}))
        assert caught.value.errors()[0]["loc"][0] == name


def test_a_death_is_the_outcome_and_the_milestone(clinic: Any, pat: Any, event: Any) -> None:
    fatal = {
        "grade": 5,
        "serious_criteria": ["death"],
        "outcome": "fatal",
        "resolution_date": date(2026, 11, 15),
    }
    with pytest.raises(InvalidInput, match="needs the death milestone on that day"):
        event(**fatal)
    death = MilestoneIn(kind="death", occurred_on=date(2026, 11, 15))
    records.add(clinic.db, clinic["alice"], MILESTONE, pat.id, death)
    assert event(**fatal).outcome == "fatal"


def test_an_event_is_followed_by_correction_until_it_resolves(
    clinic: Any, pat: Any, event: Any
) -> None:
    made = event()
    assert [e.id for e in list_adverse_events(clinic.db, clinic["chen"], unresolved=True)] == [
        made.id
    ]
    resolved = AdverseEventIn.model_validate(
        made.model_dump(include=set(AdverseEventIn.model_fields))
        | {"outcome": "recovered", "resolution_date": date(2026, 11, 9)}
    )
    later = records.correct(
        clinic.db,
        clinic["nina"],
        ADVERSE_EVENT,
        made.id,
        Correction(record=resolved, version=made.version, reason="Resolved on follow-up call"),
    )
    assert (later.supersedes_id, later.resolved) == (made.id, True)
    assert list_adverse_events(clinic.db, clinic["chen"], unresolved=True) == []
    assert [e.id for e in list_adverse_events(clinic.db, clinic["chen"])] == [later.id]


def test_who_records_and_who_reads_adverse_events(clinic: Any, event: Any) -> None:
    for person in ("nina", "chen", "alice"):
        event(by=person)
    for person in ("ben", "olga", "adam"):
        with pytest.raises(PermissionDenied, match=r"safety\.write"):
            event(by=person)
    assert len(list_adverse_events(clinic.db, clinic["olga"])) == 3
    assert list_adverse_events(clinic.db, clinic["sami"]) == []  # SOUTH sees no NORTH patient
    with pytest.raises(PermissionDenied, match=r"safety\.read"):
        list_adverse_events(clinic.db, clinic["adam"])


def test_a_follow_up_may_move_awareness_earlier_but_never_later(
    clinic: Any, pat: Any, event: Any, stored: Stored
) -> None:
    made = event()  # aware on 4 Nov

    def corrected(aware_on: date) -> Correction[AdverseEventIn]:
        record = AdverseEventIn.model_validate(
            made.model_dump(include=set(AdverseEventIn.model_fields)) | {"aware_on": aware_on}
        )
        return Correction(record=record, version=made.version, reason="Follow-up call")

    before = stored()
    later = corrected(date(2026, 11, 5))
    with pytest.raises(InvalidInput) as caught:
        records.correct(clinic.db, clinic["nina"], ADVERSE_EVENT, made.id, later)
    assert caught.value.fields[0].field == "aware_on"
    assert "first recorded (2026-11-04)" in caught.value.fields[0].message
    assert stored() == before
    earlier = corrected(date(2026, 11, 3))
    assert records.correct(clinic.db, clinic["nina"], ADVERSE_EVENT, made.id, earlier).aware_on == (
        date(2026, 11, 3)
    )
