"""The chain-of-custody report of a product: every event in order, who, where, how cold, signed.

Maria's product (document_cast) went from her order to the clinic's dewar with a temperature
excursion disposed "use as is" and a signed release; the report is read back as HTML and as
PDF text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from document_cast import (
    AFTER_RELEASE,
    COLLECTED,
    MARIA_IDENTIFIERS,
    PATH,
    RELEASED,
    stored_autologous,
)
from pypdf import PdfReader

from alstrack.errors import InvalidInput, NotFound, PermissionDenied
from alstrack.reports.render import custody_report_html
from alstrack.reports.views import CustodyEvent, CustodyView, LabelView
from alstrack.services.product_documents import custody_report, product_label
from alstrack.services.product_views import ProductOut

Stored = Callable[[], dict[str, int]]
STEPS = ["register", *(s for s, *_ in PATH), "release", *(s for s, *_ in AFTER_RELEASE)]


@pytest.fixture
def maria_product(
    clinic: Any, maria: Any, qa: Any, clock: Any, facility: str, step: Any, results: Any
) -> ProductOut:
    return stored_autologous(clinic, maria, clock, step, results)


def rows(html: str, table: str) -> list[str]:
    """The body rows of one table of the report, tags stripped, cells joined by " | "."""
    body = re.search(rf'<table class="{table}">.*?<tbody>(.*?)</tbody>', html, re.DOTALL)
    assert body is not None, f"no {table} table"
    return [
        " | ".join(
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).replace(" ,", ",").strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
        )
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.DOTALL)
    ]


def report_of(clinic: Any, din: str, by: str = "alice") -> str:
    return custody_report(clinic.db, clinic[by], din, fmt="html").content.decode()


def test_the_report_lists_every_event_in_order_with_who_when_where_and_temperature(
    clinic: Any, maria_product: ProductOut
) -> None:
    events = rows(report_of(clinic, maria_product.din), "events")
    assert len(events) == len(STEPS)
    step_words = [e.split(" | ")[1] for e in events]
    assert step_words == [
        s.replace("_", " ").replace("start qc", "start QC testing") for s in STEPS
    ]
    ship_to_lab = events[STEPS.index("ship_to_lab")]
    assert "ben" in ship_to_lab
    assert "collected → shipped to lab" in ship_to_lab
    assert "insulated box" in ship_to_lab
    assert "4.0 °C" in ship_to_lab
    assert "2026-11-02 12:24 UTC" in ship_to_lab  # 0.1 day after the collection
    ship_to_clinic = events[STEPS.index("ship_to_clinic")]
    assert "−160.0 °C" in ship_to_clinic
    assert "dry shipper" in ship_to_clinic
    received = events[STEPS.index("receive_at_clinic")]
    assert "nina" in received
    assert "Cell lab → —" in received
    assert "— → Clinic LN2 dewar" in events[STEPS.index("store")]


def test_the_release_event_shows_the_qa_signature_with_its_meaning(
    clinic: Any, maria_product: ProductOut
) -> None:
    release = rows(report_of(clinic, maria_product.din), "events")[STEPS.index("release")]
    assert "QC testing → released" in release
    assert "quinn" in release
    assert (
        "Quinn Adler (quinn, qa): released, " + RELEASED.strftime("%Y-%m-%d %H:%M UTC") in release
    )


def test_the_report_shows_every_qc_judgement_with_who_entered_the_result(
    clinic: Any, maria_product: ProductOut
) -> None:
    html = report_of(clinic, maria_product.din)
    qc = rows(html, "qc")
    viability = next(line for line in qc if line.startswith("Viability |"))
    assert viability.split(" | ")[1:4] == ["92", "≥ 70%", "pass"]
    assert "ben," in viability
    assert all(line.split(" | ")[3] == "pass" for line in qc)
    assert "Release blockers" not in html


def test_the_report_shows_the_deviation_its_disposition_and_the_signature(
    clinic: Any, maria_product: ProductOut
) -> None:
    [deviation] = rows(report_of(clinic, maria_product.din), "deviations")
    cells = deviation.split(" | ")
    assert cells[:2] == ["temperature excursion", "Box read 9.5 °C on arrival"]
    assert cells[2].startswith("ben, ")
    assert cells[3:6] == ["closed", "use as is", "Within the validated shipping window"]
    assert cells[6].startswith("quentin, ")
    assert cells[7].startswith("Quentin Roy (quentin, qa): approved, ")


def test_the_report_gives_the_turnaround_from_collection_to_release_and_when_it_was_made(
    clinic: Any, maria_product: ProductOut
) -> None:
    html = report_of(clinic, maria_product.din, by="olga")
    assert "Collection to release: <strong>21.5 days</strong>" in html
    generated = (COLLECTED + timedelta(days=30)).strftime("%Y-%m-%d %H:%M UTC")
    assert f"Generated {generated} by olga." in html


def test_the_report_holds_no_patient_name_birth_date_or_record_number(
    clinic: Any, maria_product: ProductOut
) -> None:
    html = report_of(clinic, maria_product.din)
    pdf = custody_report(clinic.db, clinic["alice"], maria_product.din, fmt="pdf").content
    assert pdf.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert maria_product.eye_readable in text
    assert maria_product.patient_study_id is not None
    assert maria_product.patient_study_id in html
    assert maria_product.patient_study_id in text
    for identifier in (*MARIA_IDENTIFIERS, "1976"):
        assert identifier not in html
        assert identifier not in text


def test_another_sites_user_is_told_not_found_and_a_role_without_products_read_is_refused(
    clinic: Any, maria_product: ProductOut
) -> None:
    with pytest.raises(NotFound, match="No product"):
        custody_report(clinic.db, clinic["sami"], maria_product.din, fmt="html")
    with pytest.raises(PermissionDenied, match=r"products\.read"):
        custody_report(clinic.db, clinic["adam"], maria_product.din, fmt="html")
    with pytest.raises(InvalidInput, match="choose html or pdf"):
        custody_report(clinic.db, clinic["alice"], maria_product.din, fmt="docx")  # type: ignore[arg-type]


def test_reading_the_report_and_the_label_changes_nothing_and_audits_the_two_exports(
    clinic: Any, lot: Callable[..., ProductOut], stored: Stored
) -> None:
    product = lot()
    before = stored()
    custody_report(clinic.db, clinic["olga"], product.din, fmt="html")
    product_label(clinic.db, clinic["olga"], product.din, fmt="html")
    after = stored()
    assert after.pop("audit_log") == before.pop("audit_log") + 2
    assert after == before


def test_a_lot_without_a_collection_says_why_it_has_no_turnaround(
    clinic: Any, lot: Callable[..., ProductOut]
) -> None:
    html = report_of(clinic, lot().din, by="sami")
    assert "an allogeneic lot has no collection step" in html
    assert "UC-0001" in html
    assert "eligible" in html
    assert "No deviations." in html


def test_text_people_typed_is_shown_as_text_not_markup() -> None:
    at = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    label = LabelView(
        din="G123417654321",
        kind="allogeneic",
        product="Allogeneic umbilical-cord MSC",
        cell_source="allogeneic_uc_msc",
        specification_version="1.0",
        expires_at=None,
        donor_code="UC-0001",
    )
    event = CustodyEvent(
        step="register",
        from_state=None,
        to_state="donor_screened",
        at=at,
        by="ben",
        from_location=None,
        to_location="<b>tank</b>",
        condition=None,
        temperature_c=None,
        note='<script>alert("x")</script>',
        recorded_at=at,
    )
    view = CustodyView(
        label=label,
        state="donor_screened",
        storage_location=None,
        created_at=at,
        donor_eligibility="eligible",
        events=(event,),
        qc=(),
        qc_note=None,
        blockers=(),
        deviations=(),
        turnaround_days=None,
        turnaround_note="an allogeneic lot has no collection step",
        generated_at=at,
        generated_by="olga",
    )
    html = custody_report_html(view)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "&lt;b&gt;tank&lt;/b&gt;" in html
