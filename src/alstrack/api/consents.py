"""Consent documents (installed by an admin), withdrawals, and whether a patient's consent holds.

A patient's consents themselves are a record collection (`/patients/{id}/consents`, corrections,
void: api/records.py).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import consent_documents, consents
from alstrack.services.consent_documents import DocumentEndIn, DocumentIn, DocumentOut, TemplateOut
from alstrack.services.consents import ConsentOut, ConsentStatusOut, WithdrawalIn

router = APIRouter(tags=["consent"])


@router.get(
    "/consent-documents",
    summary="Every installed consent document version",
    openapi_extra=needs("patients.read"),
)
def list_documents(db: DB, actor: CurrentActor) -> list[DocumentOut]:
    return consent_documents.list_documents(db, actor)


@router.post(
    "/consent-documents",
    status_code=status.HTTP_201_CREATED,
    summary="Install a version of the consent document (admins; the version name is used once)",
    openapi_extra=needs("consent_documents.write"),
)
def install_document(data: DocumentIn, db: DB, actor: CurrentActor) -> DocumentOut:
    return consent_documents.install_document(db, actor, data)


@router.get(
    "/consent-documents/template",
    summary="The default template shipped with alstrack, to adapt and install (a draft)",
    openapi_extra=needs("patients.read"),
)
def template(actor: CurrentActor) -> TemplateOut:
    return consent_documents.template(actor)


@router.get("/consent-documents/{document_id}", openapi_extra=needs("patients.read"))
def get_document(document_id: Id, db: DB, actor: CurrentActor) -> DocumentOut:
    return consent_documents.get_document(db, actor, document_id)


@router.post(
    "/consent-documents/{document_id}/end",
    summary="Set the last day a version may be signed (`effective_to`, `version`, `reason`)",
    openapi_extra=needs("consent_documents.write"),
)
def end_document(document_id: Id, data: DocumentEndIn, db: DB, actor: CurrentActor) -> DocumentOut:
    return consent_documents.end_document(db, actor, document_id, data)


@router.post(
    "/consents/{consent_id}/withdrawal",
    summary="The patient withdraws (`withdrawn_on`, `version`, `reason`): no further screening "
    "or procedure; the record is kept",
    openapi_extra=needs("consents.write"),
)
def withdraw(consent_id: Id, data: WithdrawalIn, db: DB, actor: CurrentActor) -> ConsentOut:
    return consents.withdraw(db, actor, consent_id, data)


@router.get(
    "/patients/{patient_id}/consent-status",
    summary="Whether a consent holds for the patient on a day (`on`, default today), and why not",
    openapi_extra=needs("consents.read"),
)
def consent_status(
    patient_id: Id, db: DB, actor: CurrentActor, on: date | None = None
) -> ConsentStatusOut:
    return consents.consent_status(db, actor, patient_id, on)
