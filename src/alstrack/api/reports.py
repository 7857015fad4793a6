"""The clinical reports as HTML to show or PDF to print and keep: a patient's progress report,
the safety report and the cohort outcomes report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import research_exports
from alstrack.services.cohort_documents import cohort_report
from alstrack.services.cohort_outcomes import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED
from alstrack.services.cohort_responders import RESPONDER_THRESHOLD
from alstrack.services.context import Actor
from alstrack.services.documents import Document, Format
from alstrack.services.patient_documents import patient_report
from alstrack.services.safety_documents import safety_report_document
from alstrack.store.db import Database

router = APIRouter(tags=["reports"])

_PDF: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The PDF, as an attachment"}
}


@router.get(
    "/patients/{patient_id}/report.html",
    response_class=HTMLResponse,
    summary="The patient's progress report: observed beside expected without treatment, plotted",
    openapi_extra=needs("patients.read", "assessments.read"),
)
def patient_report_html(patient_id: Id, db: DB, actor: CurrentActor) -> Response:
    return _respond(patient_report(db, actor, patient_id, fmt="html"))


@router.get(
    "/patients/{patient_id}/report.pdf",
    response_class=Response,
    responses=_PDF,
    summary="The patient's progress report as an A4 PDF",
    openapi_extra=needs("patients.read", "assessments.read"),
)
def patient_report_pdf(patient_id: Id, db: DB, actor: CurrentActor) -> Response:
    return _respond(patient_report(db, actor, patient_id, fmt="pdf"))


@router.get(
    "/safety/report.html",
    response_class=HTMLResponse,
    summary="The safety report: by route and cell source with exact intervals, every serious "
    "event listed",
    openapi_extra=needs("safety.read"),
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
    openapi_extra=needs("safety.read"),
)
def safety_report_pdf(
    db: DB, actor: CurrentActor, on: date | None = None, site: str | None = None
) -> Response:
    return _respond(safety_report_document(db, actor, on=on, site_code=site, fmt="pdf"))


# The cohort report's query: the cut-off and site, the cohort analysis's own parameters (as
# GET /cohort/outcomes takes them) and an external cohort to compare with, by name.
On = Annotated[date | None, Query(description="Data cut-off; default today")]
Threshold = Annotated[
    float, Query(gt=0, le=48, description="Points/month of slope change a responder needs")
]
Resamples = Annotated[int, Query(ge=100, le=5000)]
Seed = Annotated[int, Query(ge=0, le=2**32 - 1)]
External = Annotated[
    str | None, Query(description="Name of an imported external cohort to compare with")
]


@router.get(
    "/cohort/report.html",
    response_class=HTMLResponse,
    summary="The cohort outcomes report: change of ALSFRS-R slope with its intervals and "
    "reading (or why none), exploratory groups, responders, event-free survival beside the "
    "ENCALS expectation, safety counts with every serious event; plotted",
    openapi_extra=needs("assessments.read", "products.read", "safety.read"),
)
def cohort_report_html(
    db: DB,
    actor: CurrentActor,
    on: On = None,
    site: str | None = None,
    responder_threshold: Threshold = RESPONDER_THRESHOLD,
    bootstrap_resamples: Resamples = BOOTSTRAP_RESAMPLES,
    seed: Seed = BOOTSTRAP_SEED,
    external_cohort: External = None,
) -> Response:
    return _cohort(
        db, actor, on, site, responder_threshold, bootstrap_resamples, seed, external_cohort, "html"
    )


@router.get(
    "/cohort/report.pdf",
    response_class=Response,
    responses=_PDF,
    summary="The cohort outcomes report as an A4 landscape PDF",
    openapi_extra=needs("assessments.read", "products.read", "safety.read"),
)
def cohort_report_pdf(
    db: DB,
    actor: CurrentActor,
    on: On = None,
    site: str | None = None,
    responder_threshold: Threshold = RESPONDER_THRESHOLD,
    bootstrap_resamples: Resamples = BOOTSTRAP_RESAMPLES,
    seed: Seed = BOOTSTRAP_SEED,
    external_cohort: External = None,
) -> Response:
    return _cohort(
        db, actor, on, site, responder_threshold, bootstrap_resamples, seed, external_cohort, "pdf"
    )


def _cohort(
    db: Database,
    actor: Actor,
    on: date | None,
    site: str | None,
    responder_threshold: float,
    bootstrap_resamples: int,
    seed: int,
    external_cohort: str | None,
    fmt: Format,
) -> Response:
    return _respond(
        cohort_report(
            db, actor, on=on, site_code=site, responder_threshold=responder_threshold,
            bootstrap_resamples=bootstrap_resamples, seed=seed, external_cohort=external_cohort,
            fmt=fmt,
        )
    )  # fmt: skip


_ZIP: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/zip": {}},
        "description": "The files and their SHA256SUMS, as a zip attachment",
    }
}
ExportSite = Annotated[
    str | None, Query(min_length=1, max_length=20, description="One site's patients (its code)")
]


@router.get(
    "/exports/proact.zip",
    response_class=Response,
    responses=_ZIP,
    summary="The registry as PRO-ACT tables, de-identified (study ids, days from onset): the "
    "files alstrack export proact writes, zipped; audited",
    openapi_extra=needs("patients.read", "assessments.read"),
)
def proact_zip(db: DB, actor: CurrentActor, site: ExportSite = None) -> Response:
    return _respond(research_exports.export_zip(db, actor, "proact", site=site))


@router.get(
    "/exports/csv.zip",
    response_class=Response,
    responses=_ZIP,
    summary="The registry as tidy CSV with its data dictionary, de-identified: the files "
    "alstrack export csv writes, zipped; audited",
    openapi_extra=needs("patients.read", "assessments.read"),
)
def csv_zip(db: DB, actor: CurrentActor, site: ExportSite = None) -> Response:
    return _respond(research_exports.export_zip(db, actor, "csv", site=site))


def _respond(document: Document) -> Response:
    headers = {}
    if document.media_type in ("application/pdf", "application/zip"):
        headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    return Response(document.content, media_type=document.media_type, headers=headers)
