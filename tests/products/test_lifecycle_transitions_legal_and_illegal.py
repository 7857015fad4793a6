"""Every legal step of both paths leads where it should; every other step is refused with why."""

from __future__ import annotations

import pytest
from lifecycle_cases import LEGAL, NOW, STATES, ready

from alstrack.domain.products import (
    FINAL_STATES,
    INITIAL_STATES,
    KINDS,
    TRANSITIONS,
    ProductKind,
    State,
    Step,
    StepContext,
    allowed_steps,
    next_state,
    refusals,
)
from alstrack.errors import InvalidInput, StepRefused

LEGAL_CASES = [(kind, *row) for kind, table in LEGAL.items() for row in table]
LEGAL_PAIRS = {(kind, state, step) for kind, state, step, _ in LEGAL_CASES}
ILLEGAL_CASES = [
    (kind, state.value, step.value)
    for kind in KINDS
    for state in State
    for step in Step
    if (kind, state.value, step.value) not in LEGAL_PAIRS
]


@pytest.mark.parametrize(("kind", "state", "step", "after"), LEGAL_CASES)
def test_every_legal_step_leads_to_its_next_state(
    kind: ProductKind, state: str, step: str, after: str
) -> None:
    assert next_state(kind, state, step, context=ready()) == after


@pytest.mark.parametrize(("kind", "state", "step"), ILLEGAL_CASES)
def test_every_other_step_is_refused_with_the_reason(
    kind: ProductKind, state: str, step: str
) -> None:
    if state not in STATES[kind]:
        expected = f"is not a state of an {kind} product"
    elif state in {"administered", "discarded"}:
        expected = "no step may follow"
    else:
        expected = "out of order"
    with pytest.raises(StepRefused) as caught:
        next_state(kind, state, step, context=ready())
    assert expected in caught.value.message
    assert caught.value.code == "step_refused"
    assert refusals(kind, state, step, ready())


def test_the_cross_product_is_covered_by_the_legal_and_illegal_cases() -> None:
    assert len(LEGAL_CASES) + len(ILLEGAL_CASES) == len(KINDS) * len(State) * len(Step)
    assert len(ILLEGAL_CASES) > 600


def test_the_transition_table_is_exactly_the_legal_table() -> None:
    for kind in KINDS:
        assert {
            (state.value, step.value): after.value
            for (state, step), after in TRANSITIONS[kind].items()
        } == {(state, step): after for state, step, after in LEGAL[kind]}


def test_an_out_of_order_step_names_what_may_happen_next() -> None:
    with pytest.raises(StepRefused, match="Thaw refused: out of order") as caught:
        next_state("autologous", State.RECEIVED_AT_CLINIC, Step.THAW, context=ready())
    assert caught.value.message.endswith("the product is received at clinic; next: store, discard.")


def test_an_allogeneic_product_is_thawed_on_receipt_and_an_autologous_one_is_stored_first() -> None:
    assert next_state("allogeneic", "received_at_clinic", "thaw", context=ready()) == "thawed"
    assert next_state("autologous", "received_at_clinic", "store", context=ready()) == "stored"


@pytest.mark.parametrize("kind", KINDS)
def test_every_state_that_is_not_final_may_be_discarded(kind: ProductKind) -> None:
    for state in STATES[kind] - {"administered", "discarded"}:
        assert next_state(kind, state, "discard", context=ready()) == State.DISCARDED


def test_a_rejected_product_can_only_be_discarded() -> None:
    for kind in KINDS:
        assert allowed_steps(kind, State.REJECTED, ready()) == (Step.DISCARD,)


def test_orders_start_ordered_and_lots_start_with_a_screened_donor() -> None:
    assert INITIAL_STATES == {"autologous": "ordered", "allogeneic": "donor_screened"}
    assert {State.ADMINISTERED, State.DISCARDED} == FINAL_STATES


@pytest.mark.parametrize("kind", KINDS)
def test_walking_the_first_allowed_step_from_the_start_ends_administered(kind: ProductKind) -> None:
    state, walked = INITIAL_STATES[kind], []
    while state not in FINAL_STATES:
        step = allowed_steps(kind, state, ready())[0]
        walked.append(step.value)
        state = next_state(kind, state, step, context=ready())
    path = [row[1] for row in LEGAL[kind] if row[1] not in {"reject", "discard"}]
    assert (state, walked) == (State.ADMINISTERED, path)


def test_allowed_steps_leaves_out_a_step_whose_guard_fails() -> None:
    assert allowed_steps("autologous", "qc_testing", ready()) == (
        Step.RELEASE,
        Step.REJECT,
        Step.DISCARD,
    )
    assert allowed_steps("autologous", "qc_testing", ready(actor_role="lab_technician")) == (
        Step.DISCARD,
    )
    assert allowed_steps("allogeneic", "in_inventory", ready(donor_eligible=False)) == (
        Step.DISCARD,
    )
    assert allowed_steps("autologous", "administered", ready()) == ()
    assert allowed_steps("autologous", "in_inventory", ready()) == ()


def test_allowed_steps_offers_release_before_the_signature_and_discard_before_a_reason() -> None:
    unsigned = ready(signature_meaning=None, reason=None)
    assert allowed_steps("autologous", "qc_testing", unsigned) == (
        Step.RELEASE,
        Step.REJECT,
        Step.DISCARD,
    )
    with pytest.raises(StepRefused, match="meaning 'released'"):
        next_state("autologous", "qc_testing", "release", context=unsigned)


def test_unguarded_steps_need_no_facts() -> None:
    assert next_state("autologous", "ordered", "schedule_collection", context=StepContext()) == (
        State.COLLECTION_SCHEDULED
    )


def test_an_unknown_kind_state_or_step_is_invalid_input_naming_each() -> None:
    with pytest.raises(InvalidInput) as caught:
        next_state("xenogeneic", "frozen", "bless", context=ready())  # type: ignore[arg-type]
    assert [error.field for error in caught.value.fields] == ["kind", "state", "step"]
    assert "choose autologous, allogeneic" in caught.value.fields[0].message


def test_a_context_refuses_a_time_without_a_time_zone() -> None:
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(InvalidInput, match="now: must be timezone-aware"):
        StepContext(now=naive)
    with pytest.raises(InvalidInput, match="expires_at: must be timezone-aware"):
        StepContext(expires_at=naive)
