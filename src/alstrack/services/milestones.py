"""Milestones (gastrostomy, NIV, tracheostomy, death) and disease-modifying drug courses."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alstrack.domain.registry import Drug, MilestoneKind
from alstrack.errors import InvalidInput
from alstrack.services.assessments import RecordMeta, meta
from alstrack.services.context import not_in_future, today
from alstrack.services.records import PatientContext, RecordKind
from alstrack.store.models import (
    AdjunctSession,
    BodyMeasurement,
    DrugCourse,
    FollowUpVisit,
    InstrumentAssessment,
    Milestone,
    SpirometryTest,
)


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: MilestoneKind
    occurred_on: date


class MilestoneOut(RecordMeta):
    kind: str
    occurred_on: date


def _prepare_milestone(session: Session, ctx: PatientContext, data: MilestoneIn) -> dict[str, Any]:
    not_in_future("occurred_on", data.occurred_on, today())
    if ctx.date_of_birth and data.occurred_on < ctx.date_of_birth:
        raise InvalidInput.for_field("occurred_on", "must not be before the date of birth")
    existing = session.scalar(
        select(Milestone.id).where(
            Milestone.patient_id == ctx.patient_id,
            Milestone.kind == data.kind,
            Milestone.status == "current",
        )
    )
    if existing is not None:
        # Each milestone happens once; a wrong date is corrected, not recorded twice.
        raise InvalidInput.for_field(
            "kind", f"this patient has a {data.kind} milestone already (id {existing}); correct it"
        )
    if data.kind != "death" and ctx.death_date and data.occurred_on > ctx.death_date:
        raise InvalidInput.for_field("occurred_on", "must not be after the recorded death")
    if data.kind == "gastrostomy":
        scored = _latest_q5a_on_or_after(session, ctx.patient_id, data.occurred_on)
        if scored is not None:
            # Item 5a is for patients without a gastrostomy: those visits would be mis-staged.
            raise InvalidInput.for_field(
                "occurred_on",
                f"ALSFRS-R visits on or after this date score item 5a (the latest on "
                f"{scored.isoformat()}); correct them to 5b or check the date",
            )
    if data.kind == "death":
        later = _latest_record_after(session, ctx.patient_id, data.occurred_on)
        if later is not None:
            raise InvalidInput.for_field(
                "occurred_on",
                f"records exist after this date (the latest on {later.isoformat()}); "
                "correct them or the date of death",
            )
    return data.model_dump()


def _latest_record_after(session: Session, patient_id: int, on: date) -> date | None:
    """The latest date of a current record after ``on``, if any (nothing follows a death)."""
    dated = (
        (InstrumentAssessment, InstrumentAssessment.assessed_on),
        (SpirometryTest, SpirometryTest.assessed_on),
        (BodyMeasurement, BodyMeasurement.assessed_on),
        (Milestone, Milestone.occurred_on),
        (DrugCourse, DrugCourse.start_date),
    )
    latest = [
        session.scalar(
            select(func.max(column)).where(
                model.patient_id == patient_id, model.status == "current", column > on
            )
        )
        for model, column in dated
    ]
    # Visits made and adjunct sessions held are dated records too (they have no status column).
    latest += [
        session.scalar(
            select(func.max(FollowUpVisit.visited_on)).where(
                FollowUpVisit.patient_id == patient_id, FollowUpVisit.visited_on > on
            )
        ),
        session.scalar(
            select(func.max(AdjunctSession.held_on)).where(
                AdjunctSession.patient_id == patient_id,
                AdjunctSession.status == "done",
                AdjunctSession.held_on > on,
            )
        ),
    ]
    found = [d for d in latest if d is not None]
    return max(found) if found else None


def _check_milestone_batch(rows: list[dict[str, Any]]) -> None:
    """Within one import: each milestone once per patient, and none after that patient's death."""
    seen: set[tuple[int, str]] = set()
    deaths = {r["patient_id"]: r["occurred_on"] for r in rows if r["kind"] == "death"}
    for index, row in enumerate(rows):
        key = (row["patient_id"], row["kind"])
        if key in seen:
            raise InvalidInput.for_field(
                "kind", f"record {index + 1}: a second {row['kind']} milestone for the same patient"
            )
        seen.add(key)
        death = deaths.get(row["patient_id"])
        if death is not None and row["occurred_on"] > death:
            raise InvalidInput.for_field(
                "occurred_on", f"record {index + 1}: after the death recorded in the same import"
            )


def _latest_q5a_on_or_after(session: Session, patient_id: int, on: date) -> date | None:
    rows = session.execute(
        select(InstrumentAssessment.assessed_on, InstrumentAssessment.responses).where(
            InstrumentAssessment.patient_id == patient_id,
            InstrumentAssessment.status == "current",
            InstrumentAssessment.instrument == "alsfrs_r",
            InstrumentAssessment.assessed_on >= on,
        )
    )
    dates = [d for d, responses in rows if responses.get("q5a") is not None]
    return max(dates) if dates else None


def _present_milestone(row: Milestone, _ctx: PatientContext) -> MilestoneOut:
    return MilestoneOut(**meta(row), kind=row.kind, occurred_on=row.occurred_on)


MILESTONE: RecordKind[MilestoneIn, MilestoneOut] = RecordKind(
    name="milestone",
    model=Milestone,
    input_model=MilestoneIn,
    permission_read="patients.read",
    permission_write="patients.write",
    prepare=_prepare_milestone,
    present=_present_milestone,
    order_by="occurred_on",
    check_batch=_check_milestone_batch,
)


class DrugCourseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    drug: Drug
    drug_name: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Required when drug is 'other'"
    )
    start_date: date
    stop_date: date | None = None


class DrugCourseOut(RecordMeta):
    drug: str
    drug_name: str | None
    start_date: date
    stop_date: date | None


def _prepare_drug(_session: Session, ctx: PatientContext, data: DrugCourseIn) -> dict[str, Any]:
    t = today()
    not_in_future("start_date", data.start_date, t)
    not_in_future("stop_date", data.stop_date, t)
    if data.stop_date and data.stop_date < data.start_date:
        raise InvalidInput.for_field("stop_date", "must not be before start_date")
    if ctx.death_date and data.start_date > ctx.death_date:
        raise InvalidInput.for_field("start_date", "must not be after the recorded death")
    if data.drug == "other" and not data.drug_name:
        raise InvalidInput.for_field("drug_name", "name the drug when drug is 'other'")
    return data.model_dump()


def _present_drug(row: DrugCourse, _ctx: PatientContext) -> DrugCourseOut:
    return DrugCourseOut(
        **meta(row),
        drug=row.drug,
        drug_name=row.drug_name,
        start_date=row.start_date,
        stop_date=row.stop_date,
    )


DRUG_COURSE: RecordKind[DrugCourseIn, DrugCourseOut] = RecordKind(
    name="drug_course",
    model=DrugCourse,
    input_model=DrugCourseIn,
    permission_read="patients.read",
    permission_write="patients.write",
    prepare=_prepare_drug,
    present=_present_drug,
    order_by="start_date",
)
