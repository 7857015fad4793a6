"""Maria's outcomes after her first dose: observed beside expected, with intervals and counts,
her stages, and what the ENCALS model would need that her record lacks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from alstrack.errors import NotFound
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.outcomes import CAVEAT, patient_outcomes


@pytest.fixture
def followed(clinic: Any, maria: Any, alsfrs: Any, approved: Any, dose: Any, clock: Any) -> Any:
    """Maria: ALSFRS-R 44, 41, 40 before her dose on 1 Nov 2026; 38 at month 3, 36 at month 6."""
    records.add(
        clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, maria.patient_id,
        alsfrs(date(2026, 9, 1), q1=4, q2=4, q3=4, q4=4, q6=4),
    )  # fmt: skip
    approved()
    dose()
    clock.move_to(datetime(2027, 5, 10, 12, tzinfo=UTC), tick=False)
    for day, items in ((date(2027, 2, 1), {"q1": 4, "q2": 4}), (date(2027, 5, 3), {})):
        records.add(
            clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, maria.patient_id,
            alsfrs(day, **items),
        )  # fmt: skip
    return maria


def test_observed_is_shown_beside_expected_with_intervals_and_counts(
    clinic: Any, followed: Any
) -> None:
    out = patient_outcomes(clinic.db, clinic["chen"], followed.patient_id)
    assert (out.first_dose_on, out.doses_on) == (date(2026, 11, 1), [date(2026, 11, 1)])
    score = out.measures[0]
    assert score.measure == "alsfrs_r_total"
    assert [(p.on, p.value) for p in score.points] == [
        (date(2026, 7, 10), 44), (date(2026, 9, 1), 41), (date(2026, 10, 29), 40),
        (date(2027, 2, 1), 38), (date(2027, 5, 3), 36),
    ]  # fmt: skip
    assert score.points[3].months == pytest.approx(92 / 30.4375)
    before, after = score.slope_before, score.slope_after
    assert before.n_visits == 3
    assert before.per_month is not None
    assert before.low is not None
    assert before.high is not None
    assert before.low < before.per_month < before.high
    assert (after.n_visits, after.low, after.note) == (
        2,
        None,
        "two visits: a line, but no interval",
    )
    assert score.slope_before_from_onset is not None
    assert score.slope_before_from_onset.method == "ΔFS from onset"
    three, six, twelve = score.observed_minus_expected
    assert (three.observed, six.observed) == (38, 36)
    for c in (three, six):
        assert c.difference == pytest.approx((c.observed or 0) - (c.expected or 0))
        assert c.reading
    assert twelve.observed is None
    assert twelve.reading == "cannot be compared: no visit within 1.5 months of month 12"
    assert out.caveat == CAVEAT
    assert [s.on for s in out.stages] == [p.on for p in score.points]
    fvc = out.measures[1]
    assert (fvc.measure, len(fvc.points), fvc.observed_minus_expected[0].observed) == (
        "fvc_percent_predicted", 1, None,
    )  # fmt: skip


def test_the_survival_model_lists_what_the_record_lacks_instead_of_guessing(
    clinic: Any, followed: Any
) -> None:
    prognosis = patient_outcomes(clinic.db, clinic["chen"], followed.patient_id).prognosis
    assert prognosis.linear_predictor is None
    assert prognosis.missing == [
        "an FVC % predicted within 90 days of diagnosis",
        "whether the patient has frontotemporal dementia",
        "a C9orf72 test",
    ]
    assert prognosis.model == "encals-survival 2018-public-code.1"


def test_outcomes_go_through_the_api_and_another_site_sees_nothing(
    clinic: Any, api: Any, followed: Any
) -> None:
    answer = api("olga").get(f"/patients/{followed.patient_id}/outcomes")
    assert answer.status_code == 200, answer.text
    assert answer.json()["measures"][0]["observed_minus_expected"][0]["horizon_months"] == 3
    assert api("sami").get(f"/patients/{followed.patient_id}/outcomes").status_code == 404
    with pytest.raises(NotFound):
        patient_outcomes(clinic.db, clinic["sami"], followed.patient_id)
