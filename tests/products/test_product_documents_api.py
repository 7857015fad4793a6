"""The label and custody-report routes: media types, a file name for PDFs, and who may see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from document_cast import stored_autologous

from alstrack.services.product_views import ProductOut

ROUTES = ("label.html", "label.pdf", "custody-report.html", "custody-report.pdf")


@pytest.mark.parametrize(
    ("document", "media_type", "disposition"),
    [
        ("label.html", "text/html; charset=utf-8", None),
        ("label.pdf", "application/pdf", 'attachment; filename="{din}-label.pdf"'),
        ("custody-report.html", "text/html; charset=utf-8", None),
        (
            "custody-report.pdf",
            "application/pdf",
            'attachment; filename="{din}-custody-report.pdf"',
        ),
    ],
)
def test_each_document_answers_with_its_media_type_and_pdfs_with_a_file_name(
    api: Any,
    lot: Callable[..., ProductOut],
    document: str,
    media_type: str,
    disposition: str | None,
) -> None:
    din = lot().din
    response = api("olga").get(f"/products/{din}/{document}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    if disposition is None:
        assert "content-disposition" not in response.headers
        assert "G1234" in response.text
    else:
        assert response.headers["content-disposition"] == disposition.format(din=din)
        assert response.content.startswith(b"%PDF")


def test_the_documents_of_another_sites_product_are_not_found(
    api: Any, clinic: Any, maria: Any, qa: Any, clock: Any, facility: str, step: Any, results: Any
) -> None:
    din = stored_autologous(clinic, maria, clock, step, results).din
    assert api("alice").get(f"/products/{din}/label.html").status_code == 200
    for document in ROUTES:
        answer = api("sami").get(f"/products/{din}/{document}")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


def test_the_documents_need_a_token_products_read_and_a_known_din(
    api: Any, lot: Callable[..., ProductOut]
) -> None:
    din = lot().din
    assert api(None).get(f"/products/{din}/label.html").status_code == 401
    assert api("adam").get(f"/products/{din}/custody-report.html").status_code == 403
    assert api("olga").get("/products/G123499000001/label.pdf").status_code == 404
    assert api("olga").get("/products/not-a-din/custody-report.pdf").status_code == 404
