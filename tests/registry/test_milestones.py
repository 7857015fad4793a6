"""Milestones: gastrostomy, NIV start, NIV over 23 h a day, tracheostomy and death, each once."""

from datetime import date

import pytest

from alstrack.errors import InvalidInput
from alstrack.services import records
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.records import Correction, Void


def _add(clinic, pat, kind, on, who="chen"):
    return records.add(
        clinic.db, clinic[who], MILESTONE, pat.id, MilestoneIn(kind=kind, occurred_on=on)
    )


def _fields(caught):
    return [f.field for f in caught.value.fields]


def test_each_kind_of_milestone_is_recorded_with_its_date(clinic, pat):
    kinds = ["gastrostomy", "niv_start", "niv_over_23h", "tracheostomy", "death"]
    for month, kind in enumerate(kinds, start=3):
        m = _add(clinic, pat, kind, date(2024, month, 19))
        assert (m.kind, m.occurred_on, m.status, m.entered_by) == (
            kind,
            date(2024, month, 19),
            "current",
            clinic["chen"].user_id,
        )


def test_the_milestones_are_listed_in_date_order(clinic, pat):
    _add(clinic, pat, "niv_over_23h", date(2024, 11, 2))
    _add(clinic, pat, "gastrostomy", date(2024, 5, 7))
    _add(clinic, pat, "niv_start", date(2024, 6, 30))
    listed = records.list_for_patient(clinic.db, clinic["olga"], MILESTONE, pat.id)
    assert [m.kind for m in listed] == ["gastrostomy", "niv_start", "niv_over_23h"]


def test_it_refuses_the_same_milestone_twice(clinic, pat):
    first = _add(clinic, pat, "gastrostomy", date(2024, 5, 7))
    with pytest.raises(InvalidInput) as caught:
        _add(clinic, pat, "gastrostomy", date(2024, 5, 9))
    assert _fields(caught) == ["kind"]
    assert f"id {first.id}" in caught.value.fields[0].message


def test_a_wrong_milestone_date_is_corrected_rather_than_recorded_twice(clinic, pat):
    wrong = _add(clinic, pat, "gastrostomy", date(2024, 5, 7))
    right = records.correct(
        clinic.db,
        clinic["chen"],
        MILESTONE,
        wrong.id,
        Correction[MilestoneIn](
            record=MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 5, 17)),
            version=1,
            reason="Date taken from the referral, not the operation note",
        ),
    )
    assert (right.occurred_on, right.supersedes_id) == (date(2024, 5, 17), wrong.id)
    listed = records.list_for_patient(clinic.db, clinic["chen"], MILESTONE, pat.id)
    assert [m.id for m in listed] == [right.id]


def test_the_date_of_death_can_be_corrected(clinic, pat):
    death = _add(clinic, pat, "death", date(2024, 12, 1))
    fixed = records.correct(
        clinic.db,
        clinic["chen"],
        MILESTONE,
        death.id,
        Correction[MilestoneIn](
            record=MilestoneIn(kind="death", occurred_on=date(2024, 11, 30)),
            version=1,
            reason="Death certificate",
        ),
    )
    assert fixed.occurred_on == date(2024, 11, 30)


def test_a_voided_milestone_can_be_recorded_again(clinic, pat):
    wrong = _add(clinic, pat, "tracheostomy", date(2024, 5, 7))
    records.void(
        clinic.db, clinic["chen"], MILESTONE, wrong.id, Void(version=1, reason="Wrong patient")
    )
    assert _add(clinic, pat, "tracheostomy", date(2024, 9, 1)).status == "current"


def test_it_refuses_a_milestone_after_today(clinic, pat, time_machine):
    time_machine.move_to(date(2025, 6, 1))
    with pytest.raises(InvalidInput) as caught:
        _add(clinic, pat, "niv_start", date(2025, 6, 2))
    assert _fields(caught) == ["occurred_on"]


def test_it_refuses_a_milestone_before_birth(clinic, pat):
    with pytest.raises(InvalidInput) as caught:
        _add(clinic, pat, "niv_start", date(1950, 1, 1))
    assert _fields(caught) == ["occurred_on"]


def test_it_refuses_a_milestone_after_death(clinic, pat):
    _add(clinic, pat, "death", date(2024, 12, 1))
    with pytest.raises(InvalidInput) as caught:
        _add(clinic, pat, "gastrostomy", date(2024, 12, 2))
    assert _fields(caught) == ["occurred_on"]


def test_it_refuses_an_unknown_kind_of_milestone():
    with pytest.raises(ValueError, match="gastrostomy"):
        MilestoneIn(kind="peg", occurred_on=date(2024, 1, 1))
