"""The checks a treatment plan passes: one active plan per patient, a screening made for now,
and at approval a version that fits today's catalogues, a recent weight and safe punctures.

Each refusal is a StepRefused (409) that says why and what to do; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.eligibility.review import PLANNABLE
from alstrack.domain.follow_up import follow_up_schedules
from alstrack.domain.plan_readiness import lumbar_puncture_checks, screening_unfit, weight_too_old
from alstrack.domain.plans import (
    CellSource,
    DoseBasis,
    cell_sources,
    check_schedule,
    dose_per_administration,
    missing_values,
    plan_parameters,
    routes,
)
from alstrack.errors import FieldError, InvalidInput, StepRefused
from alstrack.services.adjunct_catalogue import adjunct_catalogue
from alstrack.services.context import today
from alstrack.services.records import patient_context
from alstrack.services.screenings import standing_of
from alstrack.store.models import (
    BodyMeasurement,
    Patient,
    Screening,
    TreatmentPlan,
    TreatmentPlanVersion,
)

__all__ = [
    "approved_plan",
    "by_lumbar_puncture",
    "check_approvable",
    "check_grounds",
    "check_no_active_plan",
    "collect",
    "latest_weight",
    "version_name",
]

T = TypeVar("T")
_ACTIVE = ("draft", "approved")


def check_no_active_plan(session: Session, patient: Patient) -> None:
    """Refuse a new plan while the patient has one in draft or approved, naming it."""
    active = session.scalars(
        select(TreatmentPlan)
        .where(TreatmentPlan.patient_id == patient.id, TreatmentPlan.status.in_(_ACTIVE))
        .order_by(TreatmentPlan.id)
        .limit(1)
    ).first()
    if active is not None:
        raise StepRefused(
            f"Patient {patient.id} has treatment plan {active.id} ({active.status}); a patient has "
            f"one active plan at a time. Revise that plan, or close it first "
            f"(POST /plans/{active.id}/close)."
        )


def check_grounds(
    session: Session, patient: Patient, screening_id: int, at: datetime, where: str = ""
) -> Screening:
    """The screening a plan rests on; refused after a death, or unless it is the patient's latest,
    plannable and made for now (not backdated, not too old at ``at``)."""
    death = patient_context(session, patient).death_date
    if death is not None:
        raise StepRefused(f"Patient {patient.id} has a recorded death ({death}).")
    screening = session.get(Screening, screening_id)
    if screening is None or screening.patient_id != patient.id:
        raise InvalidInput.for_field(
            f"{where}screening_id", f"no screening {screening_id} of this patient"
        )
    latest = session.scalars(
        select(Screening.id)
        .where(Screening.patient_id == patient.id)
        .order_by(Screening.id.desc())
        .limit(1)
    ).one()
    if latest != screening_id:
        raise StepRefused(
            f"Screening {screening_id} is superseded by the patient's newer screening {latest}; "
            "a plan rests on the latest screening."
        )
    status = standing_of(session, screening)
    if status not in PLANNABLE:
        raise StepRefused(
            f"Screening {screening_id} is {status.replace('_', ' ')}; a plan rests on an eligible "
            "screening or one whose reviews were all accepted."
        )
    unfit = screening_unfit(screening.as_of, screening.screened_at, at, plan_parameters())
    if unfit is not None:
        raise StepRefused(f"Screening {screening_id} cannot carry a plan: {unfit}.")
    return screening


def check_approvable(
    session: Session, plan: TreatmentPlan, row: TreatmentPlanVersion, screening: Screening
) -> CellSource:
    """Refuse a version that no longer fits the catalogues, whose dose or endotoxin limit is
    missing or rests on an older or too old weight, or that is intrathecal on a failed
    lumbar-puncture check; the version's cell source."""
    what = version_name(plan, row)
    source = _check_catalogues(row, what)
    latest = latest_weight(session, plan.patient_id)
    if (latest.id if latest is not None else None) != row.weight_measurement_id:
        used = (
            f"{row.weight_kg:g} kg of {row.weight_measured_on}"
            if row.weight_kg is not None
            else "no weight"
        )
        now_ = (
            f"the latest weight is {latest.weight_kg:g} kg of {latest.assessed_on}"
            if latest is not None
            else "no weight is current now"
        )
        raise StepRefused(
            f"{what} was computed from {used}; {now_}. "
            "Revise the plan to compute the dose and endotoxin limit again."
        )
    missing = missing_values(row.dose_basis, row.weight_kg, row.dose_cells, row.endotoxin_limit_eu)
    if missing:
        raise StepRefused(f"{what} cannot be approved: {'; '.join(missing.values())}.")
    if row.weight_measured_on is not None:
        too_old = weight_too_old(row.weight_measured_on, today(), plan_parameters())
        if too_old is not None:
            raise StepRefused(f"{what} cannot be approved: {too_old}.")
    if by_lumbar_puncture(row.route):
        failed = [c for c in lumbar_puncture_checks(screening.criteria) if c.result == "FAIL"]
        if failed:
            named = "; ".join(f"{c.id} ({c.reason})" if c.reason else c.id for c in failed)
            checks = "checks" if len(failed) > 1 else "check"
            raise StepRefused(
                f"{what} is intrathecal, and screening {screening.id} failed the lumbar-puncture "
                f"{checks} {named}: it cannot be approved. Record the finding again and screen the "
                "patient again, or revise the plan to another route. Every lumbar-puncture check "
                "is judged again at the bedside before each puncture."
            )
    return source


