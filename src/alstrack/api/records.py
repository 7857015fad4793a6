"""Routes for dated records (assessments, milestones, drug courses, adverse events...): add,
list, correct, void.

One route factory serves every kind, so each kind behaves the same way over HTTP.
"""

from functools import cache
from typing import Any, get_type_hints

from fastapi import APIRouter, status

from alstrack.api.deps import DB, CurrentActor, Id, needs
from alstrack.services import records
from alstrack.services.adverse_events import ADVERSE_EVENT
from alstrack.services.assessments import BODY_MEASUREMENT, INSTRUMENT_ASSESSMENT, SPIROMETRY
from alstrack.services.consents import CONSENT
from alstrack.services.evaluations import PRETREATMENT_EVALUATION
from alstrack.services.milestones import DRUG_COURSE, MILESTONE
from alstrack.services.records import Correction, RecordKind, Void

# URL collection name → kind.
KINDS: dict[str, RecordKind[Any, Any]] = {
    "assessments": INSTRUMENT_ASSESSMENT,
    "spirometry": SPIROMETRY,
    "body-measurements": BODY_MEASUREMENT,
    "milestones": MILESTONE,
    "drug-courses": DRUG_COURSE,
    "pretreatment-evaluations": PRETREATMENT_EVALUATION,
    "consents": CONSENT,
    "adverse-events": ADVERSE_EVENT,
}


def _router(collection: str, kind: RecordKind[Any, Any]) -> APIRouter:
    router = APIRouter(tags=[collection])
    # The body types are only known per kind at run time; FastAPI reads them from the signatures.
    body_model: Any = kind.input_model
    correction_model: Any = Correction[body_model]
    out_model: Any = _output_model(kind)
    reads, writes = needs(kind.permission_read), needs(kind.permission_write)

    @router.post(
        f"/patients/{{patient_id}}/{collection}",
        status_code=status.HTTP_201_CREATED,
        response_model=out_model,
        summary=f"Record a {kind.name.replace('_', ' ')}",
        openapi_extra=writes,
    )
    def add(patient_id: Id, data: body_model, db: DB, actor: CurrentActor) -> Any:
        return records.add(db, actor, kind, patient_id, data)

    @router.get(
        f"/patients/{{patient_id}}/{collection}",
        response_model=list[out_model],
        summary=f"List a patient's {collection.replace('-', ' ')}",
        openapi_extra=reads,
    )
    def list_(patient_id: Id, db: DB, actor: CurrentActor, include_history: bool = False) -> Any:
        return records.list_for_patient(
            db, actor, kind, patient_id, include_history=include_history
        )

    @router.get(f"/{collection}/{{record_id}}", response_model=out_model, openapi_extra=reads)
    def get(record_id: Id, db: DB, actor: CurrentActor) -> Any:
        return records.get(db, actor, kind, record_id)

    @router.post(
        f"/{collection}/{{record_id}}/corrections",
        status_code=status.HTTP_201_CREATED,
        response_model=out_model,
        summary="Correct: a new record supersedes this one",
        openapi_extra=writes,
    )
    def correct(record_id: Id, data: correction_model, db: DB, actor: CurrentActor) -> Any:
        return records.correct(db, actor, kind, record_id, data)

    @router.post(
        f"/{collection}/{{record_id}}/void",
        response_model=out_model,
        summary="Mark as entered in error (kept, never deleted)",
        openapi_extra=writes,
    )
    def void(record_id: Id, data: Void, db: DB, actor: CurrentActor) -> Any:
        return records.void(db, actor, kind, record_id, data)

    return router


def _output_model(kind: RecordKind[Any, Any]) -> Any:
    """The response model is the return type of the kind's presenter."""
    return get_type_hints(kind.present)["return"]


@cache
def routers() -> tuple[APIRouter, ...]:
    """One router per kind of record, built once: every app includes the same ones."""
    return tuple(_router(collection, kind) for collection, kind in KINDS.items())
