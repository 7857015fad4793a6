"""GET /cohort/report.html and /cohort/report.pdf: media types, the PDF as an attachment named
after the site and cut-off, the query passed on, and who may see them.

Maria (conftest) is the one treated patient: the model is refused, the report is not."""

from __future__ import annotations

from typing import Any

import pytest
from report_reading import html_text, pdf_text, words

from alstrack.services.cohort_outcomes import CAVEAT

QUERY = {"on": "2027-05-10", "site": "NORTH", "bootstrap_resamples": 100}


def test_the_cohort_report_takes_the_cut_off_and_site_and_comes_as_html_or_pdf(
    api: Any, followed: Any
) -> None:
    page = api("olga").get("/cohort/report.html", params=QUERY)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "content-disposition" not in page.headers
    text = html_text(page.text)
    assert "The treated patients at NORTH" in text
    assert "No estimate. The cohort model cannot be fitted to the 1 treated patient" in text
    pdf = api("olga").get("/cohort/report.pdf", params=QUERY)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        'attachment; filename="cohort-report-NORTH-2027-05-10.pdf"'
    )
    assert words(CAVEAT) in pdf_text(pdf.content)


def test_the_cohort_report_needs_permission_and_a_token(api: Any, followed: Any) -> None:
    for document in ("report.html", "report.pdf"):
        assert api("ben").get(f"/cohort/{document}").status_code == 403
        assert api("adam").get(f"/cohort/{document}").status_code == 403
        assert api(None).get(f"/cohort/{document}").status_code == 401


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("site", "EAST"),
        ("on", "yesterday"),
        ("responder_threshold", 0),
        ("bootstrap_resamples", 5),
        ("external_cohort", "PRO-ACT"),
    ],
)
def test_a_value_out_of_range_is_refused_naming_the_parameter(
    api: Any, followed: Any, name: str, value: object
) -> None:
    answer = api("olga").get("/cohort/report.html", params={name: value})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == name
