"""Release needs every test passed, no open deviation, and a QA signature by someone else.

Quinn of QA releases what Ben the lab technician entered; the same user may not do both.
"""

from __future__ import annotations

import pytest
from lifecycle_cases import BEN, OLGA, QUINN, judgements, ready

from alstrack.domain.products import GUARDS, ProductKind, State, Step, StepContext, next_state
from alstrack.errors import StepRefused


def release(context: StepContext, kind: ProductKind = "autologous") -> State:
    return next_state(kind, "qc_testing", "release", context=context)


def refused(context: StepContext, kind: ProductKind = "autologous") -> str:
    with pytest.raises(StepRefused) as caught:
        release(context, kind)
    return caught.value.message


@pytest.mark.parametrize("kind", ["autologous", "allogeneic"])
def test_it_releases_when_every_test_passed_and_qa_signed_who_entered_no_result(
    kind: ProductKind,
) -> None:
    assert release(ready(), kind) == State.RELEASED


def test_it_refuses_release_with_a_failed_test_and_names_it() -> None:
    message = refused(ready(judgements=judgements(cd73_pct=94.9)))
    assert "no release with a failed or missing test" in message
    assert "CD73 positive fail: 94.9% does not meet ≥ 95%" in message


def test_it_refuses_release_with_a_missing_test_and_names_it() -> None:
    message = refused(ready(judgements=judgements(mycoplasma=None)))
    assert "Mycoplasma missing: no result recorded" in message


def test_it_refuses_release_of_a_test_that_was_not_done() -> None:
    message = refused(ready(judgements=judgements(karyotype="not_done")))
    assert "Karyotype missing: not done" in message


def test_it_refuses_release_with_no_judged_results() -> None:
    message = refused(ready(judgements=()))
    assert "no test results were judged against the specification" in message


def test_it_refuses_release_while_a_temperature_excursion_deviation_is_open() -> None:
    message = refused(ready(open_deviations=("DEV-12 temperature excursion",)))
    assert "open deviation (DEV-12 temperature excursion) until QA records a disposition" in (
        message
    )


def test_it_releases_once_qa_has_recorded_the_deviations_disposition() -> None:
    assert release(ready(open_deviations=())) == State.RELEASED


def test_it_refuses_release_when_open_deviations_were_not_checked() -> None:
    assert "open deviations were not checked" in refused(ready(open_deviations=None))


def test_it_refuses_release_by_the_user_who_entered_results() -> None:
    message = refused(ready(actor_id=QUINN, results_entered_by=frozenset({BEN, QUINN})))
    assert "the user who entered test results may not release the product" in message


def test_it_lets_another_qa_user_release_what_a_qa_user_entered() -> None:
    assert release(ready(actor_id=OLGA, results_entered_by=frozenset({QUINN}))) == "released"


def test_it_refuses_release_by_an_unknown_user() -> None:
    assert "the releasing user is not known" in refused(ready(actor_id=None))


@pytest.mark.parametrize(
    "role", ["lab_technician", "physician", "coordinator", "nurse", "admin", "system", None]
)
def test_it_refuses_release_by_a_role_other_than_qa(role: str | None) -> None:
    message = refused(ready(actor_role=role))
    assert "only a QA user may decide a product's disposition" in message
    assert f"the acting role is {(role or 'unknown').replace('_', ' ')}" in message


@pytest.mark.parametrize("meaning", [None, "approved", "reviewed", "Released"])
def test_it_refuses_release_without_a_signature_meaning_released(meaning: str | None) -> None:
    assert "signature with the meaning 'released'" in refused(ready(signature_meaning=meaning))


@pytest.mark.parametrize(
    ("eligible", "reason"),
    [
        (False, "the donor is not eligible"),
        (None, "the donor-eligibility determination is not complete (DON-DE-001)"),
    ],
)
def test_it_refuses_release_of_an_allogeneic_lot_without_an_eligible_donor(
    eligible: bool | None, reason: str
) -> None:
    assert reason in refused(ready(donor_eligible=eligible), "allogeneic")


def test_an_autologous_release_needs_no_donor_eligibility() -> None:
    assert release(ready(donor_eligible=None), "autologous") == State.RELEASED


def test_a_refusal_names_every_reason_at_once() -> None:
    message = refused(
        ready(
            actor_role="lab_technician",
            actor_id=BEN,
            judgements=judgements(viability_pct=65.0),
            open_deviations=("DEV-3",),
        )
    )
    assert message.startswith("Release refused: only a QA user")
    for reason in ("may not release", "Viability fail: 65%", "open deviation (DEV-3)"):
        assert reason in message


def test_it_refuses_rejection_by_a_role_other_than_qa_or_without_a_reason() -> None:
    with pytest.raises(StepRefused, match="only a QA user"):
        next_state("autologous", "qc_testing", "reject", context=ready(actor_role="physician"))
    with pytest.raises(StepRefused, match="a reason is required"):
        next_state("autologous", "qc_testing", "reject", context=ready(reason="  "))
    failed = ready(judgements=judgements(mycoplasma="positive"), reason="Mycoplasma positive")
    assert next_state("autologous", "qc_testing", "reject", context=failed) == State.REJECTED


def test_the_release_guards_are_the_ones_the_issue_names() -> None:
    assert [guard.name for guard in GUARDS[Step.RELEASE]] == [
        "qa_decides",
        "not_the_results_enterer",
        "every_test_passed",
        "no_open_deviation",
        "donor_eligible",
        "expiry_recorded",
        "signed_as_released",
    ]


def test_a_product_without_a_recorded_expiry_is_not_released() -> None:
    message = refused(ready(expires_at=None))
    assert "the product's expiry is not recorded: record it before QC testing" in message
