"""A patient's outcomes carry the ALSFRS-R subscores of every visit that scores one, and the
milestones, each dated with its months from the first dose (none without a dose).

Pat (tests/conftest.py) has two ALSFRS-R visits, the second without item 10, so without a
respiratory subscore or a total, and started NIV on 10 January 2024.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.outcomes import patient_outcomes


@pytest.fixture
def followed(clinic: Any, pat: Any, alsfrs: Any) -> Any:
    for form in (alsfrs(date(2023, 9, 4), q1=4, q2=4), alsfrs(date(2023, 12, 1), q10=None)):
        records.add(clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, pat.id, form)
    niv = MilestoneIn(kind="niv_start", occurred_on=date(2024, 1, 10))
    records.add(clinic.db, clinic["alice"], MILESTONE, pat.id, niv)
    return pat


def test_each_visit_scoring_a_subscore_is_listed_and_a_missing_item_leaves_only_its_own_out(
    clinic: Any, followed: Any
) -> None:
    out = patient_outcomes(clinic.db, clinic["chen"], followed.id)
    first, second = out.alsfrs_r_subscores
    assert (first.on, first.bulbar, first.fine_motor, first.gross_motor, first.respiratory) == (
        date(2023, 9, 4), 11, 9, 9, 9,
    )  # fmt: skip
    assert (second.on, second.bulbar, second.respiratory) == (date(2023, 12, 1), 9, None)
    assert first.months is None  # no dose: no time from it
    assert [s.on for s in out.stages] == [date(2023, 9, 4)]  # a stage needs the whole form


def test_the_milestones_are_listed_by_date_and_go_through_the_api(
    clinic: Any, api: Any, followed: Any
) -> None:
    [niv] = patient_outcomes(clinic.db, clinic["chen"], followed.id).milestones
    assert (niv.kind, niv.on, niv.months) == ("niv_start", date(2024, 1, 10), None)
    answer = api("olga").get(f"/patients/{followed.id}/outcomes")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["milestones"] == [{"on": "2024-01-10", "months": None, "kind": "niv_start"}]
    assert body["alsfrs_r_subscores"][1]["respiratory"] is None
    assert "measures" in body  # the fields there were stay as they were
