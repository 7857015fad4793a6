"""Adverse events: recorded, followed until they resolve, and their expedited reports tracked.

An adverse event is a dated record of the patient (records.py): added, corrected by
superseding with a reason (how it is followed: a later grade, the resolution, the outcome),
voided if entered in error, every change audited. Grade and seriousness are separate axes;
relatedness is recorded to the procedure and to the product. A death is recorded both as the
outcome and as the death milestone: a fatal outcome needs the milestone on the same day.
A SUSAR's expedited reports (domain/safety.py) are recorded as submitted, each signed 'reported'
by who records it (their password again, services/signatures.py); ``reporting_status``
shows, per site, what is due, when, and what is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.plans import routes
from alstrack.domain.safety import (
    REPORTS,
    RESOLVED,
    Action,
    AdverseEventFacts,
    ClockStarts,
    Outcome,
    Relatedness,
    Seriousness,
    clock_starts,
    reporting_rules,
    reports_due,
)
from alstrack.errors import FieldError, InvalidInput, NotFound, StepRefused
from alstrack.services.assessments import RecordMeta, meta
from alstrack.services.context import (
    Actor,
    audited,
    clinic_day,
    load_patient,
    not_in_future,
    now,
    today,
)
from alstrack.services.fields import RecordId, WholeNumber
from alstrack.services.records import PatientContext, RecordKind, patient_context
from alstrack.services.signatures import SIGNING_HELP, SignatureOut, confirm, present, sign
from alstrack.services.sites import check_site_code
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    Administration,
    AdverseEvent,
    Patient,
    Product,
    SafetyReport,
    Site,
)

__all__ = [
    "ADVERSE_EVENT",
    "AdverseEventIn",
    "AdverseEventOut",
    "ReportDueOut",
    "ReportIn",
    "ReportOut",
    "list_adverse_events",
    "record_report",
    "reporting_status",
]

_Text = Annotated[str, Field(min_length=1, max_length=200)]


class AdverseEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    term: _Text = Field(description="What happened, in words (a MedDRA term where known)")
    meddra_code: Annotated[str, Field(pattern=r"^\d{8}$")] | None = Field(
        default=None, description="MedDRA LLT or PT code (8 digits), optional"
    )
    onset_date: date
    aware_on: date = Field(description="The day the program became aware: reporting clocks start")
    resolution_date: date | None = None
    grade: WholeNumber = Field(ge=1, le=5, description="CTCAE v5.0 grade: 1 mild … 5 death")
    serious_criteria: list[Seriousness] = Field(
        default_factory=list, description="ICH E2A criteria met; empty: not serious"
    )
    related_to_procedure: Relatedness
    related_to_product: Relatedness
    expectedness: Literal["expected", "unexpected"] = Field(
        description="Against the program's reference safety information"
    )
    action_taken: Action
    outcome: Outcome
    administration_id: RecordId | None = Field(
        default=None, description="The dose it followed, if any"
    )
    description: Annotated[str, Field(max_length=4000)] | None = None
    information_on: date | None = Field(
        default=None,
        description="For a correction: the day the new information it records reached the "
        "program (default: the day it is recorded); a reporting clock it starts counts from then",
    )


class AdverseEventOut(RecordMeta):
    term: str
    meddra_code: str | None
    onset_date: date
    aware_on: date
    resolution_date: date | None
    grade: int
    serious_criteria: list[str]
    related_to_procedure: str
    related_to_product: str
    expectedness: str
    action_taken: str
    outcome: str
    administration_id: int | None
    description: str | None
    information_on: date | None
    serious: bool
    susar: bool = Field(description="Serious, suspected related and unexpected")
    resolved: bool


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: Literal["initial", "full", "follow_up"] = Field(
        description="initial; full (fatal or life-threatening); follow_up (became fatal or "
        "life-threatening after its initial report)"
    )
    submitted_on: date
    submitted_to: _Text = Field(description="The regulator or ethics committee it went to")
    reference: Annotated[str, Field(max_length=100)] | None = None
    password: SecretStr = Field(description=SIGNING_HELP)


class ReportOut(BaseModel):
    id: int
    adverse_event_id: int
    patient_id: int
    report: str
    submitted_on: date
    submitted_to: str
    reference: str | None
    recorded_by: int
    recorded_at: datetime
    signature: SignatureOut | None = Field(
        description="Who recorded it, signed 'reported': the report and the adverse-event "
        "record it reported (null: recorded before reports were signed)"
    )


class ReportDueOut(BaseModel):
    """One expedited report of a SUSAR: when it is due and where it stands on the day asked."""

    adverse_event_id: int
    patient_id: int
    patient_study_id: str
    site_code: str
    term: str
    aware_on: date
    report: str
    due_on: date
    state: Literal["due", "overdue", "on_time", "late"]
    submitted_on: date | None
    downgraded: bool = Field(
        description="Corrected since its clock started so that it no longer meets the criteria "
        "that started it: the report still stands (tell the regulator in it)"
    )


def _prepare(session: Session, ctx: PatientContext, data: AdverseEventIn) -> dict[str, Any]:
    errors: list[FieldError] = []
    moment = today()
    for name in ("onset_date", "aware_on", "resolution_date", "information_on"):
        value = getattr(data, name)
        if value is not None and value > moment:
            errors.append(FieldError(name, "must not be in the future"))
    if data.aware_on < data.onset_date:
        errors.append(FieldError("aware_on", "must not be before the onset"))
    if data.information_on is not None and data.information_on < data.aware_on:
        errors.append(FieldError("information_on", "must not be before the awareness date"))
    if data.resolution_date is not None and data.resolution_date < data.onset_date:
        errors.append(FieldError("resolution_date", "must not be before the onset"))
    if (data.outcome in RESOLVED) != (data.resolution_date is not None):
        errors.append(
            FieldError(
                "resolution_date",
                f"is given exactly when the outcome is {', '.join(sorted(RESOLVED))}",
            )
        )
    if len(set(data.serious_criteria)) != len(data.serious_criteria):
        errors.append(FieldError("serious_criteria", "lists a criterion twice"))
    fatal = {data.grade == 5, data.outcome == "fatal", "death" in data.serious_criteria}
    if len(fatal) > 1:
        errors.append(
            FieldError(
                "outcome",
                "grade 5, outcome fatal and the seriousness criterion death go together",
            )
        )
    if errors:
        raise InvalidInput("Invalid adverse event", errors)
    if data.outcome == "fatal" and ctx.death_date != data.resolution_date:
        raise InvalidInput.for_field(
            "outcome",
            f"a fatal outcome on {data.resolution_date} needs the death milestone on that day "
            f"(recorded: {ctx.death_date or 'none'}); record or correct the milestone first",
        )
    if data.administration_id is not None:
        given = session.get(Administration, data.administration_id)
        if given is None or given.patient_id != ctx.patient_id:
            raise InvalidInput.for_field(
                "administration_id", f"no administration {data.administration_id} of this patient"
            )
        if data.onset_date < clinic_day(given.at):
            raise InvalidInput.for_field("onset_date", "must not be before the dose it followed")
    return data.model_dump()


def _facts(row: AdverseEvent) -> AdverseEventFacts:
    return AdverseEventFacts(
        serious_criteria=tuple(row.serious_criteria),
        related_to_product=row.related_to_product,
        related_to_procedure=row.related_to_procedure,
        expectedness=row.expectedness,
        aware_on=row.aware_on,
    )


def _present(row: AdverseEvent, ctx: PatientContext) -> AdverseEventOut:
    facts = _facts(row)
    return AdverseEventOut(
        **meta(row),
        term=row.term,
        meddra_code=row.meddra_code,
        onset_date=row.onset_date,
        aware_on=row.aware_on,
        resolution_date=row.resolution_date,
        grade=row.grade,
        serious_criteria=list(row.serious_criteria),
        related_to_procedure=row.related_to_procedure,
        related_to_product=row.related_to_product,
        expectedness=row.expectedness,
        action_taken=row.action_taken,
        outcome=row.outcome,
        administration_id=row.administration_id,
        description=row.description,
        information_on=row.information_on,
        serious=facts.serious,
        susar=facts.susar(reporting_rules()),
        resolved=row.outcome in RESOLVED,
    )


def _correction(old: AdverseEvent, values: dict[str, Any]) -> None:
    # The reporting clocks started when the program became aware: a follow-up may find out it
    # knew earlier, never later (moving it later would reset an overdue clock).
    if values["aware_on"] > old.aware_on:
        raise InvalidInput.for_field(
            "aware_on", f"must not be later than the awareness first recorded ({old.aware_on})"
        )


ADVERSE_EVENT: RecordKind[AdverseEventIn, AdverseEventOut] = RecordKind(
    name="adverse_event",
    model=AdverseEvent,
    input_model=AdverseEventIn,
    permission_read="safety.read",
    permission_write="safety.write",
    prepare=_prepare,
    present=_present,
    order_by="onset_date",
    check_correction=_correction,
)


def record_report(db: Database, actor: Actor, event_id: int, data: ReportIn) -> ReportOut:
    """Record an expedited report of a SUSAR as submitted, signed 'reported' by who records it
    (audited)."""
    actor.require("safety.report")
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        row = _current(session, actor, event_id)
        facts = _facts(row)
        rules = reporting_rules()
        chain = _chain(session, row)
        starts = _starts(session, row, chain)
        if starts.susar_from is None:
            raise StepRefused(
                f"Adverse event {row.id} is not a SUSAR (serious, suspected related and "
                "unexpected), and never was: it has no expedited report."
            )
        submitted = _submitted(session, chain)
        due = reports_due(facts, submitted, today(), rules, starts)
        needed = [report.report for report in due]
        if data.report not in needed:
            raise InvalidInput.for_field("report", f"this SUSAR needs {', '.join(needed)} only")
        not_in_future("submitted_on", data.submitted_on, today())
        if data.submitted_on < row.aware_on:
            raise InvalidInput.for_field("submitted_on", "must not be before the awareness date")
        # A follow-up reports the upgrade, and a full report completes an initial one.
        if (
            data.report == "follow_up"
            and starts.fatal_from
            and data.submitted_on < starts.fatal_from
        ):
            raise InvalidInput.for_field(
                "submitted_on",
                f"a follow-up report tells of the upgrade on {starts.fatal_from}: not before it",
            )
        sent_initial = min((day for kind, day in submitted if kind == "initial"), default=None)
        if data.report == "full" and (sent_initial is None or data.submitted_on < sent_initial):
            raise InvalidInput.for_field(
                "submitted_on", "the full report follows the initial one: record that first"
            )
        at = now()
        report = SafetyReport(
            adverse_event_id=row.id,
            patient_id=row.patient_id,
            report=data.report,
            submitted_on=data.submitted_on,
            submitted_to=data.submitted_to,
            reference=data.reference,
            recorded_by=actor.user_id,
            recorded_at=at,
        )
        session.add(report)
        session.flush()
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="reported",
            entity="safety_report",
            entity_id=report.id,
            at=at,
        )
        report.signature_id = signature.id
        entry = audited(
            actor,
            at=at,
            action="report",
            entity="adverse_event",
            entity_id=row.id,
            patient_id=row.patient_id,
            new=data.model_dump(exclude={"password"})
            | {"safety_report_id": report.id, "signature_id": signature.id, "meaning": "reported"},
        )
        audit.record(session, [entry])
        return ReportOut(
            id=report.id,
            adverse_event_id=report.adverse_event_id,
            patient_id=report.patient_id,
            report=report.report,
            submitted_on=report.submitted_on,
            submitted_to=report.submitted_to,
            reference=report.reference,
            recorded_by=report.recorded_by,
            recorded_at=report.recorded_at,
            signature=present(session, signature),
        )


def reporting_status(
    db: Database,
    actor: Actor,
    *,
    on: date | None = None,
    site_code: str | None = None,
    state: str | None = None,
) -> list[ReportDueOut]:
    """Every expedited report of the current SUSARs the actor sees, by due day: due, overdue,
    submitted on time or late, on ``on`` (default: today at the clinics)."""
    actor.require("safety.read")
    day = on or today()
    with db.read() as session:
        check_site_code(session, site_code)
        rows = session.execute(
            select(AdverseEvent, Patient.study_id, Site.code, Site.id)
            .join(Patient, Patient.id == AdverseEvent.patient_id)
            .join(Site, Site.id == Patient.site_id)
            .where(AdverseEvent.status == "current")
            .order_by(AdverseEvent.aware_on, AdverseEvent.id)
        ).all()
        rules = reporting_rules()
        out: list[ReportDueOut] = []
        for row, study_id, code, site_id in rows:
            if not actor.sees_site(site_id) or (site_code is not None and code != site_code):
                continue
            facts = _facts(row)
            if row.supersedes_id is None and not facts.susar(rules):
                continue  # never corrected, never a SUSAR: no history to read
            chain = _chain(session, row)
            starts = _starts(session, row, chain)
            submitted = _submitted(session, chain)
            downgraded = starts.susar_from is not None and (
                not facts.susar(rules)
                or (starts.fatal_from is not None and not facts.fatal_or_life_threatening)
            )
            for due in reports_due(facts, submitted, day, rules, starts):
                if state is None or due.state == state:
                    out.append(
                        ReportDueOut(
                            adverse_event_id=row.id,
                            patient_id=row.patient_id,
                            patient_study_id=study_id,
                            site_code=code,
                            term=row.term,
                            aware_on=row.aware_on,
                            report=due.report,
                            due_on=due.due_on,
                            state=due.state,
                            submitted_on=due.submitted_on,
                            downgraded=downgraded,
                        )
                    )
        return sorted(out, key=lambda r: (r.due_on, r.adverse_event_id, REPORTS.index(r.report)))


def list_adverse_events(
    db: Database,
    actor: Actor,
    *,
    din: str | None = None,
    route: str | None = None,
    unresolved: bool = False,
) -> list[AdverseEventOut]:
    """Current adverse events the actor sees, by onset: after doses of one product (``din``),
    by one route, or still unresolved (to be followed)."""
    actor.require("safety.read")
    if route is not None and routes().find(route) is None:
        raise InvalidInput("Invalid filter", [routes().unknown(route, "route")])
    with db.read() as session:
        stmt = (
            select(AdverseEvent, Patient)
            .join(Patient, Patient.id == AdverseEvent.patient_id)
            .where(AdverseEvent.status == "current")
            .order_by(AdverseEvent.onset_date, AdverseEvent.id)
        )
        if din is not None or route is not None:
            stmt = stmt.join(Administration, Administration.id == AdverseEvent.administration_id)
        if din is not None:
            code = "".join(din.split()).upper()[:13]
            stmt = stmt.join(Product, Product.id == Administration.product_id).where(
                Product.din == code
            )
        if route is not None:
            stmt = stmt.where(Administration.route == route)
        if unresolved:
            stmt = stmt.where(AdverseEvent.outcome.not_in(sorted(RESOLVED)))
        return [
            _present(row, patient_context(session, patient))
            for row, patient in session.execute(stmt).all()
            if actor.sees_site(patient.site_id)
        ]


def _current(session: Session, actor: Actor, event_id: int) -> AdverseEvent:
    row = session.get(AdverseEvent, event_id)
    missing = NotFound(f"No adverse event {event_id}.")
    if row is None:
        raise missing
    try:
        load_patient(session, actor, row.patient_id, lock=True)
    except NotFound:
        raise missing from None
    if row.status != "current":
        raise StepRefused(
            f"Adverse event {row.id} is {row.status}: report against the current record "
            f"({row.superseded_by_id or 'none'})."
        )
    return row


def _chain(session: Session, row: AdverseEvent) -> list[int]:
    """The ids of the record and every record it superseded."""
    ids = [row.id]
    previous = row.supersedes_id
    while previous is not None:
        ids.append(previous)
        previous = session.scalar(
            select(AdverseEvent.supersedes_id).where(AdverseEvent.id == previous)
        )
    return ids


def _starts(session: Session, row: AdverseEvent, chain: list[int]) -> ClockStarts:
    """When the clocks start: the first version is known from the awareness date (the current
    one: it may only move earlier), each correction from the day its information reached the
    program (``information_on``), else the clinic's day it was recorded."""
    versions = session.scalars(
        select(AdverseEvent).where(AdverseEvent.id.in_(chain)).order_by(AdverseEvent.id)
    ).all()
    history = [
        (
            _facts(version),
            row.aware_on
            if index == 0
            else max(row.aware_on, version.information_on or clinic_day(version.entered_at)),
        )
        for index, version in enumerate(versions)
    ]
    return clock_starts(history, reporting_rules())


def _submitted(session: Session, ids: Iterable[int]) -> list[tuple[str, date]]:
    return [
        (report, day)
        for report, day in session.execute(
            select(SafetyReport.report, SafetyReport.submitted_on).where(
                SafetyReport.adverse_event_id.in_(list(ids))
            )
        )
    ]
