"""Screen a registry patient for eligibility, store the screening, and record physicians' reviews.

A screening reads the patient's pretreatment evaluations and registry records dated on or before
its as-of day (in the program's time zone), as they stand when it runs; it evaluates the rule set
in force under the program's profile and stores the rule set version, the profile, the as-of time
and day, every input with its date and source, and every criterion. It is never rewritten: new
facts (or a correction of an old one) mean a new screening. A physician decides each REVIEW
criterion with a reason and a signature; an exclusion that failed cannot be overridden
(domain/eligibility/review).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.config import get_settings
from alstrack.domain.eligibility import Observation, RuleSet, read_observations, screen
from alstrack.domain.eligibility.inputs import parameters
from alstrack.domain.eligibility.review import (
    Decision,
    Status,
    check_decision,
    standing,
)
from alstrack.errors import Conflict, InvalidInput, PermissionDenied, StepRefused
from alstrack.services.consents import require_consent
from alstrack.services.context import (
    Actor,
    audited,
    clinic_day,
    load_of_patient,
    load_patient,
    now,
)
from alstrack.services.records import patient_context
from alstrack.services.rulesets import active_ruleset
from alstrack.services.screening_inputs import (
    REGISTRY_ELEMENTS,
    Completeness,
    Input,
    registry_inputs,
)
from alstrack.services.signatures import SIGNING_HELP, SignatureOut, confirm, present, sign
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    ElectronicSignature,
    Patient,
    PretreatmentEvaluation,
    Screening,
    ScreeningReview,
)

__all__ = [
    "ReviewIn",
    "ReviewOut",
    "ScreeningIn",
    "ScreeningOut",
    "get_screening",
    "list_screenings",
    "review_criterion",
    "screen_patient",
    "standing_of",
]


class ScreeningIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: str | None = Field(
        default=None,
        description="Threshold profile; the program's if omitted (only a physician may choose "
        "another)",
    )
    as_of: datetime | None = Field(
        default=None,
        description="Reference time (with a time zone); now if omitted. Not in the future.",
    )


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criterion_id: str = Field(description="Id of a criterion whose result is REVIEW")
    decision: Decision = Field(
        description="accept: the finding does not stop treatment; exclude: it does"
    )
    reason: Annotated[str, Field(min_length=1, max_length=4000)]
    password: SecretStr = Field(description=SIGNING_HELP)


class ReviewOut(BaseModel):
    criterion_id: str
    decision: str
    reason: str
    decided_at: datetime
    signature: SignatureOut


class CriterionOut(BaseModel):
    id: str
    group: str
    result: str
    value: Any
    threshold: Any
    effect: str
    sources: list[str]
    certainty: str
    reason: str
    review: ReviewOut | None = None


class ScreeningOut(BaseModel):
    id: int
    patient_id: int
    rule_set_version_id: int
    ruleset_id: str
    ruleset_version: str
    profile: str
    as_of: datetime = Field(description="Reference time, UTC")
    as_of_date: date = Field(description="The clinical day of as_of: facts up to it are read")
    verdict: str = Field(description="As computed when screened; never rewritten")
    status: Status = Field(description="The verdict with the physicians' review decisions")
    open_reviews: list[str]
    criteria: list[CriterionOut]
    inputs: dict[str, Any] = Field(description="Every data element read: value, date, source")
    screened_by: int
    screened_at: datetime


def screen_patient(db: Database, actor: Actor, patient_id: int, data: ScreeningIn) -> ScreeningOut:
    """Screen a patient with the rule set in force and store the screening."""
    actor.require("screenings.write")
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        at = now()
        as_of = _as_of(data.as_of, at)
        day = clinic_day(as_of)
        ctx = patient_context(session, patient)
        if ctx.death_date is not None and ctx.death_date <= day:
            raise StepRefused(f"Patient {patient_id} has a recorded death ({ctx.death_date}).")
        require_consent(session, patient, day, "screening")
        if day != clinic_day(at):  # backdated: a withdrawal or re-consent since counts too
            require_consent(session, patient, clinic_day(at), "screening")
        active = active_ruleset(session, store_as=actor)
        assert active.version_id is not None  # stored by store_as
        profile = _profile(actor, active.ruleset, data.profile)
        entered, complete = _evaluations(session, patient_id, day)
        found = registry_inputs(session, ctx, day, complete) | entered
        observations, notes = _observations(active.ruleset, found)
        result = screen(active.ruleset, observations, as_of=as_of, profile=profile)
        stored_inputs = {}
        for name, item in sorted(found.items()):
            shown = item.as_json()
            if name in notes:
                shown["note"] = notes[name]
                shown["value"] = None
            stored_inputs[name] = shown
        row = Screening(
            patient_id=patient_id,
            rule_set_version_id=active.version_id,
            ruleset_id=result.ruleset_id,
            ruleset_version=result.ruleset_version,
            profile=result.profile,
            as_of=as_of,
            as_of_date=day,
            verdict=result.verdict.value,
            inputs=stored_inputs,
            criteria=[_criterion_json(c) for c in result.criteria],
            screened_by=actor.user_id,
            screened_at=at,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="screen",
                    entity="screening",
                    entity_id=row.id,
                    patient_id=patient_id,
                    site_id=patient.site_id,
                    new={
                        "verdict": row.verdict,
                        "ruleset": f"{row.ruleset_id} {row.ruleset_version}",
                        "rule_set_version_id": row.rule_set_version_id,
                        "profile": row.profile,
                        "as_of": as_of,
                        "as_of_date": day,
                    },
                )
            ],
        )
        return _present(session, row)


def review_criterion(db: Database, actor: Actor, screening_id: int, data: ReviewIn) -> ScreeningOut:
    """A physician decides one REVIEW criterion, with a reason and a signature ('reviewed')."""
    actor.require("screenings.review")
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput.for_field("reason", "a reason is required")
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        row, patient = _load(session, actor, screening_id, lock=True)
        check_decision(row.criteria, data.criterion_id, data.decision)
        newest = _newest_id(session, row.patient_id)
        if newest != row.id:
            raise StepRefused(
                f"Screening {row.id} is superseded by the patient's newer screening {newest}; "
                "decide on that one."
            )
        earlier = session.scalars(
            select(ScreeningReview).where(
                ScreeningReview.screening_id == screening_id,
                ScreeningReview.criterion_id == data.criterion_id,
            )
        ).first()
        if earlier is not None:
            raise Conflict(
                f"{data.criterion_id} of screening {screening_id} was decided already "
                f"({earlier.decision}); screen again to decide afresh."
            )
        at = now()
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="reviewed",
            entity="screening",
            entity_id=f"{screening_id}/{data.criterion_id}",
            at=at,
        )
        session.add(
            ScreeningReview(
                screening_id=screening_id,
                criterion_id=data.criterion_id,
                decision=data.decision,
                reason=reason,
                signature_id=signature.id,
                decided_by=actor.user_id,
                decided_at=at,
            )
        )
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="review",
                    entity="screening",
                    entity_id=screening_id,
                    patient_id=row.patient_id,
                    site_id=patient.site_id,
                    new={
                        "criterion_id": data.criterion_id,
                        "decision": data.decision,
                        "signature_id": signature.id,
                        "meaning": "reviewed",
                    },
                    reason=reason,
                )
            ],
        )
        return _present(session, row)


def get_screening(db: Database, actor: Actor, screening_id: int) -> ScreeningOut:
    actor.require("screenings.read")
    with db.read() as session:
        return _present(session, _load(session, actor, screening_id)[0])


def list_screenings(db: Database, actor: Actor, patient_id: int) -> list[ScreeningOut]:
    """A patient's screenings, newest first."""
    actor.require("screenings.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        rows = session.scalars(
            select(Screening)
            .where(Screening.patient_id == patient_id)
            .order_by(Screening.id.desc())
        )
        return [_present(session, row) for row in rows]


