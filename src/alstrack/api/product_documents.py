"""A product's label and chain-of-custody report, as HTML to show or PDF to print and keep."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from alstrack.api.deps import DB, CurrentActor, needs
from alstrack.services import product_documents
from alstrack.services.product_documents import Document

router = APIRouter(tags=["products"])

_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF, as an attachment"}
}


@router.get(
    "/products/{din}/label.html",
    response_class=HTMLResponse,
    summary="The product's label: bar code, DIN with its boxed check character, expiry (UTC)",
    openapi_extra=needs("products.read"),
)
def label_html(din: str, db: DB, actor: CurrentActor) -> Response:
    return _respond(product_documents.product_label(db, actor, din, fmt="html"))


@router.get(
    "/products/{din}/label.pdf",
    response_class=Response,
    responses=_PDF,
    summary="The product's label as a PDF the size of the label",
    openapi_extra=needs("products.read"),
)
def label_pdf(din: str, db: DB, actor: CurrentActor) -> Response:
    return _respond(product_documents.product_label(db, actor, din, fmt="pdf"))


@router.get(
    "/products/{din}/custody-report.html",
    response_class=HTMLResponse,
    summary="The chain-of-custody report: every event, QC judgements, deviations, turnaround",
    openapi_extra=needs("products.read"),
)
def custody_report_html(din: str, db: DB, actor: CurrentActor) -> Response:
    return _respond(product_documents.custody_report(db, actor, din, fmt="html"))


@router.get(
    "/products/{din}/custody-report.pdf",
    response_class=Response,
    responses=_PDF,
    summary="The chain-of-custody report as an A4 PDF",
    openapi_extra=needs("products.read"),
)
def custody_report_pdf(din: str, db: DB, actor: CurrentActor) -> Response:
    return _respond(product_documents.custody_report(db, actor, din, fmt="pdf"))


def _respond(document: Document) -> Response:
    headers = {}
    if document.media_type == "application/pdf":
        headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return Response(document.content, media_type=document.media_type, headers=headers)