def _check_catalogues(row: TreatmentPlanVersion, what: str) -> CellSource:
    """Refuse approving a version that today's catalogues no longer allow; its cell source."""
    problems: list[str] = []
    source = cell_sources().find(row.cell_source)
    if source is None:
        problems.append(f"cell source {row.cell_source!r} is no longer in the catalogue")
    route = routes().find(row.route)
    if route is None:
        problems.append(f"route {row.route!r} is no longer in the catalogue")
    elif route.endotoxin_k_eu_per_kg != row.endotoxin_k_eu_per_kg:
        problems.append(
            f"K for {row.route} is now {route.endotoxin_k_eu_per_kg:g} EU/kg, not the "
            f"{row.endotoxin_k_eu_per_kg:g} EU/kg its endotoxin limit was computed with"
        )
    if row.follow_up_schedule not in {s.id for s in follow_up_schedules().schedules}:
        problems.append(
            f"follow-up schedule {row.follow_up_schedule!r} is no longer in the schedules file"
        )
    unknown = [
        a["therapy"] for a in row.adjunct_therapies if not adjunct_catalogue().find(a["therapy"])
    ]
    if unknown:
        problems.append(f"adjunct therapy {', '.join(unknown)} is no longer in the catalogue")
    errors: list[FieldError] = []
    basis = cast(DoseBasis, row.dose_basis)
    collect(
        errors,
        lambda: dose_per_administration(
            basis, cells_per_kg=row.cells_per_kg, fixed_cells=row.fixed_cells, weight_kg=None
        ),
    )
    collect(errors, lambda: check_schedule(row.administrations, row.interval_days))
    problems += [f"{error.field} {error.message}" for error in errors]
    if problems or source is None:
        raise StepRefused(
            f"{what} no longer fits today's catalogues: {'; '.join(problems)}. Revise the plan."
        )
    return source


def latest_weight(session: Session, patient_id: int) -> BodyMeasurement | None:
    """The patient's latest current weight on or before today."""
    return session.scalars(
        select(BodyMeasurement)
        .where(
            BodyMeasurement.patient_id == patient_id,
            BodyMeasurement.status == "current",
            BodyMeasurement.weight_kg.is_not(None),
            BodyMeasurement.assessed_on <= today(),
        )
        .order_by(BodyMeasurement.assessed_on.desc(), BodyMeasurement.id.desc())
        .limit(1)
    ).first()


def collect(errors: list[FieldError], check: Callable[[], T]) -> T | None:
    """What ``check`` returns; its InvalidInput fields added to ``errors`` instead (then None)."""
    try:
        return check()
    except InvalidInput as exc:
        errors.extend(exc.fields)
        return None


def version_name(plan: TreatmentPlan, row: TreatmentPlanVersion) -> str:
    """How messages name a version: by its plan version number, never its record version."""
    return f"Plan version number {row.number} of treatment plan {plan.id}"


def approved_plan(
    session: Session, patient_id: int
) -> tuple[TreatmentPlan, TreatmentPlanVersion] | None:
    """The patient's approved plan and its version in force, or None (a patient has at most
    one active plan: check_no_active_plan)."""
    plan = session.scalars(
        select(TreatmentPlan).where(
            TreatmentPlan.patient_id == patient_id, TreatmentPlan.status == "approved"
        )
    ).first()
    if plan is None:
        return None
    version = session.scalars(
        select(TreatmentPlanVersion).where(
            TreatmentPlanVersion.plan_id == plan.id,
            TreatmentPlanVersion.number == plan.current_version,
        )
    ).one()
    return plan, version


def by_lumbar_puncture(route_id: str) -> bool:
    """The route is given by lumbar puncture (routes.yaml): its LP- checks apply."""
    route = routes().find(route_id)
    return route is not None and route.lumbar_puncture
