"""The safety report counts every adverse event of the treated patients by route and cell source
with exact intervals, lists every serious event, and keeps events before treatment apart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from product_cast import NOW
from scipy import stats

from alstrack.services import records
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventIn
from alstrack.services.safety_report import CAVEAT, exact_interval, safety_report

HEADACHE: dict[str, Any] = {
    "term": "Post-lumbar puncture headache",
    "onset_date": date(2026, 11, 2),
    "aware_on": date(2026, 11, 2),
    "grade": 2,
    "serious_criteria": [],
    "related_to_procedure": "probable",
    "related_to_product": "unlikely",
    "expectedness": "expected",
    "action_taken": "medication_given",
    "outcome": "recovering",
}
MENINGITIS = HEADACHE | {
    "term": "Aseptic meningitis",
    "onset_date": date(2026, 11, 4),
    "aware_on": date(2026, 11, 4),
    "grade": 3,
    "serious_criteria": ["hospitalisation"],
    "related_to_product": "possible",
    "expectedness": "unexpected",
    "action_taken": "hospitalised",
}


@pytest.fixture
def treated(clinic: Any, maria: Any, approved: Any, dose: Any, clock: Any) -> Any:
    """Maria's dose on 1 Nov 2026; a fall before it, a headache after it (linked), then
    meningitis (not linked to the dose)."""
    approved()
    given = dose()
    clock.move_to(NOW + timedelta(days=10), tick=False)
    fall = HEADACHE | {
        "term": "Fall",
        "onset_date": date(2026, 10, 30),
        "aware_on": date(2026, 10, 30),
        "related_to_procedure": "not_related",
    }
    for data in (fall, HEADACHE | {"administration_id": given.id}, MENINGITIS):
        records.add(
            clinic.db, clinic["nina"], ADVERSE_EVENT, maria.patient_id, AdverseEventIn(**data)
        )
    return given


def test_every_event_of_the_treated_is_counted_by_route_and_source_with_exact_intervals(
    clinic: Any, maria: Any, treated: Any
) -> None:
    report = safety_report(clinic.db, clinic["chen"], on=date(2026, 11, 10))
    [group] = report.groups
    assert (group.route, group.cell_source) == ("intrathecal", "allogeneic_uc_msc")
    for row in (group, report.overall):
        assert (row.patients_treated, row.doses, row.events, row.serious_events, row.susars) == (
            1, 1, 2, 1, 1,
        )  # fmt: skip
        assert row.patients_with_any_event.proportion == 1.0
        assert row.patients_with_grade_3_or_more.count == 1
    assert report.events_before_treatment == 1
    [serious] = report.serious_events
    assert (serious.term, serious.susar, serious.route, serious.dose_number) == (
        "Aseptic meningitis", True, "intrathecal", 1,
    )  # fmt: skip
    assert serious.patient_study_id
    assert report.caveat == CAVEAT


def test_the_cut_off_leaves_later_events_out(clinic: Any, maria: Any, treated: Any) -> None:
    report = safety_report(clinic.db, clinic["chen"], on=date(2026, 11, 3))
    assert (report.overall.events, report.overall.serious_events, report.serious_events) == (
        1, 0, [],
    )  # fmt: skip
    before = safety_report(clinic.db, clinic["chen"], on=date(2026, 10, 31))
    assert before.overall.patients_treated == 0
    assert before.overall.patients_with_any_event.proportion is None


@pytest.mark.parametrize(("count", "of"), [(0, 5), (1, 1), (3, 12), (12, 12), (7, 40)])
def test_the_interval_is_the_clopper_pearson_one(count: int, of: int) -> None:
    p = exact_interval(count, of)
    low = 0.0 if count == 0 else stats.beta.ppf(0.025, count, of - count + 1)
    high = 1.0 if count == of else stats.beta.ppf(0.975, count + 1, of - count)
    assert (p.low, p.high) == (pytest.approx(low), pytest.approx(high))
    assert p.proportion == pytest.approx(count / of)


def test_another_site_sees_none_of_it_and_the_api_serves_it(
    clinic: Any, api: Any, maria: Any, treated: Any
) -> None:
    assert safety_report(clinic.db, clinic["sami"]).overall.patients_treated == 0
    north = api("olga").get("/safety/report", params={"on": "2026-11-10", "site": "NORTH"})
    assert north.status_code == 200, north.text
    assert north.json()["overall"]["events"] == 2
    assert api("ben").get("/safety/report").status_code == 403
