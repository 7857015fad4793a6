"""The tables. Direct identifiers live apart from clinical data; nothing is hard-deleted."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alstrack.store.types import UTCDateTime, json_type

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    service_account: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # argon2id (argon2-cffi), with its parameters and salt in the string; None: no password
    # set yet (the user cannot log in or sign until one is).
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by an admin's reset: the one-time password works only to choose a new one.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The second factor (services/mfa.py): a TOTP secret (RFC 6238, base32), the time its
    # first code was confirmed (None: set up but not confirmed, or none), and the last time step
    # whose code was used, so that no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)


class UserSite(Base):
    __tablename__ = "user_sites"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # SHA-256 of a 256-bit random token: a fast hash is enough for a secret with that entropy.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # "full": what the user's role allows; "read": only its *.read permissions.
    scope: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginSession(Base):
    """A login with a password: ends on logout, after the idle time, or at its maximum age."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ended_because: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    # Pseudonymous: site code and a sequence number, never derived from a name or record number.
    study_id: Mapped[str] = mapped_column(String(32), unique=True)
    sex: Mapped[str | None] = mapped_column(String(8), nullable=True)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class PatientIdentity(Base):
    """Direct identifiers, in their own table so clinical queries and exports never touch them."""

    __tablename__ = "patient_identities"
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    record_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class AlsHistory(Base):
    __tablename__ = "als_histories"
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    onset_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    onset_region: Mapped[str | None] = mapped_column(String(16), nullable=True)
    diagnosis_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    diagnostic_criteria: Mapped[str | None] = mapped_column(String(32), nullable=True)
    diagnostic_category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    genetics: Mapped[list[str]] = mapped_column(json_type(), default=list)
    ftd: Mapped[str] = mapped_column(String(8), default="unknown")
    family_history: Mapped[str] = mapped_column(String(8), default="unknown")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class RecordedMixin:
    """A dated fact about a patient that is corrected by superseding, never by overwriting."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    status: Mapped[str] = mapped_column(String(20), default="current")
    supersedes_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    superseded_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it corrects another
    void_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class DrugCourse(RecordedMixin, Base):
    __tablename__ = "drug_courses"
    __table_args__ = (Index("ix_drug_courses_patient_status", "patient_id", "status"),)
    drug: Mapped[str] = mapped_column(String(16))
    drug_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    start_date: Mapped[date] = mapped_column(Date)
    stop_date: Mapped[date | None] = mapped_column(Date, nullable=True)


class Milestone(RecordedMixin, Base):
    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_patient_status", "patient_id", "status"),)
    kind: Mapped[str] = mapped_column(String(16))
    occurred_on: Mapped[date] = mapped_column(Date)


class AssessedMixin(RecordedMixin):
    assessed_on: Mapped[date] = mapped_column(Date)
    assessed_by: Mapped[str] = mapped_column(String(200))


class InstrumentAssessment(AssessedMixin, Base):
    """ALSFRS-R, spasticity, symptom ratings and any instrument a program defines as data."""

    __tablename__ = "instrument_assessments"
    __table_args__ = (
        Index("ix_instrument_assessments_patient_status", "patient_id", "status", "assessed_on"),
    )
    instrument: Mapped[str] = mapped_column(String(40))
    instrument_version: Mapped[str] = mapped_column(String(20))
    responses: Mapped[dict[str, Any]] = mapped_column(json_type())


class SpirometryTest(AssessedMixin, Base):
    __tablename__ = "spirometry_tests"
    __table_args__ = (Index("ix_spirometry_tests_patient_status", "patient_id", "status"),)
    position: Mapped[str] = mapped_column(String(8))
    fvc_l: Mapped[float | None] = mapped_column(Float, nullable=True)
    svc_l: Mapped[float | None] = mapped_column(Float, nullable=True)
    # What the prediction was computed from, kept so the %predicted can be reproduced.
    equation: Mapped[str] = mapped_column(String(16))
    ethnicity: Mapped[str | None] = mapped_column(String(24), nullable=True)
    age_years: Mapped[float] = mapped_column(Float)
    height_cm: Mapped[float] = mapped_column(Float)
    sex: Mapped[str] = mapped_column(String(8))
    predicted_l: Mapped[float] = mapped_column(Float)
    lln_l: Mapped[float] = mapped_column(Float)
    fvc_percent_predicted: Mapped[float | None] = mapped_column(Float, nullable=True)
    fvc_z_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    svc_percent_predicted: Mapped[float | None] = mapped_column(Float, nullable=True)


class BodyMeasurement(AssessedMixin, Base):
    __tablename__ = "body_measurements"
    __table_args__ = (Index("ix_body_measurements_patient_status", "patient_id", "status"),)
    weight_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    height_cm: Mapped[float | None] = mapped_column(Float, nullable=True)
    # BMI from this weight and this height, or the latest height recorded before it.
    bmi: Mapped[float | None] = mapped_column(Float, nullable=True)


class PretreatmentEvaluation(AssessedMixin, Base):
    """What the clinic found before treatment: the data elements a screening reads.

    ``observations`` maps a data-element name of the rule set to {"value": v, "date": d}; the
    registry's own facts (ALSFRS-R, spirometry, milestones, history) are read from the registry.
    """

    __tablename__ = "pretreatment_evaluations"
    __table_args__ = (Index("ix_pretreatment_evaluations_patient_status", "patient_id", "status"),)
    observations: Mapped[dict[str, Any]] = mapped_column(json_type())
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class RuleSetVersion(Base):
    """Every rule file the program has accepted, kept verbatim so a screening can be replayed."""

    __tablename__ = "rule_set_versions"
    __table_args__ = (UniqueConstraint("ruleset_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ruleset_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[str] = mapped_column(String(500))  # "builtin" or the file it came from
    content: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Screening(Base):
    """One eligibility screening of a registry patient. Never rewritten: a new one is a new row."""

    __tablename__ = "screenings"
    __table_args__ = (Index("ix_screenings_patient", "patient_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    rule_set_version_id: Mapped[int] = mapped_column(ForeignKey("rule_set_versions.id"))
    ruleset_id: Mapped[str] = mapped_column(String(64))
    ruleset_version: Mapped[str] = mapped_column(String(40))
    profile: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    # The clinical day of as_of in the program's time zone: the day facts are read up to.
    as_of_date: Mapped[date] = mapped_column(Date)
    verdict: Mapped[str] = mapped_column(String(16))
    # data-element name -> {"value", "date", "source"}: exactly what the rules read.
    inputs: Mapped[dict[str, Any]] = mapped_column(json_type())
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(json_type())
    screened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    screened_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ElectronicSignature(Base):
    """A signature: who signed, their printed name, when (UTC), and its meaning (Part 11.50)."""

    __tablename__ = "electronic_signatures"
    __table_args__ = (Index("ix_electronic_signatures_entity", "entity", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    meaning: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SHA-256 of the signature and the content it signs (services/signatures.py): a later
    # change to that content, or this row copied to another record, no longer matches. None:
    # signed before signatures were bound to their content (migration 0014).
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RecordLock(Base):
    """A patient's record locked by an investigator once reviewed: nothing of it changes until
    it is unlocked, with a reason (services/record_locks.py). Both are signed; ``content_hash``
    is the digest of the whole record as locked. A lock is never deleted: unlocking closes it."""

    __tablename__ = "record_locks"
    __table_args__ = (
        Index("ix_record_locks_patient", "patient_id", "id"),
        # At most one open lock per patient.
        Index(
            "uq_record_locks_open",
            "patient_id",
            unique=True,
            sqlite_where=text("unlocked_at IS NULL"),
            postgresql_where=text("unlocked_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    lock_signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("electronic_signatures.id"), nullable=True
    )
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unlocked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    unlock_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    unlock_signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("electronic_signatures.id"), nullable=True
    )


class SignatureAttestation(Base):
    """A user's certification that their electronic signatures are the legally binding
    equivalent of their handwritten signature (21 CFR 11.100(c)), itself signed 'certified':
    which text (its version and SHA-256; domain/data/signatures/attestation.yaml) and when.
    Nobody signs anything else until they have one (services/signatures.py)."""

    __tablename__ = "signature_attestations"
    __table_args__ = (UniqueConstraint("user_id", "text_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text_version: Mapped[str] = mapped_column(String(40))
    text_sha256: Mapped[str] = mapped_column(String(64))
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set in the transaction that stores the row (the signature names the row's id).
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("electronic_signatures.id"), nullable=True
    )


class ScreeningReview(Base):
    """A physician's decision on one criterion of a screening that needed review."""

    __tablename__ = "screening_reviews"
    __table_args__ = (UniqueConstraint("screening_id", "criterion_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    signature_id: Mapped[int] = mapped_column(ForeignKey("electronic_signatures.id"))
    decided_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TreatmentPlan(Base):
    """A personalised plan; its content lives in numbered versions, the latest one in force."""

    __tablename__ = "treatment_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # draft | approved | closed
    current_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class TreatmentPlanVersion(Base):
    __tablename__ = "treatment_plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plans.id"))
    number: Mapped[int] = mapped_column(Integer)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"))
    cell_source: Mapped[str] = mapped_column(String(40))
    route: Mapped[str] = mapped_column(String(16))
    dose_basis: Mapped[str] = mapped_column(String(8))  # per_kg | fixed
    cells_per_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    fixed_cells: Mapped[float | None] = mapped_column(Float, nullable=True)
    administrations: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    adjunct_therapies: Mapped[list[Any]] = mapped_column(json_type(), default=list)
    # The follow-up schedule (domain/data/follow-up/schedules.yaml) its doses schedule.
    follow_up_schedule: Mapped[str] = mapped_column(String(40), server_default="msc-post-dose")
    # The weight the dose and endotoxin limit were computed from, and where it came from.
    weight_kg: Mapped[float | None] = mapped_column(Float, nullable=True)
    weight_measured_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    weight_measurement_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dose_cells: Mapped[float | None] = mapped_column(Float, nullable=True)
    endotoxin_k_eu_per_kg: Mapped[float] = mapped_column(Float)
    endotoxin_limit_eu: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approval_signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("electronic_signatures.id"), nullable=True
    )


