"""ALSFRS-R item 5a is for patients without a gastrostomy; once one is recorded, 5b is scored."""

from __future__ import annotations

from datetime import date

import pytest

from alstrack.errors import InvalidInput
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.milestones import MILESTONE, MilestoneIn


@pytest.fixture
def peg(clinic, pat):
    return records.add(clinic.db, clinic["chen"], MILESTONE, pat.id,
                       MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 3, 1)))  # fmt: skip


def test_it_refuses_q5a_after_the_recorded_gastrostomy(clinic, pat, peg, alsfrs) -> None:
    with pytest.raises(InvalidInput) as refused:
        records.add(
            clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 4, 1))
        )
    assert refused.value.fields[0].field == "q5a"
    assert "2024-03-01" in refused.value.fields[0].message


def test_q5b_after_the_gastrostomy_gives_kings_4a(clinic, pat, peg, alsfrs) -> None:
    visit = alsfrs(date(2024, 4, 1), q5a=None, q5b=2)
    stored = records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, visit)
    assert stored.alsfrs_r.kings_4a is True


def test_q5a_before_the_gastrostomy_is_accepted(clinic, pat, peg, alsfrs) -> None:
    stored = records.add(
        clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 1))
    )
    assert stored.responses["q5a"] == 3


def test_a_gastrostomy_dated_before_visits_scored_q5a_is_refused(clinic, pat, alsfrs) -> None:
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 5, 1)))
    with pytest.raises(InvalidInput) as refused:
        records.add(clinic.db, clinic["chen"], MILESTONE, pat.id,
                    MilestoneIn(kind="gastrostomy", occurred_on=date(2024, 4, 1)))  # fmt: skip
    assert "2024-05-01" in refused.value.fields[0].message
