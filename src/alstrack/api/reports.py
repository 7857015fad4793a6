"""The clinical reports as HTML to show or PDF to print and keep: a patient's progress report
and the safety report."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from alstrack.api.deps import DB, CurrentActor, Id
from alstrack.services.documents import Document
from alstrack.services.patient_documents import patient_report
from alstrack.services.safety_documents import safety_report_document

router = APIRouter(tags=["reports"])

_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF, as an attachment"}
}


@router.get(
    "/patients/{patient_id}/report.html",
    response_class=HTMLResponse,
    summary="The patient's progress report: observed beside expected without treatment, plotted",
)
def patient_report_html(patient_id: Id, db: DB, actor: CurrentActor) -> Response:
    return _respond(patient_report(db, actor, patient_id, fmt="html"))


@router.get(
    "/patients/{patient_id}/report.pdf",
    response_class=Response,
    responses=_PDF,
    summary="The patient's progress report as an A4 PDF",
)
def patient_report_pdf(patient_id: Id, db: DB, actor: CurrentActor) -> Response:
    return _respond(patient_report(db, actor, patient_id, fmt="pdf"))


@router.get(
    "/safety/report.html",
    response_class=HTMLResponse,
    summary="The safety report: by route and cell source with exact intervals, every serious "
    "event listed",
)
def safety_report_html(
    db: DB, actor: CurrentActor, on: date | None = None, site: str | None = None
) -> Response:
    return _respond(safety_report_document(db, actor, on=on, site_code=site, fmt="html"))


@router.get(
    "/safety/report.pdf",
    response_class=Response,
    responses=_PDF,
    summary="The safety report as an A4 PDF",
)
def safety_report_pdf(
    db: DB, actor: CurrentActor, on: date | None = None, site: str | None = None
) -> Response:
    return _respond(safety_report_document(db, actor, on=on, site_code=site, fmt="pdf"))


def _respond(document: Document) -> Response:
    headers = {}
    if document.media_type == "application/pdf":
        headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return Response(document.content, media_type=document.media_type, headers=headers)
