"""The patients page lists the patients of the user's sites with their latest ALSFRS-R total,
King's stage and status, searched by study id, filtered and paginated; a patient's page shows
their timeline as a table."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.patients import PatientIn, register_patient
from alstrack.web.patient_rows import PAGE_SIZE


def _study_ids(html: str) -> list[str]:
    return re.findall(r'<th scope="row">(?:<a href="[^"]+">)?([A-Z]+-\d+)', html)


def test_it_lists_the_patients_of_the_users_sites_with_their_latest_scores(
    browser: Any, clinic: Any, pat: Any, alsfrs: Any
) -> None:
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 1)))
    later = alsfrs(date(2024, 5, 1), q1=1, q2=1, q3=1)
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, later)
    south = register_patient(clinic.db, clinic["sami"], PatientIn(site_id=clinic.sites["SOUTH"]))
    page = browser("alice").get("/clinic/patients").text
    assert _study_ids(page) == [pat.study_id]
    assert "30/48 <small>(2024-05-01)</small>" in page  # the latest, not the first
    assert "<td>bulbar</td>" in page
    assert _study_ids(browser("sami").get("/clinic/patients").text) == [south.study_id]
    assert _study_ids(browser("aude").get("/clinic/patients").text) == [
        pat.study_id,
        south.study_id,
    ]


def test_it_searches_by_study_id_and_filters_by_site_stage_and_status(
    browser: Any, clinic: Any, pat: Any, alsfrs: Any
) -> None:
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 1)))
    other = register_patient(clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"]))
    records.add(
        clinic.db,
        clinic["alice"],
        MILESTONE,
        other.id,
        MilestoneIn(kind="death", occurred_on=date(2024, 6, 1)),
    )
    client = browser("aude")
    assert _study_ids(client.get("/clinic/patients", params={"q": "00002"}).text) == [
        other.study_id
    ]
    assert _study_ids(client.get("/clinic/patients", params={"site": "SOUTH"}).text) == []
    kings = client.get("/clinic/patients", params={"kings": "4"}).text
    assert _study_ids(kings) == [pat.study_id]
    died = client.get("/clinic/patients", params={"status": "died"}).text
    assert _study_ids(died) == [other.study_id]
    refused = client.get("/clinic/patients", params={"site": "ELSEWHERE"})
    assert refused.status_code == 422
    assert "choose one of NORTH, SOUTH" in refused.text


def test_it_pages_a_long_list(browser: Any, clinic: Any) -> None:
    for _ in range(PAGE_SIZE + 2):
        register_patient(clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"]))
    client = browser("alice")
    first = client.get("/clinic/patients").text
    assert len(_study_ids(first)) == PAGE_SIZE
    assert f"{PAGE_SIZE + 2} patients, page 1 of 2." in first
    assert 'rel="next"' in first
    second = client.get("/clinic/patients", params={"page": 2}).text
    assert len(_study_ids(second)) == 2
    assert 'rel="prev"' in second


def test_a_patients_page_shows_the_timeline_and_another_sites_patient_is_not_found(
    browser: Any, clinic: Any, pat: Any, alsfrs: Any
) -> None:
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 2, 1)))
    page = browser("alice").get(f"/clinic/patients/{pat.id}").text
    assert "<td>2024-02-01</td><td>instrument assessment</td>" in page
    assert "ALSFRS-R 36/48" in page
    assert "Symptom onset (bulbar)" in page
    elsewhere = browser("sami").get(f"/clinic/patients/{pat.id}")
    assert elsewhere.status_code == 404
    assert f"No patient {pat.id}." in elsewhere.text


def test_markup_in_a_record_is_shown_as_text(
    browser: Any, clinic: Any, pat: Any, alsfrs: Any
) -> None:
    hostile = alsfrs(date(2024, 2, 1), by='<script>alert("x")</script>')
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, hostile)
    page = browser("alice").get(f"/clinic/patients/{pat.id}").text
    assert "<script" not in page
    assert "&lt;script&gt;" in page
