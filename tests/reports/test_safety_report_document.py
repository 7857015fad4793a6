"""The safety report as a document: every count with its exact interval, every serious event
listed, events before treatment apart, the caveat; the same document for the same data.

Maria (conftest) had a fall before her intrathecal dose on 1 Nov 2026, then a headache linked
to the dose and aseptic meningitis needing hospital (serious, a SUSAR).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from report_reading import figures, html_text, pdf_text, words

from alstrack.errors import InvalidInput, PermissionDenied
from alstrack.services.safety_documents import safety_report_document
from alstrack.services.safety_report import CAVEAT

CUT_OFF = date(2026, 11, 10)


def report(clinic: Any, fmt: str = "html", by: str = "chen", **given: Any) -> Any:
    return safety_report_document(
        clinic.db,
        clinic[by],
        fmt=fmt,  # type: ignore[arg-type]
        **({"on": CUT_OFF} | given),
    )


def test_the_html_counts_every_event_with_exact_intervals_and_lists_the_serious_one(
    clinic: Any, with_events: Any
) -> None:
    text = html_text(report(clinic).content.decode())
    assert "with onset up to the data cut-off 2026-11-10" in text
    # Route · source, patients, doses, events, serious, SUSARs, then three proportions: one of
    # one patient is 100% with the exact interval 2.5% to 100%.
    cell = "1 of 1 (100.0%) 2.5% to 100.0%"
    row = f"1 1 2 1 1 {cell} {cell} {cell}"
    assert f"Intrathecal (IT) · Allogeneic umbilical-cord MSC {row}" in text
    assert f"All treated patients {row}" in text
    assert "Every serious adverse event (1)" in text
    assert (
        "Aseptic meningitis 2026-11-04 3 hospitalisation probable possible unexpected yes "
        "recovering dose 1, intrathecal, Allogeneic umbilical-cord MSC" in text
    )
    assert "Post-lumbar puncture headache" not in text  # counted, not serious: not listed
    assert "1 adverse event of the treated patients began before their first dose" in text
    assert words(CAVEAT) in text
    assert "synthetic" not in text.lower()


def test_the_figure_is_inline_svg_and_states_the_cut_off_and_n(
    clinic: Any, with_events: Any
) -> None:
    page = report(clinic).content.decode()
    [figure] = figures(page)
    assert 'id="safety-row-0"' in figure  # the overall row, plotted with its interval
    caption = html_text(page.split(figure, 1)[1].split("</figcaption>", 1)[0])
    assert "Data cut-off 2026-11-10; n = patients treated in each row (overall 1)" in caption
    assert "exact (Clopper-Pearson) 95% intervals" in caption


def test_the_pdf_parses_and_holds_the_caveat(clinic: Any, with_events: Any) -> None:
    document = report(clinic, "pdf")
    assert document.filename == "safety-report-2026-11-10.pdf"
    text = pdf_text(document.content)
    assert words(CAVEAT) in text
    assert "Aseptic meningitis" in text


def test_the_same_data_give_the_same_pdf_bytes(clinic: Any, with_events: Any) -> None:
    assert report(clinic, "pdf").content == report(clinic, "pdf").content


def test_another_sites_user_sees_none_of_these_patients(clinic: Any, with_events: Any) -> None:
    text = html_text(report(clinic, by="sami").content.decode())
    assert "No patient was treated up to the data cut-off: nothing to count." in text
    assert "Aseptic meningitis" not in text
    assert "Every serious adverse event (0)" in text


def test_a_role_without_safety_read_is_refused(clinic: Any, with_events: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"safety\.read"):
        report(clinic, by="ben")


def test_an_unknown_site_code_is_refused_naming_the_codes(clinic: Any, with_events: Any) -> None:
    with pytest.raises(InvalidInput, match="NORTH, SOUTH"):
        report(clinic, site_code="EAST")


def test_one_sites_report_is_named_after_it(clinic: Any, with_events: Any) -> None:
    document = report(clinic, site_code="NORTH")
    assert document.filename == "safety-report-NORTH-2026-11-10.html"
    assert "at NORTH" in html_text(document.content.decode())
