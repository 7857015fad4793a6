"""A patient's timeline: everything recorded about them, in date order.

The registry's records (history, drugs, milestones, assessments) come with their derived
measures; the pathway's events (consent, plan approval, doses, visits made, adverse events,
adjunct sessions held) come as a summary and the id of the record behind them, each only for a
user who may read that kind of record.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.orm import Session

from alstrack.errors import NotFound
from alstrack.services.adjunct_catalogue import adjunct_catalogue
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    SPIROMETRY,
    BodyMeasurementOut,
    InstrumentAssessmentOut,
    SpirometryOut,
    present_instruments,
)
from alstrack.services.context import Actor, clinic_day
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseOut, MilestoneOut
from alstrack.services.patients import HISTORY_FIELDS, PatientOut, patient_out
from alstrack.services.records import _CONTEXT_OF_MANY, _context
from alstrack.store.db import Database
from alstrack.store.models import (
    AdjunctSession,
    Administration,
    AdverseEvent,
    AlsHistory,
    BodyMeasurement,
    ConsentDocument,
    DrugCourse,
    ElectronicSignature,
    FollowUpVisit,
    InstrumentAssessment,
    Milestone,
    Patient,
    PatientConsent,
    Product,
    SpirometryTest,
    TreatmentPlan,
    TreatmentPlanVersion,
)

EventType = Literal[
    "symptom_onset",
    "diagnosis",
    "consent",
    "consent_withdrawn",
    "drug_start",
    "drug_stop",
    "plan_approved",
    "administration",
    "milestone",
    "adverse_event",
    "follow_up_visit",
    "adjunct_session",
    "instrument_assessment",
    "spirometry_test",
    "body_measurement",
]
Record = InstrumentAssessmentOut | SpirometryOut | BodyMeasurementOut | MilestoneOut | DrugCourseOut

# Same-day events keep a clinical order: history first, then treatment, then measurements.
_ORDER = {t: i for i, t in enumerate(EventType.__args__)}  # type: ignore[attr-defined]


class TimelineEvent(BaseModel):
    date: date
    type: EventType
    summary: str
    record: Record | None = None
    record_id: int | None = Field(
        default=None,
        description="For a pathway event, the id of the record behind it: consent, treatment "
        "plan, administration, adverse event, follow-up visit or adjunct session",
    )


class Timeline(BaseModel):
    patient: PatientOut
    events: list[TimelineEvent]


def _fmt(value: float | None, unit: str = "") -> str:
    return "indeterminate" if value is None else f"{value:g}{unit}"


def _summary_instrument(a: InstrumentAssessmentOut) -> str:
    if a.alsfrs_r is None:
        return f"{a.instrument} by {a.assessed_by}"
    d = a.alsfrs_r
    return (
        f"ALSFRS-R {_fmt(d.total)}/48, King's stage {_fmt(d.kings_stage)}, "
        f"MiToS {_fmt(d.mitos_stage)} by {a.assessed_by}"
    )


def _summary_spirometry(s: SpirometryOut) -> str:
    parts = []
    if s.fvc_l is not None:
        parts.append(
            f"FVC {s.fvc_l:g} L ({_fmt(round(s.fvc_percent_predicted or 0, 1))}% predicted)"
        )
    if s.svc_l is not None:
        parts.append(f"SVC {s.svc_l:g} L")
    return ", ".join(parts) + f", {s.position}, {s.equation}"


def _current(model: Any, date_column: str) -> Select[Any]:
    """A patient's current rows of one table in date order, built once (bound patient id)."""
    return (
        select(model.__table__)
        .where(model.patient_id == bindparam("patient_id"), model.status == "current")
        .order_by(getattr(model, date_column), model.id)
    )


# Built once: constructing statements costs more than running them on an indexed table.
_DRUGS = _current(DrugCourse, "start_date")
_MILESTONES = _current(Milestone, "occurred_on")
_INSTRUMENTS = _current(InstrumentAssessment, "assessed_on")
_SPIROMETRY = _current(SpirometryTest, "assessed_on")
_BODY = _current(BodyMeasurement, "assessed_on")


def _has_rows(model: Any, name: str) -> Any:
    """Whether the patient has a row in a pathway table: one index probe."""
    return exists().where(model.patient_id == Patient.id).label(name)


