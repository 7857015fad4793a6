"""The data elements a screening reads from the registry, each with its date and its source.

One fact has one place: the registry's assessments, history, milestones, drug courses and
consents are read here; the pretreatment evaluation holds the rest (services/evaluations.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.eligibility import inputs
from alstrack.domain.eligibility.operators import NEVER
from alstrack.services.assessments import ALSFRS_R, derive_alsfrs_many
from alstrack.services.consents import valid_consent
from alstrack.services.records import PatientContext
from alstrack.store.models import (
    AlsHistory,
    BodyMeasurement,
    ConsentDocument,
    DrugCourse,
    InstrumentAssessment,
    Milestone,
    Patient,
    SpirometryTest,
)

__all__ = ["REGISTRY_ELEMENTS", "Completeness", "Input", "registry_inputs"]

# Data element -> where the registry keeps it (named in the error when someone enters it twice).
REGISTRY_ELEMENTS: Mapping[str, str] = {
    "patient.age_years": "date of birth",
    "patient.sex": "patient record",
    "patient.weight_kg": "body measurements",
    "dx.criteria_system": "ALS history",
    "dx.el_escorial_category": "ALS history",
    "dx.symptom_onset_date": "ALS history",
    "dx.diagnosis_date": "ALS history",
    "dx.familial_als": "ALS history (family history)",
    "fn.alsfrs_r_total": "ALSFRS-R assessments",
    "fn.alsfrs_r_slope_per_month": "ALSFRS-R assessments",
    "resp.svc_percent_predicted": "spirometry",
    "resp.fvc_percent_predicted": "spirometry",
    "resp.tracheostomy": "milestones",
    "resp.niv_in_use": "milestones",
    "gi.gastrostomy": "milestones",
    "meds.riluzole": "drug courses",
    "meds.riluzole_stable_since": "drug courses",
    "meds.edaravone_last_date": "drug courses",
    "consent.signed": "consents",
    "consent.version_includes_evidence_status_disclosure": "consents (the document version signed)",
}

_MILESTONE_ELEMENTS = {
    "resp.tracheostomy": "tracheostomy",
    "resp.niv_in_use": "niv_start",
    "gi.gastrostomy": "gastrostomy",
}


@dataclass(frozen=True)
class Input:
    """One data element as a screening read it. value None: missing, and ``note`` says why."""

    value: Any
    date: date | None
    source: str
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        value = self.value.isoformat() if isinstance(self.value, date) else self.value
        found: dict[str, Any] = {
            "value": value,
            "date": self.date.isoformat() if self.date else None,
            "source": self.source,
        }
        if self.note:
            found["note"] = self.note
        return found


@dataclass(frozen=True)
class Completeness:
    """Where a pretreatment evaluation confirmed that part of the registry is complete.

    Only then does a fact absent from the registry count as "did not happen"; otherwise it is
    missing. Each is the date and the source of the confirmation, or None.
    """

    milestones: tuple[date, str] | None = None
    drug_courses: tuple[date, str] | None = None


def registry_inputs(
    session: Session, ctx: PatientContext, on: date, complete: Completeness
) -> dict[str, Input]:
    """Every registry data element of a patient, from records dated on or before day ``on``.

    Records are read as they stand now (a correction made since replaces what it corrects).
    """
    found: dict[str, Input] = {}
    pid = ctx.patient_id
    patient = session.get(Patient, pid)
    assert patient is not None
    found["patient.sex"] = (
        Input(patient.sex, None, f"patient {pid}")
        if patient.sex in ("female", "male")
        else Input(None, None, f"patient {pid}", "sex not recorded")
    )
    if ctx.date_of_birth is not None:
        age = inputs.age_in_full_years(ctx.date_of_birth, on)
        found["patient.age_years"] = Input(age, None, "identity: date of birth")
    else:
        found["patient.age_years"] = Input(None, None, "identity", "no date of birth recorded")
    found.update(_weight(session, pid, on))
    found.update(_history(session, pid))
    found.update(_alsfrs(session, ctx, on))
    found.update(_spirometry(session, pid, on))
    found.update(_milestones(session, pid, on, complete.milestones))
    found.update(_drugs(session, pid, on, complete.drug_courses))
    found.update(_consent(session, pid, on))
    return found


def _current(model: Any, pid: int) -> Any:
    return select(model).where(model.patient_id == pid, model.status == "current")


def _weight(session: Session, pid: int, on: date) -> dict[str, Input]:
    row = session.scalars(
        _current(BodyMeasurement, pid)
        .where(BodyMeasurement.weight_kg.is_not(None), BodyMeasurement.assessed_on <= on)
        .order_by(BodyMeasurement.assessed_on.desc(), BodyMeasurement.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return {"patient.weight_kg": Input(None, None, "body measurements", "no weight recorded")}
    return {
        "patient.weight_kg": Input(row.weight_kg, row.assessed_on, f"body_measurement {row.id}")
    }


def _history(session: Session, pid: int) -> dict[str, Input]:
    history = session.get(AlsHistory, pid)
    source = "ALS history"
    if history is None:
        note = "no ALS history recorded"
        return {
            name: Input(None, None, source, note)
            for name in (
                "dx.criteria_system",
                "dx.el_escorial_category",
                "dx.symptom_onset_date",
                "dx.diagnosis_date",
                "dx.familial_als",
            )
        }
    category = inputs.el_escorial_code(history.diagnostic_criteria, history.diagnostic_category)
    familial = {"yes": True, "no": False}.get(history.family_history)
    return {
        "dx.criteria_system": Input(
            history.diagnostic_criteria,
            None,
            source,
            None if history.diagnostic_criteria else "diagnostic criteria not recorded",
        ),
        "dx.el_escorial_category": Input(
            category,
            None,
            source,
            None
            if category
            else "no revised El Escorial category recorded"
            + (" (diagnosed by Gold Coast)" if history.diagnostic_criteria == "gold_coast" else ""),
        ),
        "dx.symptom_onset_date": Input(
            history.onset_date, None, source, None if history.onset_date else "onset not recorded"
        ),
        "dx.diagnosis_date": Input(
            history.diagnosis_date,
            None,
            source,
            None if history.diagnosis_date else "diagnosis date not recorded",
        ),
        "dx.familial_als": Input(
            familial, None, source, None if familial is not None else "family history unknown"
        ),
    }


def _alsfrs(session: Session, ctx: PatientContext, on: date) -> dict[str, Input]:
    rows = list(
        session.scalars(
            _current(InstrumentAssessment, ctx.patient_id)
            .where(
                InstrumentAssessment.instrument == ALSFRS_R,
                InstrumentAssessment.assessed_on <= on,
            )
            .order_by(InstrumentAssessment.assessed_on, InstrumentAssessment.id)
        )
    )
    derived = derive_alsfrs_many([(r.responses, r.assessed_on) for r in rows], ctx)
    scored = [(row, d.total) for row, d in zip(rows, derived, strict=True) if d.total is not None]
    found: dict[str, Input] = {}
    if scored:
        row, total = scored[-1]
        found["fn.alsfrs_r_total"] = Input(
            int(total) if float(total).is_integer() else total,
            row.assessed_on,
            f"instrument_assessment {row.id}",
        )
    else:
        found["fn.alsfrs_r_total"] = Input(
            None, None, "ALSFRS-R assessments", "no scored ALSFRS-R recorded"
        )
    course = inputs.decline_per_month([(row.assessed_on, float(t)) for row, t in scored], on)
    ids = ", ".join(
        str(row.id) for row, _ in scored if course.first and row.assessed_on >= course.first
    )
    found["fn.alsfrs_r_slope_per_month"] = Input(
        course.decline,
        course.last,
        f"instrument_assessment {ids}" if course.decline is not None else "ALSFRS-R assessments",
        course.reason,
    )
    return found


def _spirometry(session: Session, pid: int, on: date) -> dict[str, Input]:
    position = inputs.parameters().spirometry.position
    found: dict[str, Input] = {}
    for name, column in (
        ("resp.svc_percent_predicted", SpirometryTest.svc_percent_predicted),
        ("resp.fvc_percent_predicted", SpirometryTest.fvc_percent_predicted),
    ):
        row = session.scalars(
            _current(SpirometryTest, pid)
            .where(
                column.is_not(None),
                SpirometryTest.position == position,
                SpirometryTest.assessed_on <= on,
            )
            .order_by(SpirometryTest.assessed_on.desc(), SpirometryTest.id.desc())
            .limit(1)
        ).first()
        found[name] = (
            Input(getattr(row, column.key), row.assessed_on, f"spirometry_test {row.id}")
            if row is not None
            else Input(None, None, "spirometry", f"no {position} measurement recorded")
        )
    return found


def _milestones(
    session: Session, pid: int, on: date, complete: tuple[date, str] | None
) -> dict[str, Input]:
    rows = session.scalars(_current(Milestone, pid).where(Milestone.occurred_on <= on)).all()
    by_kind = {row.kind: row for row in rows}
    found = {}
    for name, kind in _MILESTONE_ELEMENTS.items():
        row = by_kind.get(kind)
        if row is not None:
            found[name] = Input(True, row.occurred_on, f"milestone {row.id}")
        elif complete is not None:
            found[name] = Input(False, complete[0], f"no {kind} recorded; {_confirmed(complete)}")
        else:
            found[name] = Input(None, None, "milestones", f"no {kind} recorded; {_UNCONFIRMED}")
    return found


_UNCONFIRMED = "not confirmed complete by a pretreatment evaluation (registry.*_complete)"


def _confirmed(complete: tuple[date, str]) -> str:
    return f"registry confirmed complete in {complete[1]}"


def _drugs(
    session: Session, pid: int, on: date, complete: tuple[date, str] | None
) -> dict[str, Input]:
    rows = session.scalars(_current(DrugCourse, pid)).all()
    courses = [inputs.DrugCourse(r.drug, r.start_date, r.stop_date) for r in rows]
    ids = {(r.drug, r.start_date): r.id for r in rows}
    found: dict[str, Input] = {}
    riluzole = inputs.drug_on(courses, "riluzole", on)
    if riluzole is not None:
        # The registry records courses, not doses: the course's start is the date read.
        source = f"drug_course {ids[('riluzole', riluzole.start)]}"
        found["meds.riluzole"] = Input(True, None, source)
        found["meds.riluzole_stable_since"] = Input(riluzole.start, None, source)
    elif complete is not None:
        source = f"no riluzole course on that day; {_confirmed(complete)}"
        found["meds.riluzole"] = Input(False, complete[0], source)
        found["meds.riluzole_stable_since"] = Input(None, None, "drug courses", "not on riluzole")
    else:
        note = f"no riluzole course on that day; {_UNCONFIRMED}"
        found["meds.riluzole"] = Input(None, None, "drug courses", note)
        found["meds.riluzole_stable_since"] = Input(None, None, "drug courses", note)
    last = inputs.last_taken(courses, "edaravone", on)
    if last is not None:
        found["meds.edaravone_last_date"] = Input(last, None, "drug courses (edaravone)")
    elif complete is not None:
        source = f"no edaravone course recorded; {_confirmed(complete)}"
        found["meds.edaravone_last_date"] = Input(NEVER, complete[0], source)
    else:
        note = f"no edaravone course recorded; {_UNCONFIRMED}"
        found["meds.edaravone_last_date"] = Input(None, None, "drug courses", note)
    return found


def _consent(session: Session, pid: int, on: date) -> dict[str, Input]:
    """The consent that holds on the day, and whether its document states the evidence status."""
    standing, held = valid_consent(session, pid, on)
    if held is None:
        note = standing.reason or "no valid consent"
        return {
            "consent.signed": Input(None, None, "consents", note),
            "consent.version_includes_evidence_status_disclosure": Input(
                None, None, "consents", note
            ),
        }
    document = session.get_one(ConsentDocument, held.document_id)
    return {
        "consent.signed": Input(True, held.consented_on, f"consent {held.id}"),
        "consent.version_includes_evidence_status_disclosure": Input(
            document.discloses_evidence_status,
            held.consented_on,
            f"consent document {document.id} (version {document.document_version})",
        ),
    }
