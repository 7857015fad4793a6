"""FHIR R4: a patient's record as a Bundle (``$everything``) and the ALSFRS-R Questionnaire,
as application/fhir+json."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services.fhir_export import FHIR_JSON, alsfrs_questionnaire, patient_everything
from alstrack.services.product_documents import Document

router = APIRouter(prefix="/fhir", tags=["fhir"])

_FHIR: dict[int | str, dict[str, Any]] = {
    200: {"content": {FHIR_JSON: {}}, "description": "The FHIR R4 resource"}
}


@router.get(
    "/Patient/{patient_id}/$everything",
    response_class=Response,
    responses=_FHIR,
    summary="The patient's record as a FHIR R4 Bundle (pseudonymous without identifiers.read)",
    description="Patient, the ALS Condition with its stages, each ALSFRS-R as a "
    "QuestionnaireResponse with derived Observations, FVC, weight and BMI; and, as far as the "
    "role may read them, Consents, CarePlans, cell products (BiologicallyDerivedProduct), "
    "collections and administrations (Procedure) and AdverseEvents. Names, birth date and "
    "record number only for a role with identifiers.read (that view is audited). Every export "
    "is audited with its SHA-256.",
    openapi_extra=needs("patients.read", "assessments.read"),
)
def patient_everything_route(patient_id: Id, db: DB, actor: CurrentActor) -> Response:
    return _respond(patient_everything(db, actor, patient_id))


@router.get(
    "/Questionnaire/alsfrs-r",
    response_class=Response,
    responses=_FHIR,
    summary="The ALSFRS-R as a FHIR R4 Questionnaire",
    openapi_extra=needs(),
)
def alsfrs_questionnaire_route(actor: CurrentActor) -> Response:
    return _respond(alsfrs_questionnaire())


def _respond(doc: Document) -> Response:
    return Response(content=doc.content, media_type=doc.media_type)
