"""A patient's record as a FHIR R4 Bundle (``$everything``), and the ALSFRS-R Questionnaire.

The registry's records are read as the timeline presents them (services.timeline: the same
derived measures, the same "not found" for another site's patient); the pathway's records only
as far as the user may read each kind (consents, plans, products, safety). The Patient resource
is pseudonymous (the study id) unless the user may read identifiers: then the names, birth date
and record number are in it, and that view of them is audited as GET /patients/{id}/identity
audits it. Every export is audited with its digest (services.exports). The FHIR writing itself
is in alstrack.interop.fhir, pure over the values gathered here.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.instruments import builtin_instruments
from alstrack.interop.fhir.bundle import patient_bundle
from alstrack.interop.fhir.questionnaire import answer_labels, questionnaire
from alstrack.interop.fhir.view import (
    AdverseEventFacts,
    AlsfrsVisit,
    BodyFacts,
    CollectionFacts,
    ConsentFacts,
    DoseFacts,
    Identity,
    PatientFacts,
    PatientRecord,
    PlanFacts,
    ProductFacts,
    SpirometryFacts,
)
from alstrack.services.assessments import (
    BodyMeasurementOut,
    InstrumentAssessmentOut,
    SpirometryOut,
)
from alstrack.services.chain_of_identity import chain_data
from alstrack.services.context import Actor, load_patient, now
from alstrack.services.exports import record_export
from alstrack.services.patients import read_identity
from alstrack.services.product_documents import Document
from alstrack.services.timeline import timeline
from alstrack.store.db import Database
from alstrack.store.models import (
    Administration,
    AdverseEvent,
    ChainOfIdentity,
    CollectionOrder,
    ConsentDocument,
    ElectronicSignature,
    Patient,
    PatientConsent,
    Product,
    ProductEvent,
    TreatmentPlan,
    TreatmentPlanVersion,
)

__all__ = ["FHIR_JSON", "alsfrs_questionnaire", "patient_everything"]

FHIR_JSON = "application/fhir+json"
EXPORT_KIND = "fhir_bundle"
_ALSFRS = "alsfrs_r"
# What each pathway part needs, in the order the Bundle holds them.
_PARTS = {
    "consents": "consents.read",
    "plans": "plans.read",
    "products": "products.read",
    "adverse_events": "safety.read",
}


def alsfrs_questionnaire() -> Document:
    """The ALSFRS-R Questionnaire every exported QuestionnaireResponse names: the instrument,
    no patient's data, so any signed-in user may take it (and it is not audited)."""
    resource = questionnaire(builtin_instruments()[_ALSFRS])
    return Document(content=_json(resource), media_type=FHIR_JSON, filename="alsfrs-r.json")


def patient_everything(db: Database, actor: Actor, patient_id: int) -> Document:
    """The patient's record as a FHIR R4 Bundle, audited as an export."""
    actor.require("patients.read")
    actor.require("assessments.read")
    line = timeline(db, actor, patient_id)  # another site's patient: "not found"
    shown = line.patient
    history = shown.history
    alsfrs, spirometry, body = [], [], []
    for event in line.events:
        shown_record = event.record
        if isinstance(shown_record, InstrumentAssessmentOut):
            if shown_record.instrument == _ALSFRS:
                alsfrs.append(_alsfrs(shown_record))
        elif isinstance(shown_record, SpirometryOut):
            spirometry.append(_spirometry(shown_record))
        elif isinstance(shown_record, BodyMeasurementOut):
            b = shown_record
            body.append(BodyFacts(b.id, b.assessed_on, b.weight_kg, b.bmi))
    identified = actor.can("identifiers.read")
    # Only a view of the identifiers writes (its audit entry): a pseudonymous export only reads.
    opened = db.transaction() if identified else db.read()
    with opened as session:
        patient = load_patient(session, actor, patient_id)
        identity = _identity(session, actor, patient) if identified else None
        pathway = _pathway(session, actor, patient_id)
    facts = PatientFacts(
        id=shown.id,
        study_id=shown.study_id,
        sex=shown.sex,
        synthetic=shown.synthetic,
        onset_date=history.onset_date if history else None,
        onset_region=history.onset_region if history else None,
        diagnosis_date=history.diagnosis_date if history else None,
        diagnostic_category=history.diagnostic_category if history else None,
        identity=identity,
    )
    left_out = tuple(part for part, needed in _PARTS.items() if not actor.can(needed))
    record = PatientRecord(
        patient=facts,
        exported_at=now(),
        alsfrs=tuple(alsfrs),
        spirometry=tuple(spirometry),
        body=tuple(body),
        **pathway,
    )
    bundle = patient_bundle(record, answer_labels(builtin_instruments()[_ALSFRS]))
    doc = Document(
        content=_json(bundle),
        media_type=FHIR_JSON,
        filename=f"{shown.study_id}-everything.fhir.json",
    )
    return record_export(
        db,
        actor,
        doc,
        kind=EXPORT_KIND,
        patient_id=patient_id,
        site_id=shown.site_id,
        scope={
            "identified": identity is not None,
            "resources": len(bundle.get("entry", [])),
            "left_out": list(left_out),
        },
    )


def _json(resource: dict[str, Any]) -> bytes:
    return orjson.dumps(resource, option=orjson.OPT_INDENT_2)