def standing_of(session: Session, screening: Screening) -> Status:
    """Where a stored screening stands now, its reviews counted (what a treatment plan rests on)."""
    return standing(screening.verdict, screening.criteria, _decisions(session, screening.id)).status


def _as_of(given: datetime | None, at: datetime) -> datetime:
    if given is None:
        return at
    if given.tzinfo is None:
        raise InvalidInput.for_field("as_of", "must carry a time zone, e.g. 2026-11-26T09:00Z")
    if given > at:
        raise InvalidInput.for_field("as_of", f"must not be in the future (now {at.isoformat()})")
    return given.astimezone(UTC)


def _profile(actor: Actor, ruleset: RuleSet, asked: str | None) -> str:
    """The program's profile, or another one asked for by a physician."""
    program = get_settings().screening_profile or ruleset.ruleset.default_profile
    if asked is None or asked == program:
        return program
    if not actor.can("screenings.review"):
        raise PermissionDenied(
            f"Screenings use the program's profile ({program}); only a physician may screen "
            f"with another ({asked})."
        )
    return asked


def _evaluations(
    session: Session, patient_id: int, day: date
) -> tuple[dict[str, Input], Completeness]:
    """Each data element from the newest current evaluation holding it, within the age limit."""
    oldest = day - timedelta(days=parameters().evaluation.max_age_days)
    rows = session.scalars(
        select(PretreatmentEvaluation)
        .where(
            PretreatmentEvaluation.patient_id == patient_id,
            PretreatmentEvaluation.status == "current",
            PretreatmentEvaluation.assessed_on <= day,
            PretreatmentEvaluation.assessed_on >= oldest,
        )
        .order_by(PretreatmentEvaluation.assessed_on, PretreatmentEvaluation.id)
    )
    found: dict[str, Input] = {}
    for evaluation in rows:  # oldest first: a newer evaluation's value replaces an older one
        source = f"pretreatment_evaluation {evaluation.id}"
        for name, entry in evaluation.observations.items():
            if name in REGISTRY_ELEMENTS:
                # Entered before the registry held it (consent.*, until 0007): the registry's
                # record is read instead; one fact has one place.
                continue
            when = date.fromisoformat(entry["date"]) if entry.get("date") else None
            found[name] = Input(entry["value"], when, source)
    return found, Completeness(
        milestones=_confirmation(found.get("registry.milestones_complete")),
        drug_courses=_confirmation(found.get("registry.drug_courses_complete")),
    )


