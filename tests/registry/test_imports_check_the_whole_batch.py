"""An import is checked as a whole: a milestone twice in one batch, or after a death, is refused."""

from __future__ import annotations

from datetime import date

import pytest

from alstrack.errors import InvalidInput
from alstrack.services import records
from alstrack.services.milestones import MILESTONE, MilestoneIn


def test_a_batch_with_the_same_milestone_twice_stores_nothing(clinic, pat, stored) -> None:
    before = stored()
    twice = [
        (pat.id, MilestoneIn(kind="death", occurred_on=date(2024, 6, 1))),
        (pat.id, MilestoneIn(kind="death", occurred_on=date(2024, 6, 2))),
    ]
    with pytest.raises(InvalidInput):
        records.add_many(clinic.db, clinic.system, MILESTONE, twice)
    assert stored() == before


def test_a_batch_with_a_milestone_after_the_death_is_refused(clinic, pat) -> None:
    late = [
        (pat.id, MilestoneIn(kind="death", occurred_on=date(2024, 6, 1))),
        (pat.id, MilestoneIn(kind="tracheostomy", occurred_on=date(2024, 7, 1))),
    ]
    with pytest.raises(InvalidInput) as refused:
        records.add_many(clinic.db, clinic.system, MILESTONE, late)
    assert refused.value.fields[0].field == "occurred_on"