def _alsfrs(a: InstrumentAssessmentOut) -> AlsfrsVisit:
    d = a.alsfrs_r
    measures = (
        {
            m: getattr(d, m)
            for m in ("total", "bulbar", "fine_motor", "gross_motor", "respiratory", "delta_fs")
        }
        if d is not None
        else {}
    )
    return AlsfrsVisit(
        id=a.id,
        assessed_on=a.assessed_on,
        instrument_version=a.instrument_version,
        responses=dict(a.responses),
        measures=measures,
        kings_stage=d.kings_stage if d else None,
        kings_4a=d.kings_4a if d else None,
        kings_4b=d.kings_4b if d else None,
        mitos_stage=d.mitos_stage if d else None,
    )


def _spirometry(s: SpirometryOut) -> SpirometryFacts:
    return SpirometryFacts(
        id=s.id,
        assessed_on=s.assessed_on,
        position=s.position,
        fvc_l=s.fvc_l,
        predicted_l=s.predicted_l,
        fvc_percent_predicted=s.fvc_percent_predicted,
    )


def _identity(session: Session, actor: Actor, patient: Patient) -> Identity | None:
    """The direct identifiers, if recorded; the view is audited (services.patients)."""
    row = read_identity(session, actor, patient, purpose="fhir export")
    if row is None:
        return None
    return Identity(row.given_name, row.family_name, row.date_of_birth, row.record_number)


def _pathway(session: Session, actor: Actor, patient_id: int) -> dict[str, Any]:
    """The pathway's records the actor may read, as PatientRecord's fields."""
    out: dict[str, Any] = {}
    if actor.can("consents.read"):
        out["consents"] = tuple(
            ConsentFacts(
                c.id, c.document_version, title, c.consented_on, c.signed_by, c.withdrawn_on
            )
            for c, title in session.execute(
                select(PatientConsent, ConsentDocument.title)
                .join(ConsentDocument, ConsentDocument.id == PatientConsent.document_id)
                .where(PatientConsent.patient_id == patient_id, PatientConsent.status == "current")
                .order_by(PatientConsent.consented_on, PatientConsent.id)
            ).all()
        )
    if actor.can("plans.read"):
        out["plans"] = _plans(session, patient_id)
    if actor.can("products.read"):
        out |= _products(session, patient_id)
    if actor.can("safety.read"):
        out["adverse_events"] = tuple(
            AdverseEventFacts(
                id=e.id,
                term=e.term,
                meddra_code=e.meddra_code,
                onset_date=e.onset_date,
                aware_on=e.aware_on,
                grade=e.grade,
                serious_criteria=tuple(e.serious_criteria),
                related_to_procedure=e.related_to_procedure,
                related_to_product=e.related_to_product,
                outcome=e.outcome,
                recorded_at=e.entered_at,
                administration_id=e.administration_id,
            )
            for e in session.scalars(
                select(AdverseEvent)
                .where(AdverseEvent.patient_id == patient_id, AdverseEvent.status == "current")
                .order_by(AdverseEvent.onset_date, AdverseEvent.id)
            )
        )
    return out


def _plans(session: Session, patient_id: int) -> tuple[PlanFacts, ...]:
    rows = session.execute(
        select(TreatmentPlan, TreatmentPlanVersion, ElectronicSignature.signed_at)
        .join(
            TreatmentPlanVersion,
            (TreatmentPlanVersion.plan_id == TreatmentPlan.id)
            & (TreatmentPlanVersion.number == TreatmentPlan.current_version),
        )
        .outerjoin(
            ElectronicSignature,
            ElectronicSignature.id == TreatmentPlanVersion.approval_signature_id,
        )
        .where(TreatmentPlan.patient_id == patient_id)
        .order_by(TreatmentPlan.id)
    ).all()
    return tuple(
        PlanFacts(
            id=plan.id,
            status=plan.status,
            version=version.number,
            cell_source=version.cell_source,
            route=version.route,
            administrations=version.administrations,
            interval_days=version.interval_days,
            dose_cells=version.dose_cells,
            created_at=plan.created_at,
            approved_at=signed_at,
        )
        for plan, version, signed_at in rows
    )


def _products(session: Session, patient_id: int) -> dict[str, Any]:
    """The products made or allocated for the patient, their collections and the doses given."""
    products = session.execute(
        select(Product, ChainOfIdentity.code, ChainOfIdentity.plan_id)
        .outerjoin(ChainOfIdentity, ChainOfIdentity.id == Product.chain_of_identity_id)
        .where(
            (Product.patient_id == patient_id)
            | Product.id.in_(
                select(Administration.product_id).where(Administration.patient_id == patient_id)
            )
        )
        .order_by(Product.id)
    ).all()
    collections = session.execute(
        select(ProductEvent.product_id, ProductEvent.at, CollectionOrder.tissue)
        .join(Product, Product.id == ProductEvent.product_id)
        .outerjoin(CollectionOrder, CollectionOrder.id == Product.collection_order_id)
        .where(Product.patient_id == patient_id, ProductEvent.step == "collect")
        .order_by(ProductEvent.at, ProductEvent.id)
    ).all()
    doses = session.scalars(
        select(Administration)
        .where(Administration.patient_id == patient_id)
        .order_by(Administration.at, Administration.id)
    ).all()
    return {
        "products": tuple(
            ProductFacts(
                p.id,
                p.din,
                p.cell_source,
                p.state,
                chain_data(code) if code is not None else None,
                plan_id,
            )
            for p, code, plan_id in products
        ),
        "collections": tuple(CollectionFacts(pid, at, tissue) for pid, at, tissue in collections),
        "doses": tuple(
            DoseFacts(
                d.id,
                d.product_id,
                d.plan_id,
                d.dose_number,
                d.route,
                d.cells_administered,
                d.volume_ml,
                d.at,
            )
            for d in doses
        ),
    }
