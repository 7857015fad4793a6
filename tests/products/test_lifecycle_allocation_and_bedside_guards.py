"""Nothing is administered before release; allocation, bedside checks and expiry are guarded.

Maria (patient 7) is the patient the product is for; Pedro (patient 8) is someone else.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from lifecycle_cases import ALLOGENEIC_PATH, AUTOLOGOUS_PATH, DR_CHEN, NORA, NOW, PEDRO, ready

from alstrack.domain.products import (
    ProductKind,
    State,
    StepContext,
    builtin_specifications,
    expiry_after_thaw,
    judge_dose_endotoxin,
    next_state,
)
from alstrack.errors import StepRefused

BEFORE_RELEASE = [
    ("autologous", state) for state, _, _ in AUTOLOGOUS_PATH[: AUTOLOGOUS_PATH.index(
        ("qc_testing", "release", "released")) + 1]
] + [
    ("allogeneic", state) for state, _, _ in ALLOGENEIC_PATH[: ALLOGENEIC_PATH.index(
        ("qc_testing", "release", "released")) + 1]
] + [("autologous", "rejected"), ("allogeneic", "rejected")]  # fmt: skip


def refused(kind: ProductKind, state: str, step: str, context: StepContext) -> str:
    with pytest.raises(StepRefused) as caught:
        next_state(kind, state, step, context=context)
    return caught.value.message


@pytest.mark.parametrize(("kind", "state"), BEFORE_RELEASE)
def test_it_refuses_administration_before_release(kind: ProductKind, state: str) -> None:
    message = refused(kind, state, "administer", ready())
    assert message.startswith("Administer refused: out of order")


def test_it_allocates_a_released_lot_of_an_eligible_donor_before_its_expiry() -> None:
    context = ready(expires_at=NOW + timedelta(seconds=1))
    assert next_state("allogeneic", "in_inventory", "allocate", context=context) == "allocated"


@pytest.mark.parametrize("expires_in", [timedelta(0), timedelta(hours=-1)])
def test_it_refuses_to_allocate_an_expired_lot(expires_in: timedelta) -> None:
    message = refused("allogeneic", "in_inventory", "allocate", ready(expires_at=NOW + expires_in))
    assert "the product expired at" in message
    assert "(REL-EXP-001)" in message


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"donor_eligible": False}, "the donor is not eligible"),
        ({"donor_eligible": None}, "the donor-eligibility determination is not complete"),
        ({"expires_at": None}, "the expiry is not recorded"),
        ({"now": None}, "the time of the step is not known"),
        ({"patient_id": None}, "the patient it is allocated to is not given"),
        (
            {"planned_cell_source": None},
            "the patient has no approved treatment plan to allocate it under",
        ),
        (
            {"planned_cell_source": "allogeneic_wj_msc"},
            "the patient's approved plan is for allogeneic_wj_msc, not this lot's "
            "allogeneic_uc_msc",
        ),
    ],
)
def test_it_refuses_to_allocate_without_an_eligible_donor_an_expiry_a_patient_or_their_plan(
    changes: dict[str, object], reason: str
) -> None:
    assert reason in refused("allogeneic", "in_inventory", "allocate", ready(**changes))


def test_two_qualified_people_verify_the_label_at_the_bedside() -> None:
    context = ready(verified_by=frozenset({NORA, DR_CHEN}))
    assert next_state("autologous", "thawed", "verify", context=context) == State.VERIFIED
    message = refused("autologous", "thawed", "verify", ready(verified_by=frozenset({NORA})))
    assert "two qualified people must verify the label at the bedside (1 did)" in message


@pytest.mark.parametrize("step", ["verify", "administer"])
def test_it_stops_a_product_meant_for_another_patient(step: str) -> None:
    state = "thawed" if step == "verify" else "verified"
    message = refused("allogeneic", state, step, ready(patient_id=PEDRO))
    assert "the product is for patient 7, not patient 8: stop and report the mismatch" in message
    unknown = refused("allogeneic", state, step, ready(product_patient_id=None))
    assert "must both be known" in unknown


def test_it_administers_a_verified_product_within_its_expiry_and_dose_endotoxin() -> None:
    assert next_state("autologous", "verified", "administer", context=ready()) == "administered"


def test_it_refuses_administration_while_a_deviation_is_open() -> None:
    context = ready(open_deviations=("DEV-20 temperature excursion in the dry shipper",))
    message = refused("autologous", "verified", "administer", context)
    assert "open deviation (DEV-20 temperature excursion in the dry shipper)" in message


def test_it_refuses_administration_after_the_expiry_after_thaw() -> None:
    spec = builtin_specifications().get("autologous_bm_msc", field="product")
    thawed_at = NOW - timedelta(hours=5)
    expires = expiry_after_thaw(spec, thawed_at)
    assert expires == thawed_at + timedelta(hours=4)
    message = refused("autologous", "verified", "administer", ready(expires_at=expires))
    assert "the product expired at 2026-06-01T08:00:00+00:00" in message


def test_it_refuses_an_intrathecal_dose_whose_endotoxin_passes_intravenously() -> None:
    # 0.5 EU/mL in 30 mL is 15 EU: within 5 EU/kg x 70 kg (IV), above 0.2 EU/kg x 70 kg (IT).
    intravenous = ready(dose_endotoxin=judge_dose_endotoxin(0.5, 30.0, 350.0))
    assert next_state("autologous", "verified", "administer", context=intravenous) == (
        "administered"
    )
    intrathecal = ready(dose_endotoxin=judge_dose_endotoxin(0.5, 30.0, 14.0))
    message = refused("autologous", "verified", "administer", intrathecal)
    assert "endotoxin in this dose fail: 0.5 EU/mL × 30 mL = 15 EU exceeds the limit of 14 EU" in (
        message
    )


def test_it_refuses_administration_whose_dose_endotoxin_was_not_checked_or_is_missing() -> None:
    assert "was not checked" in refused(
        "autologous", "verified", "administer", ready(dose_endotoxin=None)
    )
    missing = ready(dose_endotoxin=judge_dose_endotoxin(0.5, None, 14.0))
    assert "endotoxin in this dose missing" in refused(
        "autologous", "verified", "administer", missing
    )


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_it_refuses_to_discard_without_a_reason(reason: str | None) -> None:
    message = refused("allogeneic", "in_inventory", "discard", ready(reason=reason))
    assert message == "Discard refused: say why (a reason is required)."
