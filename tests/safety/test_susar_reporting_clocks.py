"""SUSARs and their reporting clocks: day 0 is awareness; due on the day, overdue the day after."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from safety_cast import MENINGITIS

from alstrack.domain.safety import (
    AdverseEventFacts,
    load_reporting_rules,
    reporting_rules,
    reports_due,
)
from alstrack.errors import InvalidInput, NotFound, PermissionDenied, StepRefused
from alstrack.services import records
from alstrack.services.adverse_events import (
    ADVERSE_EVENT,
    AdverseEventIn,
    ReportIn,
    record_report,
    reporting_status,
)
from alstrack.services.records import Correction
from signing_cast import PASSWORD, SECRET

Stored = Callable[[], dict[str, int]]
AWARE = date(2026, 11, 4)
SHIPPED = Path(__file__).resolve().parents[2] / "src/alstrack/domain/data/safety/reporting.yaml"


def facts(**changes: Any) -> AdverseEventFacts:
    values: dict[str, Any] = {
        "serious_criteria": ("hospitalisation",),
        "related_to_product": "possible",
        "related_to_procedure": "not_related",
        "expectedness": "unexpected",
        "aware_on": AWARE,
    } | changes
    return AdverseEventFacts(**values)


@pytest.mark.parametrize(
    ("changes", "susar"),
    [
        ({}, True),
        ({"related_to_product": "probable"}, True),
        ({"related_to_product": "definite"}, True),
        ({"related_to_product": "unlikely"}, False),
        ({"related_to_product": "not_related", "related_to_procedure": "definite"}, True),
        ({"related_to_product": "unlikely", "related_to_procedure": "unlikely"}, False),
        ({"expectedness": "expected"}, False),
        ({"serious_criteria": ()}, False),
    ],
)
def test_a_susar_is_serious_suspected_related_to_product_or_procedure_and_unexpected(
    changes: dict[str, Any], susar: bool
) -> None:
    assert facts(**changes).susar(reporting_rules()) is susar


def _states(event: AdverseEventFacts, on: date, submitted: Any = ()) -> list[tuple[str, Any]]:
    return [
        (r.report, (r.due_on - AWARE).days, r.state)
        for r in reports_due(event, submitted, on, reporting_rules())
    ]


@pytest.mark.parametrize(("days", "state"), [(0, "due"), (15, "due"), (16, "overdue")])
def test_another_susar_is_due_within_15_days(days: int, state: str) -> None:
    assert _states(facts(), AWARE + timedelta(days=days)) == [("initial", 15, state)]


@pytest.mark.parametrize("criterion", ["death", "life_threatening"])
@pytest.mark.parametrize(
    ("days", "states"),
    [
        (7, ("due", "due")),
        (8, ("overdue", "due")),
        (15, ("overdue", "due")),
        (16, ("overdue", "overdue")),
    ],
)
def test_a_fatal_or_life_threatening_susar_is_due_in_7_days_and_fully_8_days_later(
    criterion: str, days: int, states: tuple[str, str]
) -> None:
    event = facts(serious_criteria=(criterion,))
    assert _states(event, AWARE + timedelta(days=days)) == [
        ("initial", 7, states[0]),
        ("full", 15, states[1]),
    ]


def test_a_report_on_its_due_day_is_on_time_and_a_day_later_is_late() -> None:
    event = facts(serious_criteria=("death",))
    submitted = [("initial", AWARE + timedelta(days=7)), ("full", AWARE + timedelta(days=16))]
    assert _states(event, AWARE + timedelta(days=30), submitted) == [
        ("initial", 7, "on_time"),
        ("full", 15, "late"),
    ]


def test_an_event_that_is_not_a_susar_needs_no_report() -> None:
    assert _states(facts(expectedness="expected"), AWARE + timedelta(days=30)) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["clocks"]["other"].update(initial_days=0), "initial_days"),
        (lambda d: d.update(status="approved"), "status"),
        (lambda d: d.update(suspected_relatedness=["maybe"]), "suspected_relatedness"),
        (lambda d: d.update(related_to=[]), "related_to"),
    ],
)
def test_a_broken_reporting_file_is_refused(tmp_path: Path, change: Any, message: str) -> None:
    document = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "reporting.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        load_reporting_rules(path)


def test_the_reporting_periods_say_they_come_from_secondary_sources() -> None:
    rules = reporting_rules()
    assert rules.status == "secondary"
    assert (
        rules.clocks.fatal_or_life_threatening.initial_days,
        rules.clocks.other.initial_days,
    ) == (7, 15)


def test_reports_are_recorded_against_a_susar_and_show_due_and_overdue_per_site(
    clinic: Any, pat: Any, event: Any, stored: Stored
) -> None:
    susar = event(**MENINGITIS)  # aware on 4 Nov
    assert susar.susar
    plain = event()
    on_day_16 = AWARE + timedelta(days=16)
    [overdue] = reporting_status(clinic.db, clinic["chen"], on=on_day_16)
    assert (overdue.adverse_event_id, overdue.report, overdue.state, overdue.site_code) == (
        susar.id,
        "initial",
        "overdue",
        "NORTH",
    )
    assert reporting_status(clinic.db, clinic["sami"], on=on_day_16) == []
    assert reporting_status(clinic.db, clinic["chen"], on=on_day_16, site_code="SOUTH") == []
    before = stored()
    sent = ReportIn(
        report="initial",
        submitted_on=AWARE + timedelta(days=10),
        submitted_to="MHRA",
        password=SECRET,
    )
    with pytest.raises(StepRefused, match="is not a SUSAR"):
        record_report(clinic.db, clinic["chen"], plain.id, sent)
    with pytest.raises(InvalidInput, match="this SUSAR needs initial only"):
        record_report(
            clinic.db, clinic["chen"], susar.id, sent.model_copy(update={"report": "full"})
        )
    with pytest.raises(InvalidInput, match="must not be before the awareness date"):
        record_report(
            clinic.db,
            clinic["chen"],
            susar.id,
            sent.model_copy(update={"submitted_on": date(2026, 11, 1)}),
        )
    with pytest.raises(PermissionDenied, match=r"safety\.report"):
        record_report(clinic.db, clinic["nina"], susar.id, sent)
    with pytest.raises(NotFound):
        record_report(clinic.db, clinic["chen"], 10**6, sent)
    assert stored() == before
    record_report(clinic.db, clinic["chen"], susar.id, sent)
    [done] = reporting_status(clinic.db, clinic["chen"], on=on_day_16)
    assert (done.state, done.submitted_on) == ("on_time", AWARE + timedelta(days=10))
    # Followed up by correction, the event keeps its report.
    update = AdverseEventIn(**(MENINGITIS | {"grade": 2}))
    later = records.correct(
        clinic.db, clinic["nina"], ADVERSE_EVENT, susar.id,
        Correction(record=update, version=susar.version, reason="Improving"),
    )  # fmt: skip
    [kept] = reporting_status(clinic.db, clinic["chen"], on=on_day_16, state="on_time")
    assert (kept.adverse_event_id, kept.state) == (later.id, "on_time")
    with pytest.raises(StepRefused, match="report against the current record"):
        record_report(clinic.db, clinic["chen"], susar.id, sent)


def test_reports_go_through_the_api(clinic: Any, api: Any, pat: Any) -> None:
    nina, chen = api("nina"), api("chen")
    body = MENINGITIS | {"onset_date": "2026-11-03", "aware_on": "2026-11-04"}
    made = nina.post(f"/patients/{pat.id}/adverse-events", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["susar"] is True
    due = chen.get("/safety/reports", params={"on": "2026-11-20", "state": "overdue"})
    assert [r["report"] for r in due.json()] == ["initial"]
    report = {
        "report": "initial",
        "submitted_on": "2026-11-20",
        "submitted_to": "Ethics committee",
        "password": PASSWORD,
    }
    sent = chen.post(f"/adverse-events/{made.json()['id']}/reports", json=report)
    assert sent.status_code == 201, sent.text
    late = chen.get("/safety/reports", params={"on": "2026-11-20"}).json()
    assert [(r["state"], r["submitted_on"]) for r in late] == [("late", "2026-11-20")]
    bad = nina.post(f"/patients/{pat.id}/adverse-events", json=body | {"grade": 7})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "grade"


def test_a_program_may_limit_susars_to_the_product() -> None:
    product_only = reporting_rules().model_copy(update={"related_to": ("product",)})
    procedure = facts(related_to_product="not_related", related_to_procedure="definite")
    assert procedure.susar(product_only) is False


def _correct(clinic: Any, event_id: int, version: int, **changes: Any) -> Any:
    data = AdverseEventIn(**(MENINGITIS | changes))
    return records.correct(
        clinic.db, clinic["chen"], ADVERSE_EVENT, event_id,
        Correction(record=data, version=version, reason="Follow-up information"),
    )  # fmt: skip


def test_an_event_that_becomes_a_susar_by_correction_starts_its_clock_that_day(
    clinic: Any, event: Any, clock: Any
) -> None:
    expected = event(**(MENINGITIS | {"expectedness": "expected"}))  # aware 4 Nov, not a SUSAR
    assert reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 20)) == []
    # On 20 Nov the reference information turns out not to list it: from today, a SUSAR.
    now_susar = _correct(clinic, expected.id, expected.version)
    assert now_susar.susar
    [due] = reporting_status(clinic.db, clinic["chen"], on=date(2026, 12, 5))
    assert (due.report, due.due_on, due.state) == ("initial", date(2026, 12, 5), "due")
    [overdue] = reporting_status(clinic.db, clinic["chen"], on=date(2026, 12, 6))
    assert overdue.state == "overdue"


def test_a_susar_that_becomes_life_threatening_after_its_initial_report_is_reported_again(
    clinic: Any, event: Any, clock: Any
) -> None:
    clock.move_to(datetime(2026, 11, 8, 12, tzinfo=UTC), tick=False)
    susar = event(**MENINGITIS)  # aware 4 Nov: initial due 19 Nov
    initial = ReportIn(
        report="initial", submitted_on=date(2026, 11, 8), submitted_to="MHRA", password=SECRET
    )
    record_report(clinic.db, clinic["chen"], susar.id, initial)
    with pytest.raises(InvalidInput, match="this SUSAR needs initial only"):
        record_report(
            clinic.db, clinic["chen"], susar.id, initial.model_copy(update={"report": "follow_up"})
        )
    clock.move_to(datetime(2026, 11, 12, 12, tzinfo=UTC), tick=False)
    worse = _correct(
        clinic, susar.id, susar.version, grade=4,
        serious_criteria=["hospitalisation", "life_threatening"],
    )  # fmt: skip
    status = reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 20))
    assert [(r.report, r.due_on, r.state) for r in status] == [
        ("initial", date(2026, 11, 19), "on_time"),
        ("follow_up", date(2026, 11, 19), "overdue"),
        ("full", date(2026, 11, 27), "due"),
    ]
    clock.move_to(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)
    follow_up = initial.model_copy(
        update={"report": "follow_up", "submitted_on": date(2026, 11, 20)}
    )
    record_report(clinic.db, clinic["chen"], worse.id, follow_up)
    status = reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 20))
    assert [(r.report, r.state) for r in status] == [
        ("initial", "on_time"), ("follow_up", "late"), ("full", "due"),
    ]  # fmt: skip


def test_a_susar_life_threatening_before_its_initial_report_needs_it_by_the_earlier_clock(
    clinic: Any, event: Any, clock: Any
) -> None:
    clock.move_to(datetime(2026, 11, 6, 12, tzinfo=UTC), tick=False)
    susar = event(**MENINGITIS)  # aware 4 Nov: initial due 19 Nov on the 15-day clock
    _correct(
        clinic, susar.id, susar.version, grade=4,
        serious_criteria=["hospitalisation", "life_threatening"],
    )  # fmt: skip
    status = reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 6))
    # Known life-threatening on 6 Nov: the 7-day clock (13 Nov) comes before 19 Nov.
    assert [(r.report, r.due_on) for r in status] == [
        ("initial", date(2026, 11, 13)),
        ("full", date(2026, 11, 21)),
    ]


def test_a_correction_that_downgrades_a_susar_keeps_its_clock_and_flags_the_report(
    clinic: Any, event: Any, clock: Any
) -> None:
    susar = event(**MENINGITIS)  # aware 4 Nov: initial due 19 Nov, overdue on the 20th
    [overdue] = reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 20))
    assert (overdue.state, overdue.downgraded) == ("overdue", False)
    unlikely = _correct(clinic, susar.id, susar.version, related_to_product="unlikely",
                        related_to_procedure="unlikely")  # fmt: skip
    assert unlikely.susar is False
    [kept] = reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 20))
    assert (kept.adverse_event_id, kept.report, kept.state, kept.downgraded) == (
        unlikely.id, "initial", "overdue", True,
    )  # fmt: skip
    sent = ReportIn(
        report="initial", submitted_on=date(2026, 11, 20), submitted_to="MHRA", password=SECRET
    )
    record_report(clinic.db, clinic["chen"], unlikely.id, sent)
    [late] = reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 20))
    assert late.state == "late"


def test_a_correction_counts_its_clock_from_the_day_its_information_arrived(
    clinic: Any, event: Any, clock: Any
) -> None:
    expected = event(**(MENINGITIS | {"expectedness": "expected"}))
    # Entered on 20 Nov, but the information came on 10 Nov: the 15 days run from the 10th.
    susar = _correct(clinic, expected.id, expected.version, information_on=date(2026, 11, 10))
    assert susar.information_on == date(2026, 11, 10)
    [due] = reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 20))
    assert due.due_on == date(2026, 11, 25)
    with pytest.raises(InvalidInput) as caught:
        _correct(clinic, susar.id, susar.version, information_on=date(2026, 11, 3))
    assert caught.value.fields[0].field == "information_on"


def test_an_upgrade_on_the_day_the_initial_report_went_needs_a_follow_up_after_it(
    clinic: Any, event: Any, clock: Any
) -> None:
    clock.move_to(datetime(2026, 11, 8, 12, tzinfo=UTC), tick=False)
    susar = event(**MENINGITIS)
    initial = ReportIn(
        report="initial", submitted_on=date(2026, 11, 8), submitted_to="MHRA", password=SECRET
    )
    record_report(clinic.db, clinic["chen"], susar.id, initial)
    worse = _correct(
        clinic, susar.id, susar.version, grade=4,
        serious_criteria=["hospitalisation", "life_threatening"],
    )  # fmt: skip
    status = reporting_status(clinic.db, clinic["chen"], on=date(2026, 11, 8))
    assert [r.report for r in status] == ["initial", "follow_up", "full"]
    with pytest.raises(InvalidInput, match="tells of the upgrade on 2026-11-08: not before it"):
        record_report(
            clinic.db, clinic["chen"], worse.id,
            initial.model_copy(update={"report": "follow_up", "submitted_on": date(2026, 11, 7)}),
        )  # fmt: skip
    with pytest.raises(InvalidInput, match="the full report follows the initial one"):
        record_report(
            clinic.db, clinic["chen"], worse.id,
            initial.model_copy(update={"report": "full", "submitted_on": date(2026, 11, 7)}),
        )  # fmt: skip


def test_an_upgrade_on_the_day_of_awareness_after_the_initial_report_still_needs_a_follow_up(
    clinic: Any, event: Any
) -> None:
    today = date(2026, 11, 20)
    susar = event(**(MENINGITIS | {"onset_date": today, "aware_on": today}))
    initial = ReportIn(report="initial", submitted_on=today, submitted_to="MHRA", password=SECRET)
    record_report(clinic.db, clinic["chen"], susar.id, initial)
    _correct(
        clinic, susar.id, susar.version, grade=4, onset_date=today, aware_on=today,
        serious_criteria=["hospitalisation", "life_threatening"],
    )  # fmt: skip
    status = reporting_status(clinic.db, clinic["chen"], on=today)
    assert [(r.report, r.due_on) for r in status] == [
        ("initial", date(2026, 11, 27)),
        ("follow_up", date(2026, 11, 27)),
        ("full", date(2026, 12, 5)),
    ]