class CollectionOrder(Base):
    """An order to collect the patient's own tissue for an approved autologous plan."""

    __tablename__ = "collection_orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plans.id"))
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan_versions.id"))
    tissue: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))  # open | collected | cancelled
    ordered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class AuditEntry(Base):
    """Append-only: who, when (UTC, server time), what, old and new values, and why.

    Each entry is a link of a hash chain (``store/audit_chain.py``): ``hash`` covers the entry's
    content, its id included, and the hash of the entry before it (``prev_hash``). Database
    triggers refuse UPDATE and DELETE (migration 0012).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_patient", "patient_id", "id"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    site_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    old: Mapped[dict[str, Any] | None] = mapped_column(json_type(), nullable=True)
    new: Mapped[dict[str, Any] | None] = mapped_column(json_type(), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SequenceCounter(Base):
    """Per-site counters for study identifiers (no gaps from failed requests: same transaction)."""

    __tablename__ = "sequence_counters"
    __table_args__ = (UniqueConstraint("name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(Integer, default=0)


class Donor(Base):
    """An allogeneic donor, known by a code that names no one (21 CFR 1271.290)."""

    __tablename__ = "donors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    recovered_on: Mapped[date] = mapped_column(Date)
    age_at_recovery_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # pending | eligible | ineligible: the donor-eligibility determination (21 CFR 1271.50)
    eligibility: Mapped[str] = mapped_column(String(16))
    determined_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    determined_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class DonorTest(Base):
    """One infectious-disease test of a donor's specimen (DON-TEST-001, DON-TIMING-001)."""

    __tablename__ = "donor_tests"
    __table_args__ = (Index("ix_donor_tests_donor", "donor_id", "test"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"))
    test: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(16))  # nonreactive | reactive | indeterminate
    specimen_days_from_recovery: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="current")
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Product(Base):
    """A cell product under one DIN: an allogeneic lot, or a patient's own cells.

    ``state`` follows domain/products/lifecycle.py; every step is a ProductEvent.
    """

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_patient", "patient_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    din: Mapped[str] = mapped_column(String(13), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # autologous | allogeneic
    cell_source: Mapped[str] = mapped_column(String(40))
    specification_version: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(24))
    # Autologous: whose cells; allogeneic: the patient the lot is allocated to, if any.
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), nullable=True)
    collection_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("collection_orders.id"), nullable=True
    )
    # The patient therapy the product belongs to: set when collected for or allocated to it.
    chain_of_identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("chains_of_identity.id"), nullable=True
    )
    vials: Mapped[int | None] = mapped_column(Integer, nullable=True)
    viable_cells_per_vial: Mapped[float | None] = mapped_column(Float, nullable=True)
    storage_location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProductEvent(Base):
    """One step in a product's life and custody: who, when, from where to where, condition."""

    __tablename__ = "product_events"
    __table_args__ = (Index("ix_product_events_product", "product_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    step: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_state: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime())  # when it happened
    by_user: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    to_location: Mapped[str | None] = mapped_column(String(200), nullable=True)
    condition: Mapped[str | None] = mapped_column(String(200), nullable=True)
    temperature_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("electronic_signatures.id"), nullable=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())  # when it was entered


class ProductTestResult(Base):
    """A QC result of a product against its specification; corrected by superseding."""

    __tablename__ = "product_test_results"
    __table_args__ = (Index("ix_product_test_results_product", "product_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    test: Mapped[str] = mapped_column(String(40))
    value: Mapped[Any] = mapped_column(json_type())
    method: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="current")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Deviation(Base):
    """A departure from procedure (e.g. a temperature excursion): blocks release and
    administration until QA records a disposition (21 CFR 1271.260)."""

    __tablename__ = "deviations"
    __table_args__ = (Index("ix_deviations_product", "product_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    opened_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disposition: Mapped[str | None] = mapped_column(String(24), nullable=True)
    disposition_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    disposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    disposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("electronic_signatures.id"), nullable=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)


class ChainOfIdentity(Base):
    """One patient therapy (a treatment plan) and the identifier linking every DIN made or
    allocated for it (ISBT 128 ST-028). The code holds no name, birth date or record number."""

    __tablename__ = "chains_of_identity"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plans.id"), unique=True)
    assigned_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BedsideCheck(Base):
    """One qualified person's confirmation at the bedside: the patient's identifier and the
    product's DIN, each scanned or typed (the DIN typed with its check character)."""

    __tablename__ = "bedside_checks"
    __table_args__ = (Index("ix_bedside_checks_product", "product_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    by_user: Mapped[int] = mapped_column(ForeignKey("users.id"))
    patient_entry: Mapped[str] = mapped_column(String(8))  # scanned | typed
    din_entry: Mapped[str] = mapped_column(String(8))  # scanned | typed
    dose_volume_ml: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Administration(Base):
    """A verified dose given: route, cells, volume, time, the two verifiers and the product."""

    __tablename__ = "administrations"
    __table_args__ = (UniqueConstraint("plan_id", "dose_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plans.id"))
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan_versions.id"))
    dose_number: Mapped[int] = mapped_column(Integer)  # 1 … the plan's administrations
    route: Mapped[str] = mapped_column(String(16))
    cells_administered: Mapped[float] = mapped_column(Float)
    volume_ml: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_verifier: Mapped[int] = mapped_column(ForeignKey("users.id"))
    second_verifier: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("product_events.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The administering clinician's signature, 'administered' (None: recorded before
    # administrations were signed, migration 0015).
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("electronic_signatures.id"), nullable=True
    )


class FollowUpVisit(Base):
    """A visit a schedule anchors on an administration (after a dose) or on a plan's approval
    (before the first dose), with its window in days."""

    __tablename__ = "follow_up_visits"
    __table_args__ = (Index("ix_follow_up_visits_patient", "patient_id", "due_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    administration_id: Mapped[int | None] = mapped_column(
        ForeignKey("administrations.id"), nullable=True
    )
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plans.id"), nullable=True)
    schedule_id: Mapped[str] = mapped_column(String(40))
    schedule_version: Mapped[str] = mapped_column(String(40))
    visit: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(80))
    due_on: Mapped[date] = mapped_column(Date)
    window_before_days: Mapped[int] = mapped_column(Integer)
    window_after_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # scheduled | done | cancelled
    visited_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    visited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    protocol_deviation_id: Mapped[int | None] = mapped_column(
        ForeignKey("protocol_deviations.id"), nullable=True
    )
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class AdjunctSession(Base):
    """A session of an adjunct therapy: planned from the plan (or recorded unplanned), held with
    its day, provider and notes, or cancelled with a reason."""

    __tablename__ = "adjunct_sessions"
    __table_args__ = (Index("ix_adjunct_sessions_patient", "patient_id", "planned_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plans.id"), nullable=True)
    plan_version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    therapy: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(500), nullable=True)
    catalogue_version: Mapped[str] = mapped_column(String(80))
    # Which of the sessions planned together, and how many were: 2 of 12.
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    of_sessions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    planned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # planned | done | cancelled
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(200), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProtocolDeviation(Base):
    """A departure from the protocol of a patient's care, e.g. a visit outside its window."""

    __tablename__ = "protocol_deviations"
    __table_args__ = (Index("ix_protocol_deviations_patient", "patient_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    follow_up_visit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(32))  # visit_window
    description: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AdverseEvent(RecordedMixin, Base):
    """An adverse event of a patient, followed until it resolves; corrected by superseding.

    Severity (CTCAE grade) and seriousness (ICH E2A criteria) are separate axes; relatedness is
    recorded separately to the procedure and to the product (safety.md).
    """

    __tablename__ = "adverse_events"
    __table_args__ = (Index("ix_adverse_events_patient_status", "patient_id", "status"),)
    term: Mapped[str] = mapped_column(String(200))
    meddra_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    onset_date: Mapped[date] = mapped_column(Date)
    aware_on: Mapped[date] = mapped_column(Date)  # the program became aware: clocks start
    resolution_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    grade: Mapped[int] = mapped_column(Integer)  # CTCAE 1-5
    serious_criteria: Mapped[list[Any]] = mapped_column(json_type(), default=list)
    related_to_procedure: Mapped[str] = mapped_column(String(16))
    related_to_product: Mapped[str] = mapped_column(String(16))
    expectedness: Mapped[str] = mapped_column(String(16))  # expected | unexpected
    action_taken: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    administration_id: Mapped[int | None] = mapped_column(
        ForeignKey("administrations.id"), nullable=True
    )
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A correction's new information reached the program that day (clocks it starts count
    # from it); None: the day the version was recorded.
    information_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class SafetyReport(Base):
    """An expedited report of a SUSAR as submitted: which, when, to whom, its reference."""

    __tablename__ = "safety_reports"
    __table_args__ = (Index("ix_safety_reports_event", "adverse_event_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The adverse-event record as it stood when the report was made (its chain is followed).
    adverse_event_id: Mapped[int] = mapped_column(ForeignKey("adverse_events.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    report: Mapped[str] = mapped_column(String(16))  # initial | full
    submitted_on: Mapped[date] = mapped_column(Date)
    submitted_to: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The reporter's signature, 'reported' (None: recorded before reports were signed, 0015).
    signature_id: Mapped[int | None] = mapped_column(
        ForeignKey("electronic_signatures.id"), nullable=True
    )


class ConsentDocument(Base):
    """One version of the program's consent document: its text kept verbatim (with its SHA-256)
    and when it may be signed. Never rewritten; only its end date is set later."""

    __tablename__ = "consent_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_version: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    # From effective_from on, consents to earlier versions no longer hold: patients consent again.
    requires_reconsent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The text states that the therapy is investigational and unproven in ALS, its known risks
    # and its costs, as the installer declares (INC-CONSENT-001 reads it).
    discloses_evidence_status: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)


class PatientConsent(RecordedMixin, Base):
    """A patient's consent to one document version: when, and who signed before which witness.
    A withdrawal is written on the record, which is kept."""

    __tablename__ = "patient_consents"
    __table_args__ = (Index("ix_patient_consents_patient_status", "patient_id", "status"),)
    document_id: Mapped[int] = mapped_column(ForeignKey("consent_documents.id"))
    document_version: Mapped[str] = mapped_column(String(40))
    consented_on: Mapped[date] = mapped_column(Date)
    signed_by: Mapped[str] = mapped_column(String(16))  # patient | representative
    representative_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    representative_relationship: Mapped[str | None] = mapped_column(String(100), nullable=True)
    witness_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    withdrawn_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    withdrawal_recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True
    )
    withdrawal_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ExternalCohort(Base):
    """An external natural-history data set (e.g. PRO-ACT), kept apart from the clinic's
    patients: a comparator, never part of the registry."""

    __tablename__ = "external_cohorts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    format: Mapped[str] = mapped_column(String(16))  # proact
    source: Mapped[str] = mapped_column(Text)  # what was imported (folder and files)
    subjects: Mapped[int] = mapped_column(Integer)
    rows_imported: Mapped[int] = mapped_column(Integer)
    rows_refused: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExternalSubject(Base):
    """One subject of an external cohort: pseudonymous id, age, sex, onset, survival; times are
    day offsets from the subject's trial baseline, as in the source."""

    __tablename__ = "external_subjects"
    __table_args__ = (UniqueConstraint("cohort_id", "subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("external_cohorts.id"))
    subject: Mapped[str] = mapped_column(String(64))
    age_years: Mapped[float | None] = mapped_column(Float, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(8), nullable=True)
    onset_region: Mapped[str | None] = mapped_column(String(8), nullable=True)
    onset_delta_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    diagnosis_delta_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    died: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    death_delta_days: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ExternalAlsfrs(Base):
    __tablename__ = "external_alsfrs"
    __table_args__ = (Index("ix_external_alsfrs_subject", "subject_id", "delta_days"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("external_subjects.id"))
    delta_days: Mapped[int] = mapped_column(Integer)
    items: Mapped[dict[str, Any]] = mapped_column(json_type())
    total: Mapped[float | None] = mapped_column(Float, nullable=True)


class ExternalFvc(Base):
    __tablename__ = "external_fvc"
    __table_args__ = (Index("ix_external_fvc_subject", "subject_id", "delta_days"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("external_subjects.id"))
    delta_days: Mapped[int] = mapped_column(Integer)
    percent_predicted: Mapped[float | None] = mapped_column(Float, nullable=True)
    litres: Mapped[float | None] = mapped_column(Float, nullable=True)
