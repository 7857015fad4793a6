"""A product's label: the DIN a person reads and the bar code a scanner reads agree with ISBT 128.

The rendering tests need no database: a label is made from a LabelView. The service tests print
Maria's own cells (document_cast) and a lot of donor UC-0001.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from html import escape as html_escape
from typing import Any

import pytest
from barcode.charsets import code128
from barcode.codex import Code128
from barcode.writer import SVGWriter
from document_cast import MARIA_IDENTIFIERS, stored_autologous
from pypdf import PdfReader

from alstrack.domain.isbt128 import check_character, flag, format_din, parse_din
from alstrack.reports.barcodes import BAR_CODE_OPTIONS, din_bar_code_data
from alstrack.reports.pdf import html_to_pdf
from alstrack.reports.render import label_html
from alstrack.reports.views import LabelView
from alstrack.services.chain_of_identity import eye_readable_chain
from alstrack.services.product_documents import product_label
from alstrack.services.product_views import ProductOut

EXAMPLE = "G123417654321"  # ST-001 Appendix A: check character A, flag 70
LOT = LabelView(
    din=EXAMPLE,
    kind="allogeneic",
    product="Allogeneic umbilical-cord MSC",
    cell_source="allogeneic_uc_msc",
    specification_version="1.0",
    expires_at=datetime(2027, 11, 1, 10, 0, tzinfo=UTC),
    donor_code="UC-0001",
    vials=20,
    viable_cells_per_vial=5e7,
)
MM_PER_POINT = 25.4 / 72


def svg_of(html: str) -> ET.Element:
    [svg] = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    return ET.fromstring(svg)


def bars(svg: ET.Element) -> list[tuple[str, str]]:
    """(x, width) of every bar, the white background left out."""
    return [
        (rect.attrib["x"], rect.attrib["width"])
        for rect in svg.iter("{http://www.w3.org/2000/svg}rect")
        if "x" in rect.attrib
    ]


def modules(svg: ET.Element) -> str:
    """The bar code as modules, 1 dark and 0 light, read off the drawing."""
    width = BAR_CODE_OPTIONS["module_width"]
    quiet = BAR_CODE_OPTIONS["quiet_zone"]
    count = round((float(svg.attrib["width"].removesuffix("mm")) - 2 * quiet) / width)
    dark = ["0"] * count
    for x, w in bars(svg):
        first = round((float(x.removesuffix("mm")) - quiet) / width)
        wide = round(float(w.removesuffix("mm")) / width)
        dark[first : first + wide] = ["1"] * wide
    return "".join(dark)


def decode_code128(pattern: str) -> str:
    """Read a Code 128 symbol (ISO/IEC 15417): start, data, checksum and stop; code sets B, C."""
    assert pattern.endswith(code128.STOP + "11"), "no stop pattern"
    values = [code128.CODES.index(pattern[i : i + 11]) for i in range(0, len(pattern) - 13, 11)]
    start, *data, checksum = values
    assert checksum == (start + sum(i * v for i, v in enumerate(data, 1))) % 103
    code_set = {104: "B", 105: "C"}[start]
    text = ""
    for value in data:
        if code_set == "B" and value == 99:
            code_set = "C"
        elif code_set == "C" and value == 100:
            code_set = "B"
        elif code_set == "C":
            text += f"{value:02d}"
        else:
            assert value < 95, f"unexpected control value {value}"
            text += chr(value + 32)
    return text


@pytest.fixture(scope="module")
def lot_pdf() -> bytes:
    return html_to_pdf(label_html(LOT))


@pytest.fixture
def maria_product(
    clinic: Any, maria: Any, qa: Any, clock: Any, facility: str, step: Any, results: Any
) -> ProductOut:
    return stored_autologous(clinic, maria, clock, step, results)


@pytest.mark.parametrize("din", [EXAMPLE, "G123426000001", "W000024123456", "A999926999999"])
def test_the_label_shows_the_eye_readable_din_and_its_check_character_in_a_box(din: str) -> None:
    html = label_html(LabelView(**(LOT.__dict__ | {"din": din})))
    code = parse_din(din)
    assert f'<span class="eye-readable">{format_din(code)}</span>' in html
    assert f'<span class="check" title="check character">{check_character(code)}</span>' in html
    assert "border: 0.35mm solid #000" in html  # .check draws the box


def test_the_published_example_prints_g1234_17_654321_with_check_character_a_and_flag_70() -> None:
    html = label_html(LOT)
    assert '<span class="eye-readable">G1234 17 654321</span>' in html
    assert '<span class="flags" title="flag characters">70</span>' in html
    assert '<span class="check" title="check character">A</span>' in html


def test_the_bar_code_is_what_python_barcode_draws_for_the_din_and_its_flags() -> None:
    data = "=" + EXAMPLE + flag(EXAMPLE)
    assert data == "=G12341765432170" == din_bar_code_data(EXAMPLE)
    drawn = Code128(data, writer=SVGWriter()).render(BAR_CODE_OPTIONS)
    expected = ET.fromstring(drawn.decode().split("?>", 1)[1].split(">", 1)[1].strip())
    assert bars(svg_of(label_html(LOT))) == bars(expected) != []


@pytest.mark.parametrize("din", [EXAMPLE, "G123426000001", "W000024123456"])
def test_the_bar_code_reads_back_as_the_din_with_matching_check_flags(din: str) -> None:
    read = decode_code128(modules(svg_of(label_html(LabelView(**(LOT.__dict__ | {"din": din}))))))
    assert read == f"={din}{flag(din)}"
    assert str(parse_din(read)) == din


def test_the_expiry_is_printed_in_utc_and_labelled_so() -> None:
    plus_two = timezone(timedelta(hours=2))
    html = label_html(
        LabelView(**(LOT.__dict__ | {"expires_at": datetime(2027, 3, 1, 1, 30, tzinfo=plus_two)}))
    )
    assert "Expires (UTC)" in html
    assert "2027-02-28 23:30 UTC" in html


def test_an_allogeneic_label_names_its_donor_and_does_not_say_autologous_use() -> None:
    html = label_html(LOT)
    assert "UC-0001" in html
    assert "Allogeneic umbilical-cord MSC" in html
    assert "AUTOLOGOUS USE" not in html.upper()


def test_the_label_pdf_is_one_label_sized_page_that_holds_the_din(lot_pdf: bytes) -> None:
    assert lot_pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(lot_pdf))
    [page] = reader.pages
    width, height = (float(v) * MM_PER_POINT for v in (page.mediabox.width, page.mediabox.height))
    assert (round(width), round(height)) == (100, 70)
    text = page.extract_text()
    assert "G1234 17 654321" in text
    assert "UC-0001" in text


def test_an_autologous_label_says_for_autologous_use_only_and_names_the_patient_by_study_id(
    clinic: Any, maria_product: ProductOut
) -> None:
    label = product_label(clinic.db, clinic["nina"], maria_product.din, fmt="html")
    html = label.content.decode()
    assert label.media_type == "text/html; charset=utf-8"
    assert "FOR AUTOLOGOUS USE ONLY" in html
    assert maria_product.patient_study_id is not None
    assert maria_product.patient_study_id in html
    assert "Autologous bone-marrow MSC" in html
    assert maria_product.expires_at is not None
    assert maria_product.expires_at.strftime("%Y-%m-%d %H:%M UTC") in html
    assert maria_product.chain_of_identity is not None
    assert html_escape(eye_readable_chain(maria_product.chain_of_identity)) in html


def test_the_chain_of_identity_is_printed_when_the_product_has_one() -> None:
    assert "Chain of identity" not in label_html(LOT)
    html = label_html(LabelView(**(LOT.__dict__ | {"chain_of_identity": "G123426000007"})))
    assert "Chain of identity" in html
    assert "G123426000007" in html


def test_a_label_shows_no_patient_name_birth_date_or_record_number(
    clinic: Any, maria_product: ProductOut
) -> None:
    html = product_label(clinic.db, clinic["nina"], maria_product.din, fmt="html").content.decode()
    pdf = product_label(clinic.db, clinic["nina"], maria_product.din, fmt="pdf").content
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert format_din(parse_din(maria_product.din)) in text
    without_bar_code = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.DOTALL)
    for identifier in (*MARIA_IDENTIFIERS, "1976"):
        assert identifier not in without_bar_code
        assert identifier not in text


def test_the_label_of_a_lot_comes_from_the_service_without_the_autologous_line(
    clinic: Any, lot: Callable[..., ProductOut]
) -> None:
    product = lot()
    html = product_label(clinic.db, clinic["sami"], product.din, fmt="html").content.decode()
    assert "UC-0001" in html
    assert "FOR AUTOLOGOUS USE ONLY" not in html
    assert f'<span class="eye-readable">{product.eye_readable}</span>' in html
