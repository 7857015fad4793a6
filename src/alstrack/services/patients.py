"""Patients: pseudonymous registry entries, their direct identifiers kept apart, and ALS history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from alstrack.domain.registry import (
    DiagnosticCategory,
    DiagnosticCriteria,
    Genetics,
    OnsetRegion,
    Sex,
    YesNoUnknown,
    check_category,
    check_genetics,
)
from alstrack.errors import InvalidInput, NotFound
from alstrack.services.context import (
    Actor,
    audited,
    load_patient,
    not_in_future,
    now,
    record_view,
    require_reason,
    today,
)
from alstrack.services.fields import RecordId, Version
from alstrack.services.sites import study_id_counter
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import AlsHistory, Patient, PatientIdentity, SequenceCounter, Site
from alstrack.store.versioning import update_versioned

Name = Annotated[str, Field(min_length=1, max_length=200)]


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    given_name: Name
    family_name: Name
    date_of_birth: date
    record_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None


class IdentityUpdate(IdentityIn):
    """Identifiers to record; on a change after first save, ``version`` and ``reason`` are required.

    One shape for both (as :class:`HistoryIn`), so a request that leaves out the reason is told
    "reason", not a list of union branches.
    """

    version: Version | None = None
    reason: str | None = None


class IdentityOut(BaseModel):
    patient_id: int
    given_name: str
    family_name: str
    date_of_birth: date
    record_number: str | None
    version: int


def _identity_out(identity: PatientIdentity) -> IdentityOut:
    return IdentityOut(
        patient_id=identity.patient_id,
        given_name=identity.given_name,
        family_name=identity.family_name,
        date_of_birth=identity.date_of_birth,
        record_number=identity.record_number,
        version=identity.version,
    )


class HistoryIn(BaseModel):
    """ALS history. On a change after first save, ``version`` and ``reason`` are required."""

    model_config = ConfigDict(extra="forbid")
    onset_date: date | None = None
    onset_region: OnsetRegion | None = None
    diagnosis_date: date | None = None
    diagnostic_criteria: DiagnosticCriteria | None = None
    diagnostic_category: DiagnosticCategory | None = None
    genetics: list[Genetics] = Field(default_factory=lambda: list[Genetics](["not_tested"]))
    ftd: YesNoUnknown = "unknown"
    family_history: YesNoUnknown = "unknown"
    version: Version | None = None
    reason: str | None = None


class HistoryOut(BaseModel):
    onset_date: date | None
    onset_region: str | None
    diagnosis_date: date | None
    diagnostic_criteria: str | None
    diagnostic_category: str | None
    genetics: list[str]
    ftd: str
    family_history: str
    diagnostic_delay_months: float | None = Field(
        description="Months from symptom onset to diagnosis (days / 30.4375)."
    )
    version: int


class PatientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site_id: RecordId
    sex: Sex | None = None
    identity: IdentityIn | None = None
    history: HistoryIn | None = None
    synthetic: bool = False


class PatientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sex: Sex | None
    version: Version
    reason: str


class PatientOut(BaseModel):
    id: int
    study_id: str
    site_id: int
    sex: str | None
    synthetic: bool
    created_at: datetime
    updated_at: datetime
    version: int
    history: HistoryOut | None


HISTORY_FIELDS = (
    "onset_date",
    "onset_region",
    "diagnosis_date",
    "diagnostic_criteria",
    "diagnostic_category",
    "genetics",
    "ftd",
    "family_history",
)
MONTH_DAYS = 30.4375  # 365.25 / 12, as ΔFS uses (Kimura 2006)


def history_out(h: AlsHistory) -> HistoryOut:
    delay = None
    if h.onset_date and h.diagnosis_date:
        delay = (h.diagnosis_date - h.onset_date).days / MONTH_DAYS
    return HistoryOut(
        **{f: getattr(h, f) for f in HISTORY_FIELDS},
        diagnostic_delay_months=delay,
        version=h.version,
    )


def patient_out(p: Patient, h: AlsHistory | None) -> PatientOut:
    return PatientOut(
        id=p.id,
        study_id=p.study_id,
        site_id=p.site_id,
        sex=p.sex,
        synthetic=p.synthetic,
        created_at=p.created_at,
        updated_at=p.updated_at,
        version=p.version,
        history=history_out(h) if h else None,
    )


def _check_history(data: HistoryIn, date_of_birth: date | None) -> dict[str, Any]:
    t = today()
    not_in_future("onset_date", data.onset_date, t)
    not_in_future("diagnosis_date", data.diagnosis_date, t)
    if data.onset_date and data.diagnosis_date and data.diagnosis_date < data.onset_date:
        raise InvalidInput.for_field("diagnosis_date", "must not be before onset_date")
    if date_of_birth and data.onset_date and data.onset_date < date_of_birth:
        raise InvalidInput.for_field("onset_date", "must not be before the date of birth")
    problem = check_category(data.diagnostic_criteria, data.diagnostic_category)
    if problem:
        raise InvalidInput.for_field("diagnostic_category", problem)
    problem = check_genetics(list(data.genetics))
    if problem:
        raise InvalidInput.for_field("genetics", problem)
    return {f: getattr(data, f) for f in HISTORY_FIELDS}


def _check_identity(data: IdentityIn) -> None:
    not_in_future("date_of_birth", data.date_of_birth, today())
    if data.date_of_birth.year < 1900:
        raise InvalidInput.for_field("date_of_birth", "must be in 1900 or later")


def _next_study_id(session: Session, site: Site) -> str:
    # One atomic statement: concurrent registrations each get their own number (the counter row
    # is created with the site).
    value = session.scalar(
        update(SequenceCounter)
        .where(SequenceCounter.name == study_id_counter(site.code))
        .values(value=SequenceCounter.value + 1)
        .returning(SequenceCounter.value)
    )
    if value is None:
        raise NotFound(f"Site {site.code} has no study-number counter.")
    return f"{site.code}-{value:05d}"


def register_patient(db: Database, actor: Actor, data: PatientIn) -> PatientOut:
    """Register a patient at a site, with a new pseudonymous study identifier."""
    actor.require("patients.write")
    if data.identity is not None:
        actor.require("identifiers.write")
        _check_identity(data.identity)
    with db.transaction() as session:
        site = session.get(Site, data.site_id)
        if site is None or not actor.sees_site(site.id):
            raise InvalidInput.for_field("site_id", f"no site {data.site_id} that you work at")
        history = None
        if data.history is not None:
            dob = data.identity.date_of_birth if data.identity else None
            history_values = _check_history(data.history, dob)
        at = now()
        patient = Patient(
            site_id=site.id,
            study_id=_next_study_id(session, site),
            sex=data.sex,
            synthetic=data.synthetic,
            created_at=at,
            updated_at=at,
            version=1,
        )
        session.add(patient)
        session.flush()
        entries = [
            audited(
                actor,
                at=at,
                action="create",
                entity="patient",
                entity_id=patient.id,
                patient_id=patient.id,
                site_id=site.id,
                new={
                    "study_id": patient.study_id,
                    "site_id": site.id,
                    "sex": data.sex,
                    "synthetic": data.synthetic,
                },
            )
        ]
        if data.identity is not None:
            session.add(
                PatientIdentity(
                    patient_id=patient.id, **data.identity.model_dump(), updated_at=at, version=1
                )
            )
            entries.append(
                audited(
                    actor,
                    at=at,
                    action="create",
                    entity="patient_identity",
                    entity_id=patient.id,
                    patient_id=patient.id,
                    site_id=site.id,
                    new=data.identity.model_dump(),
                )
            )
        if data.history is not None:
            history = AlsHistory(patient_id=patient.id, **history_values, updated_at=at, version=1)
            session.add(history)
            entries.append(
                audited(
                    actor,
                    at=at,
                    action="create",
                    entity="als_history",
                    entity_id=patient.id,
                    patient_id=patient.id,
                    site_id=site.id,
                    new=history_values,
                )
            )
        session.flush()
        audit.record(session, entries)
        return patient_out(patient, history)


def get_patient(db: Database, actor: Actor, patient_id: int) -> PatientOut:
    actor.require("patients.read")
    with db.read() as session:
        patient = load_patient(session, actor, patient_id)
        return patient_out(patient, session.get(AlsHistory, patient_id))


def list_patients(
    db: Database,
    actor: Actor,
    *,
    site_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[PatientOut]]:
    """A page of the patients the actor may see, with the total count."""
    actor.require("patients.read")
    stmt = select(Patient, AlsHistory).outerjoin(AlsHistory, AlsHistory.patient_id == Patient.id)
    count = select(func.count(Patient.id))
    if site_id is not None:
        stmt = stmt.where(Patient.site_id == site_id)
        count = count.where(Patient.site_id == site_id)
    if not actor.all_sites:
        stmt = stmt.where(Patient.site_id.in_(actor.site_ids))
        count = count.where(Patient.site_id.in_(actor.site_ids))
    with db.read() as session:
        total = session.scalar(count) or 0
        rows = session.execute(stmt.order_by(Patient.id).limit(limit).offset(offset)).all()
        return total, [patient_out(p, h) for p, h in rows]


def update_patient(db: Database, actor: Actor, patient_id: int, data: PatientUpdate) -> PatientOut:
    actor.require("patients.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id)
        if patient.sex == data.sex and patient.version == data.version:
            # Nothing changes: no new version, no audit entry to review.
            return patient_out(patient, session.get(AlsHistory, patient_id))
        old = {"sex": patient.sex}
        at = now()
        update_versioned(
            session,
            Patient,
            Patient.id == patient_id,
            data.version,
            {"sex": data.sex, "updated_at": at},
            f"Patient {patient_id}",
        )
        session.refresh(patient)
        o, n = audit.changed(old, {"sex": data.sex})
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="update",
                    entity="patient",
                    entity_id=patient_id,
                    patient_id=patient_id,
                    site_id=patient.site_id,
                    old=o,
                    new=n,
                    reason=reason,
                )
            ],
        )
        return patient_out(patient, session.get(AlsHistory, patient_id))


def get_identity(db: Database, actor: Actor, patient_id: int) -> IdentityOut:
    """Direct identifiers; every view of them is audited (HIPAA 164.312(b))."""
    actor.require("identifiers.read")
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id)
        identity = read_identity(session, actor, patient)
        if identity is None:
            raise NotFound(f"Patient {patient_id} has no identifiers recorded.")
        return _identity_out(identity)


def read_identity(
    session: Session, actor: Actor, patient: Patient, *, purpose: str | None = None
) -> PatientIdentity | None:
    """The patient's direct identifiers, if recorded, with the view audited in ``session``'s
    transaction (HIPAA 164.312(b)): every path that shows them comes through here. The caller
    has checked identifiers.read and loaded ``patient`` for ``actor``."""
    identity = session.get(PatientIdentity, patient.id)
    if identity is None:
        return None
    record_view(
        session,
        actor,
        patient,
        entity="patient_identity",
        entity_id=patient.id,
        new={"purpose": purpose} if purpose else None,
    )
    return identity


def set_identity(
    db: Database, actor: Actor, patient_id: int, data: IdentityIn | IdentityUpdate
) -> IdentityOut:
    """Record the identifiers (first time), or change them with the version read and a reason."""
    actor.require("identifiers.write")
    _check_identity(data)
    values = IdentityIn.model_validate(data.model_dump(include=set(IdentityIn.model_fields)))
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        recorded = session.get(AlsHistory, patient_id)
        if recorded and recorded.onset_date and values.date_of_birth > recorded.onset_date:
            raise InvalidInput.for_field(
                "date_of_birth", f"must not be after symptom onset ({recorded.onset_date})"
            )
        version = data.version if isinstance(data, IdentityUpdate) else None
        reason = data.reason if isinstance(data, IdentityUpdate) else None
        _record_or_change(
            session, actor, patient, PatientIdentity, "patient_identity", values.model_dump(),
            version, reason, "identifiers",
        )  # fmt: skip
        session.expire_all()
        row = session.get(PatientIdentity, patient_id)
        assert row is not None
        return _identity_out(row)


def _record_or_change(
    session: Session,
    actor: Actor,
    patient: Patient,
    model: type[PatientIdentity] | type[AlsHistory],
    entity: str,
    values: dict[str, Any],
    version: int | None,
    reason: str | None,
    what: str,
) -> None:
    """Record a patient's one-per-patient record, or change it: then the version read and a
    reason are required, and only the changed fields go into the audit entry."""
    existing = session.get(model, patient.id)
    at = now()
    old: dict[str, Any] | None = None
    new = values
    if existing is None:
        session.add(model(patient_id=patient.id, **values, updated_at=at, version=1))
        action, reason = "create", None
    else:
        if version is None:
            raise InvalidInput.for_field(
                "version", f"already recorded ({what}): send the version you read and a reason"
            )
        reason = require_reason(reason)
        before = {k: getattr(existing, k) for k in values}
        update_versioned(
            session, model, model.patient_id == patient.id, version,
            {**values, "updated_at": at}, f"The {what} of patient {patient.id}",
        )  # fmt: skip
        old, new = audit.changed(before, values)
        action = "update"
    session.flush()
    audit.record(session, [audited(
        actor, at=at, action=action, entity=entity, entity_id=patient.id, patient_id=patient.id,
        site_id=patient.site_id, old=old, new=new, reason=reason,
    )])  # fmt: skip


def get_history(db: Database, actor: Actor, patient_id: int) -> HistoryOut:
    actor.require("patients.read")
    with db.read() as session:
        load_patient(session, actor, patient_id)
        history = session.get(AlsHistory, patient_id)
        if history is None:
            raise NotFound(f"Patient {patient_id} has no ALS history recorded.")
        return history_out(history)


def set_history(db: Database, actor: Actor, patient_id: int, data: HistoryIn) -> HistoryOut:
    """Record the ALS history, or change it (then ``version`` and ``reason`` are required)."""
    actor.require("patients.write")
    with db.transaction() as session:
        patient = load_patient(session, actor, patient_id, lock=True)
        identity = session.get(PatientIdentity, patient_id)
        values = _check_history(data, identity.date_of_birth if identity else None)
        _record_or_change(
            session, actor, patient, AlsHistory, "als_history", values, data.version, data.reason,
            "ALS history",
        )  # fmt: skip
        session.expire_all()
        row = session.get(AlsHistory, patient_id)
        assert row is not None
        return history_out(row)
