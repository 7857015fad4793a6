"""The pretreatment evaluation: a dated record of what the clinic found before treatment.

It holds the data elements a screening reads that the registry does not already know (labs,
vital signs, infections, conditions, prior cell therapy and any reaction to it, medications
other than the registry's drug courses), each with the date it was measured. What the registry
knows (ALSFRS-R, spirometry, weight, history, milestones, drug courses, consents) is read from
the registry when a screening runs, so one fact has one place; entering it here is refused with
the place to record it instead. An evaluation is screening beyond demographics: it needs the
patient's valid consent on its day (services/consents.require_consent).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from alstrack.domain.eligibility import Observation, read_observations
from alstrack.errors import FieldError, InvalidInput
from alstrack.services.assessments import Rater, RecordMeta, check_visit_date, meta
from alstrack.services.consents import require_consent
from alstrack.services.records import PatientContext, RecordKind
from alstrack.services.rulesets import active_ruleset
from alstrack.services.screening_inputs import REGISTRY_ELEMENTS
from alstrack.store.models import Patient, PretreatmentEvaluation

# Data elements of products and the bedside, recorded with lots and administrations instead.
_NOT_PRETREATMENT = ("donor.", "lot.", "admin.")


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assessed_on: date
    assessed_by: Rater
    observations: dict[str, Any] = Field(
        description=(
            "Data-element name of the rule set in force -> a value, or "
            '{"value": v, "date": "YYYY-MM-DD"} when it was measured before the evaluation day'
        ),
        examples=[
            {
                "lab.platelets_10e9_per_l": 210,
                "inf.active_systemic_infection": False,
                "lab.inr": {"value": 1.0, "date": "2026-11-20"},
            }
        ],
    )
    notes: str | None = Field(default=None, max_length=4000)


class EvaluationOut(RecordMeta):
    assessed_on: date
    assessed_by: str
    observations: dict[str, Any] = Field(
        description='Data-element name -> {"value": v, "date": "YYYY-MM-DD"}'
    )
    notes: str | None


def _prepare(session: Session, ctx: PatientContext, data: EvaluationIn) -> dict[str, Any]:
    check_visit_date(ctx, data.assessed_on)
    patient = session.get_one(Patient, ctx.patient_id)
    require_consent(session, patient, data.assessed_on, "a pretreatment evaluation")
    if not data.observations:
        raise InvalidInput.for_field("observations", "give at least one data element")
    ruleset = active_ruleset(session).ruleset
    errors: list[FieldError] = []
    for name in data.observations:
        if name in REGISTRY_ELEMENTS:
            errors.append(
                FieldError(
                    f"observations.{name}",
                    f"comes from the registry ({REGISTRY_ELEMENTS[name]}); record it there",
                )
            )
        elif name.startswith(_NOT_PRETREATMENT):
            errors.append(
                FieldError(f"observations.{name}", "belongs to a donor, lot or administration")
            )
    try:
        found = read_observations(ruleset, data.observations)
    except InvalidInput as exc:
        errors += [FieldError(f"observations.{f.field}", f.message) for f in exc.fields]
        found = {}
    for name, observation in found.items():
        if observation.date is not None and observation.date > data.assessed_on:
            errors.append(
                FieldError(
                    f"observations.{name}",
                    f"dated {observation.date}, after the evaluation ({data.assessed_on})",
                )
            )
    if errors:
        raise InvalidInput("Invalid pretreatment evaluation", errors)
    stored = {
        name: _stored(observation, data.assessed_on) for name, observation in sorted(found.items())
    }
    return {
        "assessed_on": data.assessed_on,
        "assessed_by": data.assessed_by,
        "observations": stored,
        "notes": data.notes,
    }


def _stored(observation: Observation, default_date: date) -> dict[str, Any]:
    value = observation.value
    if isinstance(value, date | datetime):
        value = value.isoformat()
    return {"value": value, "date": (observation.date or default_date).isoformat()}


def _present(row: PretreatmentEvaluation, _ctx: PatientContext) -> EvaluationOut:
    return EvaluationOut(
        **meta(row),
        assessed_on=row.assessed_on,
        assessed_by=row.assessed_by,
        observations=row.observations,
        notes=row.notes,
    )


PRETREATMENT_EVALUATION: RecordKind[EvaluationIn, EvaluationOut] = RecordKind(
    name="pretreatment_evaluation",
    model=PretreatmentEvaluation,
    input_model=EvaluationIn,
    permission_read="assessments.read",
    permission_write="assessments.write",
    prepare=_prepare,
    present=_present,
    order_by="assessed_on",
)