# The patient in one row: what load_patient, patient_context and patient_out read (the ALS
# history too), and whether each pathway table has rows for them. It extends the statement behind
# records.patient_context (and reads the context with its _context), so the two cannot drift
# apart. Most patients have no pathway record (natural history only): asking here spares their
# timelines six queries that would find nothing.
_CONTEXT_WIDTH = len(_CONTEXT_OF_MANY.selected_columns)
_PATIENT = _CONTEXT_OF_MANY.add_columns(
    Patient.study_id,
    Patient.synthetic,
    Patient.created_at,
    Patient.updated_at,
    Patient.version,
    AlsHistory.patient_id.label("history_of"),
    *(getattr(AlsHistory, f) for f in HISTORY_FIELDS if f != "onset_date"),
    AlsHistory.version.label("history_version"),
    _has_rows(PatientConsent, "has_consents"),
    _has_rows(TreatmentPlan, "has_plans"),
    _has_rows(FollowUpVisit, "has_visits"),
    _has_rows(AdjunctSession, "has_adjunct_sessions"),
    _has_rows(Administration, "has_administrations"),
    _has_rows(AdverseEvent, "has_adverse_events"),
).where(Patient.id == bindparam("patient_id"))
# The pathway's own, for the patients who have those records.
_CONSENTS = (
    select(PatientConsent, ConsentDocument.title)
    .join(ConsentDocument, ConsentDocument.id == PatientConsent.document_id)
    .where(PatientConsent.patient_id == bindparam("patient_id"), PatientConsent.status == "current")
)
_APPROVALS = (
    select(TreatmentPlanVersion, ElectronicSignature.signed_at)
    .join(TreatmentPlan, TreatmentPlan.id == TreatmentPlanVersion.plan_id)
    .join(ElectronicSignature, ElectronicSignature.id == TreatmentPlanVersion.approval_signature_id)
    .where(TreatmentPlan.patient_id == bindparam("patient_id"))
)
_VISITS_MADE = select(FollowUpVisit).where(
    FollowUpVisit.patient_id == bindparam("patient_id"), FollowUpVisit.visited_on.is_not(None)
)
_SESSIONS_HELD = select(AdjunctSession).where(
    AdjunctSession.patient_id == bindparam("patient_id"), AdjunctSession.status == "done"
)
_DOSES_GIVEN = (
    select(Administration, Product.din, TreatmentPlanVersion.administrations)
    .join(Product, Product.id == Administration.product_id)
    .join(TreatmentPlanVersion, TreatmentPlanVersion.id == Administration.plan_version_id)
    .where(Administration.patient_id == bindparam("patient_id"))
)
_ADVERSE_EVENTS = select(AdverseEvent).where(
    AdverseEvent.patient_id == bindparam("patient_id"), AdverseEvent.status == "current"
)


def timeline(db: Database, actor: Actor, patient_id: int) -> Timeline:
    """Every current record of the patient in date order, with derived measures."""
    actor.require("patients.read")
    actor.require("assessments.read")
    events: list[TimelineEvent] = []
    params = {"patient_id": patient_id}
    with db.read() as session:
        # Core statements straight on the session's connection: the ORM session layer costs more
        # per statement than these indexed queries take to run.
        conn = session.connection()
        patient: Any = conn.execute(_PATIENT, params).one_or_none()
        # As load_patient does: another site's patient is "not found".
        if patient is None or not actor.sees_site(patient.site_id):
            raise NotFound(f"No patient {patient_id}.")
        ctx = _context(patient[:_CONTEXT_WIDTH])
        history = _history_of(patient)
        if history and history.onset_date:
            region = history.onset_region or "region not recorded"
            events.append(
                TimelineEvent(
                    date=history.onset_date,
                    type="symptom_onset",
                    summary=f"Symptom onset ({region})",
                )
            )
        if history and history.diagnosis_date:
            category = history.diagnostic_category or "category not recorded"
            events.append(
                TimelineEvent(
                    date=history.diagnosis_date, type="diagnosis", summary=f"Diagnosis: {category}"
                )
            )
        for row in conn.execute(_DRUGS, params):
            course = DRUG_COURSE.present(row, ctx)
            name = course.drug_name or course.drug
            events.append(
                TimelineEvent(
                    date=course.start_date,
                    type="drug_start",
                    summary=f"Started {name}",
                    record=course,
                )
            )
            if course.stop_date:
                events.append(
                    TimelineEvent(
                        date=course.stop_date,
                        type="drug_stop",
                        summary=f"Stopped {name}",
                        record=course,
                    )
                )
        for row in conn.execute(_MILESTONES, params):
            m = MILESTONE.present(row, ctx)
            events.append(
                TimelineEvent(
                    date=m.occurred_on, type="milestone", summary=m.kind.replace("_", " "), record=m
                )
            )
        instruments: list[Any] = list(conn.execute(_INSTRUMENTS, params))
        for a in present_instruments(instruments, ctx):
            events.append(
                TimelineEvent(
                    date=a.assessed_on,
                    type="instrument_assessment",
                    summary=_summary_instrument(a),
                    record=a,
                )
            )
        for row in conn.execute(_SPIROMETRY, params):
            sp = SPIROMETRY.present(row, ctx)
            events.append(
                TimelineEvent(
                    date=sp.assessed_on,
                    type="spirometry_test",
                    summary=_summary_spirometry(sp),
                    record=sp,
                )
            )
        for row in conn.execute(_BODY, params):
            b = BODY_MEASUREMENT.present(row, ctx)
            events.append(
                TimelineEvent(
                    date=b.assessed_on, type="body_measurement", summary=_summary_body(b), record=b
                )
            )
        events += _pathway(session, actor, patient, params)
        out = patient_out(patient, history)
    events.sort(key=lambda e: (e.date, _ORDER[e.type]))
    return Timeline(patient=out, events=events)


