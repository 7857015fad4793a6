"""The life of a cell product as a state machine: which step may follow which, and why not.

An autologous product is made to order from the patient's own cells; an allogeneic one comes
from a donor's lot made ahead of time (cell-products.md). ``next_state`` refuses a step out of
order, or one whose guard fails, with StepRefused saying why. Guards read a small immutable
StepContext of facts the services supply; a fact left unknown never lets a guarded step through.
Nothing here reads a clock: the time of the step is one of the facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Literal, NamedTuple, cast, get_args

from alstrack.domain.products.specifications import Outcome, TestJudgement, release_blockers
from alstrack.errors import FieldError, InvalidInput, StepRefused

__all__ = [
    "BEDSIDE_VERIFIERS",
    "FINAL_STATES",
    "GUARDS",
    "INITIAL_STATES",
    "KINDS",
    "TRANSITIONS",
    "Guard",
    "ProductKind",
    "State",
    "Step",
    "StepContext",
    "StepEvent",
    "allowed_steps",
    "next_state",
    "refusals",
    "turnaround_days",
]

ProductKind = Literal["autologous", "allogeneic"]
KINDS: tuple[ProductKind, ...] = get_args(ProductKind)
_LABELS = {"qc_testing": "QC testing", "start_qc": "start QC testing"}


class State(StrEnum):
    ORDERED = "ordered"
    COLLECTION_SCHEDULED = "collection_scheduled"
    COLLECTED = "collected"
    SHIPPED_TO_LAB = "shipped_to_lab"
    RECEIVED_AT_LAB = "received_at_lab"
    IN_PROCESSING = "in_processing"
    DONOR_SCREENED = "donor_screened"
    MANUFACTURED = "manufactured"
    QC_TESTING = "qc_testing"
    RELEASED = "released"
    REJECTED = "rejected"
    IN_INVENTORY = "in_inventory"
    ALLOCATED = "allocated"
    SHIPPED_TO_CLINIC = "shipped_to_clinic"
    RECEIVED_AT_CLINIC = "received_at_clinic"
    STORED = "stored"
    THAWED = "thawed"
    VERIFIED = "verified"
    ADMINISTERED = "administered"
    DISCARDED = "discarded"

    @property
    def label(self) -> str:
        return _LABELS.get(self.value, self.value.replace("_", " "))


class Step(StrEnum):
    SCHEDULE_COLLECTION = "schedule_collection"
    COLLECT = "collect"
    SHIP_TO_LAB = "ship_to_lab"
    RECEIVE_AT_LAB = "receive_at_lab"
    START_PROCESSING = "start_processing"
    MANUFACTURE = "manufacture"
    START_QC = "start_qc"
    RELEASE = "release"
    REJECT = "reject"
    PLACE_IN_INVENTORY = "place_in_inventory"
    ALLOCATE = "allocate"
    SHIP_TO_CLINIC = "ship_to_clinic"
    RECEIVE_AT_CLINIC = "receive_at_clinic"
    STORE = "store"
    THAW = "thaw"
    VERIFY = "verify"  # at the bedside, by two qualified people
    ADMINISTER = "administer"
    DISCARD = "discard"

    @property
    def label(self) -> str:
        return _LABELS.get(self.value, self.value.replace("_", " "))


_S, _T = State, Step
# Each path in order; every state on it that is not final may also be discarded, with a reason.
_PATHS: Mapping[ProductKind, tuple[tuple[State, Step, State], ...]] = {
    "autologous": (
        (_S.ORDERED, _T.SCHEDULE_COLLECTION, _S.COLLECTION_SCHEDULED),
        (_S.COLLECTION_SCHEDULED, _T.COLLECT, _S.COLLECTED),
        (_S.COLLECTED, _T.SHIP_TO_LAB, _S.SHIPPED_TO_LAB),
        (_S.SHIPPED_TO_LAB, _T.RECEIVE_AT_LAB, _S.RECEIVED_AT_LAB),
        (_S.RECEIVED_AT_LAB, _T.START_PROCESSING, _S.IN_PROCESSING),
        (_S.IN_PROCESSING, _T.START_QC, _S.QC_TESTING),
        (_S.QC_TESTING, _T.RELEASE, _S.RELEASED),
        (_S.QC_TESTING, _T.REJECT, _S.REJECTED),
        (_S.RELEASED, _T.SHIP_TO_CLINIC, _S.SHIPPED_TO_CLINIC),
        (_S.SHIPPED_TO_CLINIC, _T.RECEIVE_AT_CLINIC, _S.RECEIVED_AT_CLINIC),
        (_S.RECEIVED_AT_CLINIC, _T.STORE, _S.STORED),
        (_S.STORED, _T.THAW, _S.THAWED),
        (_S.THAWED, _T.VERIFY, _S.VERIFIED),
        (_S.VERIFIED, _T.ADMINISTER, _S.ADMINISTERED),
    ),
    "allogeneic": (
        (_S.DONOR_SCREENED, _T.MANUFACTURE, _S.MANUFACTURED),
        (_S.MANUFACTURED, _T.START_QC, _S.QC_TESTING),
        (_S.QC_TESTING, _T.RELEASE, _S.RELEASED),
        (_S.QC_TESTING, _T.REJECT, _S.REJECTED),
        (_S.RELEASED, _T.PLACE_IN_INVENTORY, _S.IN_INVENTORY),
        (_S.IN_INVENTORY, _T.ALLOCATE, _S.ALLOCATED),
        (_S.ALLOCATED, _T.SHIP_TO_CLINIC, _S.SHIPPED_TO_CLINIC),
        (_S.SHIPPED_TO_CLINIC, _T.RECEIVE_AT_CLINIC, _S.RECEIVED_AT_CLINIC),
        (_S.RECEIVED_AT_CLINIC, _T.THAW, _S.THAWED),
        (_S.THAWED, _T.VERIFY, _S.VERIFIED),
        (_S.VERIFIED, _T.ADMINISTER, _S.ADMINISTERED),
    ),
}
INITIAL_STATES: Mapping[ProductKind, State] = MappingProxyType(
    {"autologous": _S.ORDERED, "allogeneic": _S.DONOR_SCREENED}
)
FINAL_STATES: frozenset[State] = frozenset({_S.ADMINISTERED, _S.DISCARDED})


def _table(path: tuple[tuple[State, Step, State], ...]) -> Mapping[tuple[State, Step], State]:
    table = {(state, step): after for state, step, after in path}
    for state in dict.fromkeys(state for row in path for state in (row[0], row[2])):
        if state not in FINAL_STATES:
            table[(state, _T.DISCARD)] = _S.DISCARDED
    return MappingProxyType(table)


TRANSITIONS: Mapping[ProductKind, Mapping[tuple[State, Step], State]] = MappingProxyType(
    {kind: _table(path) for kind, path in _PATHS.items()}
)
_STATES: Mapping[ProductKind, frozenset[State]] = {
    kind: frozenset(state for pair in table for state in (pair[0], table[pair]))
    for kind, table in TRANSITIONS.items()
}


@dataclass(frozen=True)
class StepContext:
    """The facts a guard may read, supplied by the service taking the step.

    Unknown (None, empty) facts refuse a guarded step rather than let it through.
    """

    now: datetime | None = None  # when the step is taken
    actor_id: int | None = None
    actor_role: str | None = None
    results_entered_by: frozenset[int] = frozenset()  # users who entered the QC results
    judgements: tuple[TestJudgement, ...] = ()  # specifications.judge_results, for release
    signature_meaning: str | None = None  # the electronic signature given with the step
    open_deviations: tuple[str, ...] | None = None  # None: not checked
    donor_eligible: bool | None = None  # allogeneic: the donor-eligibility determination
    expires_at: datetime | None = None  # lot expiry, or after thaw the sooner thaw expiry
    product_patient_id: int | None = None  # whom the product was collected for or allocated to
    patient_id: int | None = None  # the patient the step is for (allocation, bedside)
    cell_source: str | None = None  # the product's cell source
    planned_cell_source: str | None = None  # allocation: that of the patient's approved plan
    verified_by: frozenset[int] = frozenset()  # bedside identity verifiers
    dose_endotoxin: TestJudgement | None = None  # specifications.judge_dose_endotoxin
    reason: str | None = None  # why a product is rejected or discarded

    def __post_init__(self) -> None:
        for name in ("now", "expires_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise InvalidInput.for_field(name, "must be timezone-aware")


Check = Callable[[ProductKind, StepContext], str | None]


class Guard(NamedTuple):
    """One condition of a step. ``entered`` guards read what the user enters with the step
    itself (a reason, the signature), so allowed_steps does not ask for them in advance."""

    name: str
    check: Check
    entered: bool = False


def _qa_decides(kind: ProductKind, ctx: StepContext) -> str | None:
    if ctx.actor_role == "qa":
        return None
    role = (ctx.actor_role or "unknown").replace("_", " ")
    return f"only a QA user may decide a product's disposition (the acting role is {role})"


def _not_the_results_enterer(kind: ProductKind, ctx: StepContext) -> str | None:
    if ctx.actor_id is None:
        return "the releasing user is not known"
    if ctx.actor_id in ctx.results_entered_by:
        return "the user who entered test results may not release the product; another QA user must"
    return None


def _every_test_passed(kind: ProductKind, ctx: StepContext) -> str | None:
    blockers = release_blockers(ctx.judgements)
    return f"no release with a failed or missing test ({'; '.join(blockers)})" if blockers else None


def _signed_as_released(kind: ProductKind, ctx: StepContext) -> str | None:
    if ctx.signature_meaning == "released":
        return None
    return "release needs the QA user's electronic signature with the meaning 'released'"


def _no_open_deviation(kind: ProductKind, ctx: StepContext) -> str | None:
    if ctx.open_deviations is None:
        return "open deviations were not checked"
    if ctx.open_deviations:
        listed = ", ".join(ctx.open_deviations)
        return f"open deviation ({listed}) until QA records a disposition"
    return None


def _donor_eligible(kind: ProductKind, ctx: StepContext) -> str | None:
    if kind == "autologous" or ctx.donor_eligible is True:
        return None  # autologous use needs no donor-eligibility determination (21 CFR 1271.90)
    if ctx.donor_eligible is False:
        return "the donor is not eligible"
    return "the donor-eligibility determination is not complete (DON-DE-001)"


def _not_expired(kind: ProductKind, ctx: StepContext) -> str | None:
    if ctx.expires_at is None:
        return "the expiry is not recorded"
    if ctx.now is None:
        return "the time of the step is not known"
    if ctx.now >= ctx.expires_at:
        return f"the product expired at {ctx.expires_at.isoformat()} (REL-EXP-001)"
    return None


def _expiry_recorded(kind: ProductKind, ctx: StepContext) -> str | None:
    if ctx.expires_at is None:
        return "the product's expiry is not recorded: record it before QC testing"
    return None


def _names_the_patient(kind: ProductKind, ctx: StepContext) -> str | None:
    return "the patient it is allocated to is not given" if ctx.patient_id is None else None


def _planned_for_the_patient(kind: ProductKind, ctx: StepContext) -> str | None:
    if ctx.patient_id is None:
        return None  # names_the_patient says so
    if ctx.planned_cell_source is None:
        return "the patient has no approved treatment plan to allocate it under"
    if ctx.planned_cell_source != ctx.cell_source:
        return (
            f"the patient's approved plan is for {ctx.planned_cell_source}, "
            f"not this lot's {ctx.cell_source}"
        )
    return None


def _for_this_patient(kind: ProductKind, ctx: StepContext) -> str | None:
    if ctx.patient_id is None or ctx.product_patient_id is None:
        return "the product's patient and the patient at the bedside must both be known"
    if ctx.patient_id != ctx.product_patient_id:
        return (
            f"the product is for patient {ctx.product_patient_id}, not patient {ctx.patient_id}:"
            " stop and report the mismatch"
        )
    return None


# Two different qualified people verify patient and label at the bedside (cell-products.md).
BEDSIDE_VERIFIERS = 2


def _two_verifiers(kind: ProductKind, ctx: StepContext) -> str | None:
    if len(ctx.verified_by) >= BEDSIDE_VERIFIERS:
        return None
    return f"two qualified people must verify the label at the bedside ({len(ctx.verified_by)} did)"


def _dose_endotoxin_passed(kind: ProductKind, ctx: StepContext) -> str | None:
    judged = ctx.dose_endotoxin
    if judged is None:
        return "the endotoxin in this dose was not checked against the route's K × weight"
    if judged.outcome != Outcome.PASS:
        return f"endotoxin in this dose {judged.outcome.value}: {judged.reason}"
    return None


def _reason_given(kind: ProductKind, ctx: StepContext) -> str | None:
    return None if ctx.reason and ctx.reason.strip() else "say why (a reason is required)"


GUARDS: Mapping[Step, tuple[Guard, ...]] = MappingProxyType(
    {
        _T.RELEASE: (
            Guard("qa_decides", _qa_decides),
            Guard("not_the_results_enterer", _not_the_results_enterer),
            Guard("every_test_passed", _every_test_passed),
            Guard("no_open_deviation", _no_open_deviation),
            Guard("donor_eligible", _donor_eligible),
            Guard("expiry_recorded", _expiry_recorded),
            Guard("signed_as_released", _signed_as_released, entered=True),
        ),
        _T.REJECT: (
            Guard("qa_decides", _qa_decides),
            Guard("reason_given", _reason_given, entered=True),
        ),
        _T.ALLOCATE: (
            Guard("donor_eligible", _donor_eligible),
            Guard("not_expired", _not_expired),
            Guard("names_the_patient", _names_the_patient),
            Guard("planned_for_the_patient", _planned_for_the_patient),
        ),
        _T.VERIFY: (
            Guard("for_this_patient", _for_this_patient),
            Guard("two_verifiers", _two_verifiers),
        ),
        _T.ADMINISTER: (
            Guard("no_open_deviation", _no_open_deviation),
            Guard("not_expired", _not_expired),
            Guard("for_this_patient", _for_this_patient),
            Guard("dose_endotoxin_passed", _dose_endotoxin_passed),
        ),
        _T.DISCARD: (Guard("reason_given", _reason_given, entered=True),),
    }
)


def refusals(
    kind: ProductKind, state: State | str, step: Step | str, context: StepContext
) -> tuple[str, ...]:
    """Why ``step`` may not be taken from ``state`` now; empty when it may."""
    kind, state, step = _checked(kind, state, step)
    if state not in _STATES[kind]:
        return (f"{state.label} is not a state of an {kind} product",)
    if state in FINAL_STATES:
        return (f"the product is {state.label}: no step may follow",)
    if (state, step) not in TRANSITIONS[kind]:
        following = ", ".join(s.label for s in _following(kind, state))
        return (f"out of order: the product is {state.label}; next: {following}",)
    reasons = (guard.check(kind, context) for guard in GUARDS.get(step, ()))
    return tuple(reason for reason in reasons if reason is not None)


def next_state(
    kind: ProductKind, state: State | str, step: Step | str, *, context: StepContext
) -> State:
    """The state after ``step``; StepRefused says every reason when it may not be taken.

    >>> next_state("autologous", "ordered", "schedule_collection", context=StepContext())
    <State.COLLECTION_SCHEDULED: 'collection_scheduled'>
    """
    kind, state, step = _checked(kind, state, step)
    reasons = refusals(kind, state, step, context)
    if reasons:
        raise StepRefused(f"{step.label.capitalize()} refused: {'; '.join(reasons)}.")
    return TRANSITIONS[kind][(state, step)]


def allowed_steps(kind: ProductKind, state: State | str, context: StepContext) -> tuple[Step, ...]:
    """The steps that may be taken next, in path order (discard last), for the UI.

    Guards on what is entered with the step itself (a reason, the release signature) are left
    to the step: a QA user is offered "release" before signing.
    """
    kind, state, _ = _checked(kind, state, _T.DISCARD)
    if state not in _STATES[kind]:
        return ()
    return tuple(
        step
        for step in _following(kind, state)
        if not any(
            guard.check(kind, context) for guard in GUARDS.get(step, ()) if not guard.entered
        )
    )


class StepEvent(NamedTuple):
    step: Step
    at: datetime


def turnaround_days(events: Iterable[StepEvent]) -> float | None:
    """Days from collection to release (the first of each), or None until both happened.

    >>> from datetime import UTC
    >>> turnaround_days([
    ...     StepEvent(Step.COLLECT, datetime(2026, 3, 2, 9, tzinfo=UTC)),
    ...     StepEvent(Step.RELEASE, datetime(2026, 3, 23, 21, tzinfo=UTC)),
    ... ])
    21.5
    """
    first: dict[Step, datetime] = {}
    for event in events:
        if event.at.tzinfo is None:
            raise InvalidInput.for_field(f"{event.step}.at", "must be timezone-aware")
        first.setdefault(Step(event.step), event.at)
    collected, released = first.get(_T.COLLECT), first.get(_T.RELEASE)
    if collected is None or released is None:
        return None
    if released < collected:
        raise InvalidInput.for_field("release.at", "is before the collection")
    return (released - collected).total_seconds() / 86400


_STATE_VALUES = frozenset(state.value for state in State)
_STEP_VALUES = frozenset(step.value for step in Step)


def _following(kind: ProductKind, state: State) -> tuple[Step, ...]:
    return tuple(step for (before, step) in TRANSITIONS[kind] if before == state)


def _checked(kind: str, state: State | str, step: Step | str) -> tuple[ProductKind, State, Step]:
    """The kind, state and step as their types; InvalidInput names each one that is unknown."""
    errors: list[FieldError] = []
    if kind not in KINDS:
        errors.append(
            FieldError("kind", f"{kind!r} is not a product kind; choose autologous, allogeneic")
        )
    if state not in _STATE_VALUES:
        errors.append(FieldError("state", f"{state!r} is not a product state"))
    if step not in _STEP_VALUES:
        errors.append(FieldError("step", f"{step!r} is not a product step"))
    if errors:
        raise InvalidInput("Invalid product step", errors)
    return cast(ProductKind, kind), State(state), Step(step)