def _confirmation(statement: Input | None) -> tuple[date, str] | None:
    if statement is None or statement.value is not True or statement.date is None:
        return None
    return statement.date, statement.source


def _newest_id(session: Session, patient_id: int) -> int | None:
    return session.scalar(
        select(Screening.id)
        .where(Screening.patient_id == patient_id)
        .order_by(Screening.id.desc())
        .limit(1)
    )


def _observations(
    ruleset: RuleSet, found: dict[str, Input]
) -> tuple[dict[str, Observation], dict[str, str]]:
    """Typed observations for the rules; a value this rule set cannot read is noted, not used."""
    observations: dict[str, Observation] = {}
    notes: dict[str, str] = {}
    for name, item in found.items():
        if item.value is None:
            continue
        raw = item.as_json()
        try:
            observations.update(
                read_observations(ruleset, {name: {"value": raw["value"], "date": raw["date"]}})
            )
        except InvalidInput as exc:
            notes[name] = f"not read: {exc.fields[0].message}"
    return observations, notes


def _criterion_json(criterion: Any) -> dict[str, Any]:
    return {
        "id": criterion.id,
        "group": criterion.group,
        "result": criterion.result.value,
        "value": criterion.value,
        "threshold": criterion.threshold,
        "effect": criterion.effect,
        "sources": list(criterion.sources),
        "certainty": criterion.certainty,
        "reason": criterion.reason,
    }


def _load(
    session: Session, actor: Actor, screening_id: int, *, lock: bool = False
) -> tuple[Screening, Patient]:
    return load_of_patient(session, actor, Screening, screening_id, "screening", lock=lock)


def _reviews(
    session: Session, screening_id: int
) -> list[tuple[ScreeningReview, ElectronicSignature]]:
    rows = session.execute(
        select(ScreeningReview, ElectronicSignature)
        .join(ElectronicSignature, ElectronicSignature.id == ScreeningReview.signature_id)
        .where(ScreeningReview.screening_id == screening_id)
        .order_by(ScreeningReview.id)
    )
    return [(review, signature) for review, signature in rows]


def _decisions(session: Session, screening_id: int) -> dict[str, str]:
    return {review.criterion_id: review.decision for review, _ in _reviews(session, screening_id)}


def _present(session: Session, row: Screening) -> ScreeningOut:
    reviews = {
        review.criterion_id: ReviewOut(
            criterion_id=review.criterion_id,
            decision=review.decision,
            reason=review.reason,
            decided_at=review.decided_at,
            signature=present(session, signature),
        )
        for review, signature in _reviews(session, row.id)
    }
    now_standing = standing(
        row.verdict, row.criteria, {cid: r.decision for cid, r in reviews.items()}
    )
    return ScreeningOut(
        id=row.id,
        patient_id=row.patient_id,
        rule_set_version_id=row.rule_set_version_id,
        ruleset_id=row.ruleset_id,
        ruleset_version=row.ruleset_version,
        profile=row.profile,
        as_of=row.as_of,
        as_of_date=row.as_of_date,
        verdict=row.verdict,
        status=now_standing.status,
        open_reviews=list(now_standing.open_reviews),
        criteria=[CriterionOut(**c, review=reviews.get(c["id"])) for c in row.criteria],
        inputs=row.inputs,
        screened_by=row.screened_by,
        screened_at=row.screened_at,
    )
