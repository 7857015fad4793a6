"""A patient's timeline: everything recorded about them, in date order."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Select, bindparam, select

from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    SPIROMETRY,
    BodyMeasurementOut,
    InstrumentAssessmentOut,
    SpirometryOut,
    present_instruments,
)
from alstrack.services.context import Actor, load_patient
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseOut, MilestoneOut
from alstrack.services.patients import PatientOut, patient_out
from alstrack.services.records import patient_context
from alstrack.store.db import Database
from alstrack.store.models import (
    AlsHistory,
    BodyMeasurement,
    DrugCourse,
    InstrumentAssessment,
    Milestone,
    SpirometryTest,
)

EventType = Literal[
    "symptom_onset",
    "diagnosis",
    "drug_start",
    "drug_stop",
    "milestone",
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
_HISTORY = select(AlsHistory.__table__).where(AlsHistory.patient_id == bindparam("patient_id"))


def timeline(db: Database, actor: Actor, patient_id: int) -> Timeline:
    """Every current record of the patient in date order, with derived measures."""
    actor.require("patients.read")
    actor.require("assessments.read")
    events: list[TimelineEvent] = []
    params = {"patient_id": patient_id}
    with db.read() as session:
        patient = load_patient(session, actor, patient_id)
        ctx = patient_context(session, patient)
        history: Any = session.execute(_HISTORY, params).one_or_none()
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
        for row in session.execute(_DRUGS, params):
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
        for row in session.execute(_MILESTONES, params):
            m = MILESTONE.present(row, ctx)
            events.append(
                TimelineEvent(
                    date=m.occurred_on, type="milestone", summary=m.kind.replace("_", " "), record=m
                )
            )
        instruments: list[Any] = list(session.execute(_INSTRUMENTS, params))
        for a in present_instruments(instruments, ctx):
            events.append(
                TimelineEvent(
                    date=a.assessed_on,
                    type="instrument_assessment",
                    summary=_summary_instrument(a),
                    record=a,
                )
            )
        for row in session.execute(_SPIROMETRY, params):
            sp = SPIROMETRY.present(row, ctx)
            events.append(
                TimelineEvent(
                    date=sp.assessed_on,
                    type="spirometry_test",
                    summary=_summary_spirometry(sp),
                    record=sp,
                )
            )
        for row in session.execute(_BODY, params):
            b = BODY_MEASUREMENT.present(row, ctx)
            events.append(
                TimelineEvent(
                    date=b.assessed_on, type="body_measurement", summary=_summary_body(b), record=b
                )
            )
        out = patient_out(patient, history)
    events.sort(key=lambda e: (e.date, _ORDER[e.type]))
    return Timeline(patient=out, events=events)


def _summary_body(b: BodyMeasurementOut) -> str:
    parts = [
        f"weight {b.weight_kg:g} kg" if b.weight_kg else "",
        f"height {b.height_cm:g} cm" if b.height_cm else "",
        f"BMI {b.bmi:.1f}" if b.bmi else "",
    ]
    return ", ".join(p for p in parts if p)