def _history_of(patient: Any) -> Any:
    """The ALS history in the patient's row, with what history_out reads; None if none."""
    if patient.history_of is None:
        return None
    fields = {f: getattr(patient, f) for f in HISTORY_FIELDS}
    return SimpleNamespace(**fields, version=patient.history_version)


def _summary_body(b: BodyMeasurementOut) -> str:
    parts = [
        f"weight {b.weight_kg:g} kg" if b.weight_kg else "",
        f"height {b.height_cm:g} cm" if b.height_cm else "",
        f"BMI {b.bmi:.1f}" if b.bmi else "",
    ]
    return ", ".join(p for p in parts if p)


def _pathway(
    session: Session, actor: Actor, patient: Any, params: dict[str, int]
) -> list[TimelineEvent]:
    """The pathway's events of the patient that ``actor`` may read. Tables without a row for the
    patient (``patient.has_*``, from _PATIENT) are not asked."""
    events: list[TimelineEvent] = []
    if actor.can("consents.read") and patient.has_consents:
        for consent, title in session.execute(_CONSENTS, params).all():
            signer = "the patient" if consent.signed_by == "patient" else "a representative"
            events.append(
                TimelineEvent(
                    date=consent.consented_on,
                    type="consent",
                    record_id=consent.id,
                    summary=f"Consent signed by {signer}: {title} ({consent.document_version})",
                )
            )
            if consent.withdrawn_on is not None:
                events.append(
                    TimelineEvent(
                        date=consent.withdrawn_on,
                        type="consent_withdrawn",
                        record_id=consent.id,
                        summary=f"Consent withdrawn: {consent.withdrawal_reason}",
                    )
                )
    if actor.can("plans.read") and patient.has_plans:
        for version, signed_at in session.execute(_APPROVALS, params).all():
            doses = "dose" if version.administrations == 1 else "doses"
            events.append(
                TimelineEvent(
                    date=clinic_day(signed_at),
                    type="plan_approved",
                    record_id=version.plan_id,
                    summary=f"Plan {version.plan_id} version {version.number} approved: "
                    f"{version.cell_source}, {version.route}, {version.administrations} {doses}",
                )
            )
    if actor.can("plans.read") and patient.has_visits:
        for visit in session.scalars(_VISITS_MADE, params).all():
            assert visit.visited_on is not None
            late = ", outside its window" if visit.protocol_deviation_id is not None else ""
            if visit.schedule_id == "unscheduled" and visit.note:
                late = f": {visit.note}"
            events.append(
                TimelineEvent(
                    date=visit.visited_on,
                    type="follow_up_visit",
                    record_id=visit.id,
                    summary=f"{visit.label} visit{late}",
                )
            )
    if actor.can("plans.read") and patient.has_adjunct_sessions:
        therapies = adjunct_catalogue()
        for held_session in session.scalars(_SESSIONS_HELD, params).all():
            assert held_session.held_on is not None
            found = therapies.find(held_session.therapy)
            name = held_session.detail or (found.label if found else held_session.therapy)
            which = ""
            if held_session.number is not None:
                which = f" {held_session.number}"
                if held_session.of_sessions is not None:
                    which += f" of {held_session.of_sessions}"
            events.append(
                TimelineEvent(
                    date=held_session.held_on,
                    type="adjunct_session",
                    record_id=held_session.id,
                    summary=f"{name} session{which} ({held_session.provider})",
                )
            )
    if actor.can("products.read") and patient.has_administrations:
        for given, din, planned in session.execute(_DOSES_GIVEN, params).all():
            events.append(
                TimelineEvent(
                    date=clinic_day(given.at),
                    type="administration",
                    record_id=given.id,
                    summary=f"Dose {given.dose_number} of {planned}: "
                    f"{given.cells_administered:.3g} cells {given.route} ({din})",
                )
            )
    if actor.can("safety.read") and patient.has_adverse_events:
        for event in session.scalars(_ADVERSE_EVENTS, params).all():
            serious = (
                f", serious ({', '.join(event.serious_criteria)})" if event.serious_criteria else ""
            )
            events.append(
                TimelineEvent(
                    date=event.onset_date,
                    type="adverse_event",
                    record_id=event.id,
                    summary=f"Adverse event: {event.term}, grade {event.grade}{serious}, "
                    f"outcome {event.outcome.replace('_', ' ')}",
                )
            )
    return events
