"""A death is the last event: nothing is recorded after it, and it is not dated before records."""

from __future__ import annotations

from datetime import date

import pytest

from alstrack.errors import InvalidInput
from alstrack.services import records
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn


def test_a_death_dated_before_existing_assessments_is_refused_naming_the_latest(
    clinic, pat, alsfrs
) -> None:
    records.add(clinic.db, clinic["alice"], records_kind(), pat.id, alsfrs(date(2024, 5, 1)))
    with pytest.raises(InvalidInput) as refused:
        records.add(clinic.db, clinic["alice"], MILESTONE, pat.id,
                    MilestoneIn(kind="death", occurred_on=date(2024, 3, 1)))  # fmt: skip
    assert refused.value.fields[0].field == "occurred_on"
    assert "2024-05-01" in refused.value.fields[0].message


def test_a_drug_course_cannot_start_after_the_recorded_death(clinic, pat) -> None:
    records.add(clinic.db, clinic["alice"], MILESTONE, pat.id,
                MilestoneIn(kind="death", occurred_on=date(2024, 3, 1)))  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        records.add(clinic.db, clinic["alice"], DRUG_COURSE, pat.id,
                    DrugCourseIn(drug="riluzole", start_date=date(2024, 4, 1)))  # fmt: skip
    assert refused.value.fields[0].field == "start_date"


def records_kind():  # the instrument kind, imported late to keep the cast above readable
    from alstrack.services.assessments import INSTRUMENT_ASSESSMENT

    return INSTRUMENT_ASSESSMENT
