"""The report routes: media types, PDFs as attachments with a file name, and who may see them."""

from __future__ import annotations

from typing import Any

import pytest
from report_reading import html_text, pdf_text, words

from alstrack.services.outcomes import CAVEAT


@pytest.mark.parametrize(
    ("document", "media_type", "attachment"),
    [
        ("report.html", "text/html; charset=utf-8", False),
        ("report.pdf", "application/pdf", True),
    ],
)
def test_the_patient_report_answers_with_its_media_type_and_pdfs_as_attachments(
    api: Any, followed: Any, document: str, media_type: str, attachment: bool
) -> None:
    answer = api("olga").get(f"/patients/{followed.patient_id}/{document}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == media_type
    if attachment:
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="NORTH-')
        assert disposition.endswith('-progress-report.pdf"')
        assert words(CAVEAT) in pdf_text(answer.content)
    else:
        assert "content-disposition" not in answer.headers
        assert words(CAVEAT) in html_text(answer.text)


def test_the_patient_report_of_another_site_is_not_found_and_needs_a_permission(
    api: Any, followed: Any
) -> None:
    for document in ("report.html", "report.pdf"):
        answer = api("sami").get(f"/patients/{followed.patient_id}/{document}")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"
        assert api("ben").get(f"/patients/{followed.patient_id}/{document}").status_code == 403
        assert api(None).get(f"/patients/{followed.patient_id}/{document}").status_code == 401
    assert api("olga").get("/patients/999999/report.html").status_code == 404


def test_the_report_of_a_patient_with_nothing_measured_yet_says_so(api: Any, pat: Any) -> None:
    for document in ("report.html", "report.pdf"):
        answer = api("olga").get(f"/patients/{pat.id}/{document}")
        assert answer.status_code == 200, answer.text
    page = html_text(api("olga").get(f"/patients/{pat.id}/report.html").text)
    assert "No dose recorded" in page
    assert words(CAVEAT) in page


def test_the_safety_report_takes_the_cut_off_and_site_and_comes_as_html_or_pdf(
    api: Any, with_events: Any
) -> None:
    query = {"on": "2026-11-10", "site": "NORTH"}
    page = api("olga").get("/safety/report.html", params=query)
    assert page.status_code == 200, page.text
    assert "Aseptic meningitis" in html_text(page.text)
    pdf = api("olga").get("/safety/report.pdf", params=query)
    assert pdf.status_code == 200
    assert pdf.headers["content-disposition"] == (
        'attachment; filename="safety-report-NORTH-2026-11-10.pdf"'
    )
    assert pdf.content.startswith(b"%PDF-")


def test_the_safety_report_needs_safety_read_and_a_known_site(api: Any, with_events: Any) -> None:
    assert api("ben").get("/safety/report.html").status_code == 403
    unknown = api("olga").get("/safety/report.pdf", params={"site": "EAST"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"][0]["field"] == "site"
