"""The progress report marks Maria's milestones and adverse events on every figure over time and
lists them, tells a serious event apart, and says so when the reader may not see adverse events.

Maria (conftest): dosed on 1 Nov 2026 and followed to 10 May 2027, with a fall on 30 Oct 2026,
a headache after her dose on 2 Nov and aseptic meningitis needing hospital (serious) on 4 Nov;
she started NIV on 1 Apr 2027 and had a gastrostomy on 6 May 2027.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from report_reading import figures, html_text, words

from alstrack.domain import permissions
from alstrack.services import records
from alstrack.services.context import Actor
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.patient_documents import patient_report

MEASURES = ("alsfrs_r_total", "fvc_percent_predicted", "weight_kg", "alsfrs_r_subscores")


@pytest.fixture
def marked(clinic: Any, with_events: Any, followed: Any) -> Any:
    """Maria's adverse events (recorded ten days after her dose), then her visits to 10 May
    2027 (pytest sets up the fixtures in this order), then her two milestones."""
    for kind, on in (("niv_start", date(2027, 4, 1)), ("gastrostomy", date(2027, 5, 6))):
        records.add(
            clinic.db, clinic["alice"], MILESTONE, followed.patient_id,
            MilestoneIn(kind=kind, occurred_on=on),
        )  # fmt: skip
    return followed


def page_of(clinic: Any, patient_id: int, actor: Actor) -> str:
    return patient_report(clinic.db, actor, patient_id, fmt="html").content.decode()


def figure_text(figure: str) -> str:
    """The words a figure draws, its note included (wrapped over several lines)."""
    return words(" ".join(re.findall(r">([^<>]+)<", figure)))


def element(figure: str, prefix: str, gid: str) -> str:
    """The group the figure drew with ``gid``."""
    found = re.search(rf'<g id="{prefix}-{gid}">(.*?)</g>', figure, flags=re.DOTALL)
    assert found is not None, gid
    return found.group(1)


def test_every_figure_over_time_marks_each_milestone_and_adverse_event_with_its_label(
    clinic: Any, marked: Any
) -> None:
    page = page_of(clinic, marked.patient_id, clinic["chen"])
    drawn = {key: f for f in figures(page) for key in MEASURES if f'id="{key}-observed"' in f}
    drawn["alsfrs_r_subscores"] = next(f for f in figures(page) if "alsfrs_r_subscores-" in f)
    assert set(drawn) == set(MEASURES)
    for key, figure in drawn.items():
        assert 'id="' + key + '-milestone-niv_start"' in figure
        assert "NIV start" in element(figure, key, "milestone-niv_start-label")
        assert "Gastrostomy" in element(figure, key, "milestone-gastrostomy-label")
        assert "AE 1" in element(figure, key, "adverse-event-1-label")
        assert "AE 2" in element(figure, key, "adverse-event-2-label")
        assert "SAE 3" in element(figure, key, "serious-adverse-event-3-label")
        assert 'id="' + key + '-adverse-event-3"' not in figure
    # The marks widen no id into a duplicate, and the page is the same for the same data.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert page_of(clinic, marked.patient_id, clinic["chen"]) == page


def test_a_serious_adverse_event_is_drawn_filled_and_an_other_one_open(
    clinic: Any, marked: Any
) -> None:
    alsfrs = figures(page_of(clinic, marked.patient_id, clinic["chen"]))[0]
    serious = element(alsfrs, "alsfrs_r_total", "serious-adverse-event-3")
    other = element(alsfrs, "alsfrs_r_total", "adverse-event-2")
    assert "fill: #8c510a" in serious
    assert "fill: #ffffff" in other
    label = element(alsfrs, "alsfrs_r_total", "serious-adverse-event-3-label")
    assert "font-weight: 700" in label
    assert "marked: 2 milestones, 3 adverse events (1 serious)" in figure_text(alsfrs)


def test_the_report_lists_milestones_and_adverse_events_with_dates_months_and_grades(
    clinic: Any, marked: Any
) -> None:
    text = html_text(page_of(clinic, marked.patient_id, clinic["chen"]))
    assert "NIV start 2027-04-01 5.0" in text
    assert "Gastrostomy 2027-05-06 6.1" in text
    assert "AE 1 2026-10-30 −0.1 Fall 2 no" in text
    assert "AE 2 2026-11-02 0.0 Post-lumbar puncture headache 2 no" in text
    assert "SAE 3 2026-11-04 0.1 Aseptic meningitis 3 yes: hospitalisation" in text
    assert "Dash-dot vertical lines: milestones." in text
    assert "Triangles under the values: adverse events at onset" in text


def test_a_role_that_may_not_read_adverse_events_is_told_they_are_not_shown(
    clinic: Any, marked: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No built-in role reads assessments but not adverse events; the matrix is data, so one
    that does is made up here: the report must say what it leaves out, not leave it silently."""
    reading = {"sites.read", "patients.read", "assessments.read", "products.read"}
    monkeypatch.setitem(permissions.MATRIX, "registrar", frozenset(reading))
    chen = clinic["chen"]
    rosa = Actor(chen.user_id, "rosa", "Rosa Lee", "registrar", chen.site_ids)
    page = page_of(clinic, marked.patient_id, rosa)
    text = html_text(page)
    statement = "Adverse events are not shown: the registrar role may not read them (safety.read)."
    assert statement in text
    assert "Aseptic meningitis" not in text
    assert "adverse-event" not in page
    for figure in figures(page)[:4]:  # the three measures and the subscores
        assert "adverse events not shown for this role" in figure_text(figure)
    assert "NIV start 2027-04-01" in text  # milestones are the patient's record: shown
