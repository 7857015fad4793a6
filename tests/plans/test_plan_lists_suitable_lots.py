"""An allogeneic plan lists the released, unexpired lots of eligible donors that hold its dose.

Maria's plan doses 64 × 10⁶ cells per administration (10⁶/kg at 64 kg). The lots are made here
as the product tests make them (tests/products/conftest.py): Ben registers and tests them,
Quinn (QA) determines the donor and releases; the clock stands still at the plans' NOW.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from alstrack.config import get_settings
from alstrack.domain.permissions import MATRIX
from alstrack.services.context import Actor
from alstrack.services.donors import (
    REQUIRED_TESTS,
    DeterminationIn,
    DonorIn,
    DonorTestIn,
    determine_eligibility,
    record_donor_test,
    register_donor,
)
from alstrack.services.plan_views import present_plan
from alstrack.services.plans import get_plan
from alstrack.services.product_results import ResultIn, enter_result
from alstrack.services.product_steps import StepIn, take_step
from alstrack.services.products import LotIn, get_product, register_lot
from alstrack.store.models import Donor, TreatmentPlan
from signing_cast import SECRET, step_fields

_PRODUCT_TESTS = str(Path(__file__).resolve().parent.parent / "products")
if _PRODUCT_TESTS not in sys.path:
    sys.path.insert(0, _PRODUCT_TESTS)
from product_cast import NOW, PASSING  # noqa: E402

Make = Callable[..., Any]
ALLOGENEIC = {"cell_source": "allogeneic_uc_msc"}


@pytest.fixture
def lots(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Make]:
    """Make a UC-MSC lot of a new donor, taken as far as ``until``; keywords change the lot."""
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")
    get_settings.cache_clear()
    clinic.join("quinn", "Quinn Adler", "qa", ["NORTH"])
    codes = iter(range(1, 100))

    def step(din: str, name: str, by: str = "ben", **fields: Any) -> None:
        version = get_product(clinic.db, clinic.system, din).product.version
        take_step(
            clinic.db,
            clinic[by],
            din,
            StepIn(step=name, version=version, **step_fields(name, fields)),
        )

    def made(
        until: str = "place_in_inventory",
        days: int = 365,
        patient_id: int | None = None,
        **changes: Any,
    ) -> Any:
        donor = register_donor(
            clinic.db,
            clinic["ben"],
            DonorIn(
                code=f"UC-{next(codes):04}",
                recovered_on=date(2026, 10, 20),
                age_at_recovery_days=0,
            ),
        )
        for test in REQUIRED_TESTS:
            test_in = DonorTestIn(test=test, result="nonreactive", specimen_days_from_recovery=0)
            donor = record_donor_test(clinic.db, clinic["ben"], donor.id, test_in)
        determine_eligibility(
            clinic.db,
            clinic["quinn"],
            donor.id,
            DeterminationIn(version=donor.version, password=SECRET),
        )
        lot = register_lot(
            clinic.db,
            clinic["ben"],
            LotIn(
                **{
                    "donor_id": donor.id,
                    "cell_source": "allogeneic_uc_msc",
                    "vials": 20,
                    "viable_cells_per_vial": 5e7,
                    "expires_at": NOW + timedelta(days=days),
                    "storage_location": "LN2 tank 3, rack B",
                }
                | changes
            ),
        )
        path = ("manufacture", "start_qc", "release", "place_in_inventory", "allocate")
        for name in path[: path.index(until) + 1]:
            if name == "release":
                for test, value in PASSING.items():
                    enter_result(
                        clinic.db, clinic["ben"], lot.din, ResultIn(test=test, value=value)
                    )
            by = "quinn" if name == "release" else "ben"
            fields = {"patient_id": patient_id} if name == "allocate" else {}
            step(lot.din, name, by=by, **fields)
        return lot

    yield made
    get_settings.cache_clear()


def _dins(plan: Any) -> list[str]:
    return [lot.din for lot in plan.suitable_lots]


def test_a_released_lot_in_inventory_of_an_eligible_donor_that_holds_the_dose_is_listed(
    clinic: Any, draft: Make, lots: Make
) -> None:
    lot = lots()
    plan = draft(**ALLOGENEIC)
    [listed] = plan.suitable_lots
    assert listed.din == lot.din
    assert (listed.eye_readable, listed.check_character) == (lot.eye_readable, lot.check_character)
    assert (listed.state, listed.vials, listed.viable_cells_per_vial) == ("in_inventory", 20, 5e7)
    assert listed.viable_cells == 1e9
    assert (listed.expires_at, listed.storage_location) == (lot.expires_at, "LN2 tank 3, rack B")
    assert "suitable_lots" not in plan.versions[0].missing
    assert _dins(get_plan(clinic.db, clinic["ben"], plan.id)) == [lot.din]


def test_a_released_lot_not_yet_placed_in_inventory_is_listed_too(draft: Make, lots: Make) -> None:
    lot = lots(until="release")
    [listed] = draft(**ALLOGENEIC).suitable_lots
    assert (listed.din, listed.state) == (lot.din, "released")


def test_lots_are_listed_soonest_expiry_first(draft: Make, lots: Make) -> None:
    late, soon, middle = lots(days=300), lots(days=100), lots(days=200)
    assert _dins(draft(**ALLOGENEIC)) == [soon.din, middle.din, late.din]


@pytest.mark.parametrize("until", ["manufacture", "start_qc"])
def test_a_lot_not_yet_released_is_not_listed(draft: Make, lots: Make, until: str) -> None:
    lots(until=until)
    assert draft(**ALLOGENEIC).suitable_lots == []


def test_an_expired_lot_is_not_listed(clinic: Any, clock: Any, draft: Make, lots: Make) -> None:
    lots(days=2)
    kept = lots(days=30)
    plan = draft(**ALLOGENEIC)
    assert len(plan.suitable_lots) == 2
    clock.move_to(NOW + timedelta(days=2), tick=False)  # the first expires this very moment
    assert _dins(get_plan(clinic.db, clinic["alice"], plan.id)) == [kept.din]


def test_a_lot_with_too_few_cells_is_not_listed(draft: Make, lots: Make) -> None:
    lots(vials=1, viable_cells_per_vial=6.3e7)  # 63 × 10⁶ < 64 × 10⁶
    exact = lots(vials=2, viable_cells_per_vial=3.2e7)  # exactly the dose
    assert _dins(draft(**ALLOGENEIC)) == [exact.din]


def test_a_lot_allocated_to_a_patient_is_not_listed(
    clinic: Any, maria: Any, draft: Make, approve: Make, lots: Make
) -> None:
    plan = approve(draft(**ALLOGENEIC))
    free = lots()
    lots(until="allocate", patient_id=maria.patient_id)
    assert _dins(get_plan(clinic.db, clinic["alice"], plan.id)) == [free.din]


@pytest.mark.parametrize("eligibility", ["pending", "ineligible"])
def test_a_lot_of_a_donor_not_eligible_is_not_listed(
    clinic: Any, draft: Make, lots: Make, eligibility: str
) -> None:
    lot = lots()
    # Released lots come from eligible donors; the view still reads the donor's determination.
    with clinic.db.transaction() as session:
        donor = session.get_one(
            Donor, get_product(clinic.db, clinic.system, lot.din).product.donor_id
        )
        donor.eligibility = eligibility
    assert draft(**ALLOGENEIC).suitable_lots == []


def test_a_lot_of_another_cell_source_is_not_listed(draft: Make, lots: Make) -> None:
    lots()
    assert draft(cell_source="allogeneic_wj_msc").suitable_lots == []


def test_an_autologous_plan_lists_no_lots(draft: Make, lots: Make, revise: Make) -> None:
    lots()
    plan = draft()
    assert plan.suitable_lots is None
    assert plan.suitable_lots is None
    assert "suitable_lots" not in plan.versions[0].missing
    assert len(revise(plan, **ALLOGENEIC).suitable_lots) == 1  # the current version decides


def test_a_per_kg_plan_without_a_weight_lists_none_and_says_why(
    clinic: Any, maria: Any, draft: Make, lots: Make, eligible: int
) -> None:
    from test_plan_service_dose import void_weights

    lots()
    void_weights(clinic, maria)
    plan = draft(**ALLOGENEIC)
    assert plan.suitable_lots == []
    assert plan.versions[0].missing["suitable_lots"] == "needs the dose per administration"


def test_a_reader_without_products_read_gets_an_empty_list_not_an_error(
    clinic: Any, draft: Make, lots: Make
) -> None:
    # Every role that reads plans reads products today; the view does not rely on it.
    assert all("products.read" in grants for grants in MATRIX.values() if "plans.read" in grants)
    lots()
    plan = draft(**ALLOGENEIC)
    admin = Actor(user_id=clinic["alice"].user_id, username="x", display_name="X", role="admin")
    with clinic.db.read() as session:
        seen = present_plan(session, session.get_one(TreatmentPlan, plan.id), admin)
    assert seen.suitable_lots == []
    assert "products.read" in seen.versions[0].missing["suitable_lots"]
