"""Allogeneic donors: registered under a code, tested, and determined eligible or not by QA.

The determination evaluates the DON- rules of the shipped rule set (DON-TEST-001: every
required test nonreactive; DON-TIMING-001: the specimen within the window around recovery), so
the thresholds stay data. Rules whose effect is `flag` (DON-NEONATE-001: for a neonatal donor,
test the birth mother) are shown as notes and do not decide. DON-DE-001 is the determination
itself and is checked at release and allocation by the product lifecycle.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.eligibility import Observation, Result, builtin_ruleset, screen
from alstrack.domain.products.donor_tests import required_donor_tests
from alstrack.errors import Conflict, InvalidInput, NotFound, StepRefused
from alstrack.services.context import Actor, audited, not_in_future, now, require_reason, today
from alstrack.services.fields import Version, WholeNumber
from alstrack.services.signatures import SIGNING_HELP, confirm, sign
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import Donor, DonorTest
from alstrack.store.versioning import update_versioned

__all__ = [
    "REQUIRED_TESTS",
    "DeterminationIn",
    "DonorIn",
    "DonorOut",
    "DonorTestIn",
    "DonorTestOut",
    "determine_eligibility",
    "get_donor",
    "record_donor_test",
    "register_donor",
]

# The tests DON-TEST-001 needs for every donor (data: domain/data/products/donor-tests.yaml).
# The rule reads whatever donor.tests.* are recorded; a required test not recorded is given to
# it as not_done, so it fails rather than passes by absence.
REQUIRED_TESTS: tuple[str, ...] = tuple(test.id for test in required_donor_tests().tests)
_DECIDED_ELSEWHERE = "DON-DE-001"  # the determination itself
_Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")]
_TestName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class DonorIn(BaseModel):
    """A donor, known by a code that names no one (21 CFR 1271.290)."""

    model_config = ConfigDict(extra="forbid")
    code: _Code
    recovered_on: date = Field(description="The day the cells (e.g. cord tissue) were recovered")
    age_at_recovery_days: WholeNumber | None = Field(default=None, ge=0, le=45_000)


class DonorTestIn(BaseModel):
    """One infectious-disease test; a repeat of the same test supersedes it, with a reason."""

    model_config = ConfigDict(extra="forbid")
    test: _TestName = Field(description=f"One of {', '.join(REQUIRED_TESTS)}")
    result: Literal["nonreactive", "reactive", "indeterminate"]
    specimen_days_from_recovery: WholeNumber = Field(
        ge=-366, le=366, description="Days from recovery to the specimen (negative: before)"
    )
    reason: str | None = Field(default=None, description="Required when it repeats a test")


class DeterminationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version = Field(description="The donor's record `version` as read")
    password: SecretStr = Field(description=SIGNING_HELP)


class DonorTestOut(BaseModel):
    id: int
    test: str
    result: str
    specimen_days_from_recovery: int
    status: str
    entered_by: int
    entered_at: datetime


class CriterionOut(BaseModel):
    id: str
    result: str
    effect: str
    reason: str


class DonorOut(BaseModel):
    id: int
    code: str
    recovered_on: date
    age_at_recovery_days: int | None
    eligibility: str
    determined_by: int | None
    determined_at: datetime | None
    version: int
    tests: list[DonorTestOut]
    criteria: list[CriterionOut] = Field(
        description="The DON- rules as they judge the current tests (what QA determines on)"
    )
    reasons: list[str] = Field(description="Why the donor is not eligible, if they are not")


def register_donor(db: Database, actor: Actor, data: DonorIn) -> DonorOut:
    actor.require("products.write")
    not_in_future("recovered_on", data.recovered_on, today())
    with db.transaction() as session:
        if session.scalars(select(Donor.id).where(Donor.code == data.code)).first() is not None:
            raise InvalidInput.for_field("code", f"donor {data.code} is registered already")
        at = now()
        donor = Donor(
            code=data.code,
            recovered_on=data.recovered_on,
            age_at_recovery_days=data.age_at_recovery_days,
            eligibility="pending",
            created_by=actor.user_id,
            created_at=at,
            version=1,
        )
        session.add(donor)
        session.flush()
        new = data.model_dump() | {"eligibility": "pending"}
        audit.record(
            session,
            [audited(actor, at=at, action="create", entity="donor", entity_id=donor.id, new=new)],
        )
        return present_donor(session, donor)


def record_donor_test(db: Database, actor: Actor, donor_id: int, data: DonorTestIn) -> DonorOut:
    """Record a test before the determination; a repeat supersedes the current one."""
    actor.require("products.write")
    if data.test not in REQUIRED_TESTS:
        raise InvalidInput.for_field(
            "test",
            f"{data.test!r} is not a donor test of donor-tests.yaml; choose "
            f"{', '.join(REQUIRED_TESTS)}",
        )
    with db.transaction() as session:
        donor = load_donor(session, donor_id, lock=True)
        if donor.eligibility != "pending":
            raise StepRefused(
                f"Donor {donor.code} was determined {donor.eligibility}; tests are recorded "
                "before the determination."
            )
        current = _current_tests(session, donor_id)
        earlier = next((t for t in current if t.test == data.test), None)
        reason = require_reason(data.reason) if earlier is not None else None
        at = now()
        old = None
        if earlier is not None:
            earlier.status = "superseded"
            old = _test_fields(earlier)
        row = DonorTest(
            donor_id=donor_id,
            test=data.test,
            result=data.result,
            specimen_days_from_recovery=data.specimen_days_from_recovery,
            status="current",
            entered_by=actor.user_id,
            entered_at=at,
        )
        session.add(row)
        session.flush()
        entry = audited(
            actor,
            at=at,
            action="correct" if earlier is not None else "create",
            entity="donor_test",
            entity_id=row.id,
            old=old,
            new={"donor_id": donor_id, **_test_fields(row)},
            reason=reason,
        )
        audit.record(session, [entry])
        return present_donor(session, donor)


def determine_eligibility(
    db: Database, actor: Actor, donor_id: int, data: DeterminationIn
) -> DonorOut:
    """QA determines the donor eligible or ineligible from the DON- rules, and signs it."""
    actor.require("products.release")
    confirmed = confirm(db, actor, data.password)
    with db.transaction() as session:
        donor = load_donor(session, donor_id, lock=True)
        if donor.eligibility != "pending":
            raise StepRefused(f"Donor {donor.code} was determined {donor.eligibility} already.")
        at = now()
        criteria = _criteria(session, donor, at)
        reasons = _reasons(criteria)
        eligibility = "ineligible" if reasons else "eligible"
        try:
            update_versioned(
                session,
                Donor,
                Donor.id == donor_id,
                data.version,
                {"eligibility": eligibility, "determined_by": actor.user_id, "determined_at": at},
                f"Donor {donor.code}",
            )
        except Conflict:
            raise Conflict(
                f"Donor {donor.code} changed since record version {data.version} was read; "
                "reload it and try again."
            ) from None
        signature = sign(
            session,
            actor,
            confirmed,
            meaning="determined",
            entity="donor",
            entity_id=donor_id,
            at=at,
        )
        new = {
            "eligibility": eligibility,
            "reasons": reasons,
            "signature_id": signature.id,
            "meaning": "determined",
        }
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="determine",
                    entity="donor",
                    entity_id=donor_id,
                    old={"eligibility": "pending"},
                    new=new,
                )
            ],
        )
        session.refresh(donor)
        return present_donor(session, donor)


def get_donor(db: Database, actor: Actor, donor_id: int) -> DonorOut:
    actor.require("products.read")
    with db.read() as session:
        return present_donor(session, load_donor(session, donor_id))


def load_donor(session: Session, donor_id: int, *, lock: bool = False) -> Donor:
    postgres = session.get_bind().dialect.name == "postgresql"
    donor = session.get(Donor, donor_id, with_for_update=lock and postgres)
    if donor is None:
        raise NotFound(f"No donor {donor_id}.")
    if lock:
        session.refresh(donor)
    return donor


def present_donor(session: Session, donor: Donor) -> DonorOut:
    tests = session.scalars(
        select(DonorTest).where(DonorTest.donor_id == donor.id).order_by(DonorTest.id)
    ).all()
    criteria = _criteria(session, donor, now())
    return DonorOut(
        id=donor.id,
        code=donor.code,
        recovered_on=donor.recovered_on,
        age_at_recovery_days=donor.age_at_recovery_days,
        eligibility=donor.eligibility,
        determined_by=donor.determined_by,
        determined_at=donor.determined_at,
        version=donor.version,
        tests=[DonorTestOut(**_test_fields(t), id=t.id) for t in tests],
        criteria=criteria,
        reasons=_reasons(criteria),
    )


def _current_tests(session: Session, donor_id: int) -> list[DonorTest]:
    return list(
        session.scalars(
            select(DonorTest)
            .where(DonorTest.donor_id == donor_id, DonorTest.status == "current")
            .order_by(DonorTest.id)
        )
    )


def _criteria(session: Session, donor: Donor, at: datetime) -> list[CriterionOut]:
    """The DON- rules judged on the donor's current tests, as of ``at``."""
    tests = _current_tests(session, donor.id)
    ruleset = builtin_ruleset()
    results = {name: "not_done" for name in REQUIRED_TESTS} | {t.test: t.result for t in tests}
    observations = {f"donor.tests.{name}": Observation(value) for name, value in results.items()}
    if tests:
        # The specimen furthest from recovery: if it is inside the window, every one is.
        furthest = max((t.specimen_days_from_recovery for t in tests), key=abs)
        observations["donor.specimen_days_from_recovery"] = Observation(furthest)
    if donor.age_at_recovery_days is not None:
        observations["donor.age_at_recovery_days"] = Observation(donor.age_at_recovery_days)
    screening = screen(ruleset, observations, as_of=at, groups=("DON",))
    return [
        CriterionOut(id=c.id, result=c.result.value, effect=c.effect, reason=c.reason)
        for c in screening.criteria
        if c.id != _DECIDED_ELSEWHERE
    ]


def _reasons(criteria: list[CriterionOut]) -> list[str]:
    return [
        f"{c.id}: {c.reason}"
        for c in criteria
        if c.effect == "block_release" and c.result != Result.PASS.value
    ]


def _test_fields(row: DonorTest) -> dict[str, object]:
    return {
        "test": row.test,
        "result": row.result,
        "specimen_days_from_recovery": row.specimen_days_from_recovery,
        "status": row.status,
        "entered_by": row.entered_by,
        "entered_at": row.entered_at,
    }
