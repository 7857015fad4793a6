"""Fixtures of the product service tests: two QA users, a donor, a lot and passing QC results.

Quinn and Quentin work in QA (the shared cast has no QA user); Ben the lab technician enters
results. Nothing here is autouse: the domain tests in this folder need none of it. The clock
stands at NOW; the program's facility number is G1234 (the ST-001 example).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from alstrack.config import get_settings
from alstrack.domain.isbt128 import check_character, flag
from alstrack.domain.products import builtin_specifications
from alstrack.services.administrations import AdministrationIn, administer
from alstrack.services.bedside import BedsideCheckIn, BedsideOut, check_at_bedside
from alstrack.services.donors import (
    REQUIRED_TESTS,
    DeterminationIn,
    DonorIn,
    DonorOut,
    DonorTestIn,
    determine_eligibility,
    record_donor_test,
    register_donor,
)
from alstrack.services.plans import ApprovalIn, PlanIn, PlanOut, approve_plan, create_plan
from alstrack.services.product_results import ResultIn, enter_result
from alstrack.services.product_steps import StepIn, take_step
from alstrack.services.product_views import ProductOut
from alstrack.services.products import LotIn, get_product, register_lot
from alstrack.services.screenings import ReviewIn, review_criterion
from alstrack.store.models import Patient
from signing_cast import SECRET, step_fields

_SCREENING_TESTS = str(Path(__file__).resolve().parent.parent / "screening")
if _SCREENING_TESTS not in sys.path:
    sys.path.insert(0, _SCREENING_TESTS)
_cast = import_module("screening_cast")
maria = _cast.maria

from product_cast import NOW, PASSING  # noqa: E402  (beside this file, put on sys.path by pytest)


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def facility(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")
    get_settings.cache_clear()
    yield "G1234"
    get_settings.cache_clear()


@pytest.fixture
def qa(clinic: Any) -> Any:
    """Quinn and Quentin, QA at both sites, added to the clinic's people and tokens."""
    for username, display in (("quinn", "Quinn Adler"), ("quentin", "Quentin Roy")):
        clinic.join(username, display, "qa", ["NORTH"])
    return clinic


@pytest.fixture
def donor(clinic: Any, qa: Any, clock: Any) -> Callable[..., DonorOut]:
    """A cord-tissue donor (UC-0001, UC-0002, … unless a code is given) with every required
    test recorded; ``determine`` lets QA decide."""
    numbers = itertools.count(1)

    def made(
        code: str | None = None,
        results: dict[str, str] | None = None,
        days: int = 0,
        determine: bool = True,
    ) -> DonorOut:
        out = register_donor(
            clinic.db,
            clinic["ben"],
            DonorIn(
                code=code or f"UC-{next(numbers):04}",
                recovered_on=date(2026, 10, 20),
                age_at_recovery_days=0,
            ),
        )
        for test in REQUIRED_TESTS:
            result = (results or {}).get(test, "nonreactive")
            data = DonorTestIn(test=test, result=result, specimen_days_from_recovery=days)
            out = record_donor_test(clinic.db, clinic["ben"], out.id, data)
        if determine:
            out = determine_eligibility(
                clinic.db,
                clinic["quinn"],
                out.id,
                DeterminationIn(version=out.version, password=SECRET),
            )
        return out

    return made


@pytest.fixture
def lot(clinic: Any, donor: Callable[..., DonorOut], facility: str) -> Callable[..., ProductOut]:
    """A UC-MSC lot of an eligible donor, registered by Ben; keywords change fields."""

    def made(donor_id: int | None = None, **changes: Any) -> ProductOut:
        data = {
            "donor_id": donor_id if donor_id is not None else donor().id,
            "cell_source": "allogeneic_uc_msc",
            "vials": 20,
            "viable_cells_per_vial": 5e7,
            "expires_at": NOW + timedelta(days=365),
            "storage_location": "LN2 tank 3, rack B",
        } | changes
        return register_lot(clinic.db, clinic["ben"], LotIn(**data))

    return made


@pytest.fixture
def step(clinic: Any) -> Callable[..., Any]:
    """Take a step on a product as it stands now (its current record version)."""

    def taken(din: str, name: str, by: str = "ben", **fields: Any) -> Any:
        version = get_product(clinic.db, clinic.system, din).product.version
        return take_step(
            clinic.db,
            clinic[by],
            din,
            StepIn(step=name, version=version, **step_fields(name, fields)),
        )

    return taken


@pytest.fixture
def results(clinic: Any) -> Callable[..., None]:
    """Enter passing results of a lot (keywords change or, as None, leave out tests)."""

    def entered(din: str, by: str = "ben", **changes: Any) -> None:
        for test, value in (PASSING | changes).items():
            if value is not None:
                enter_result(clinic.db, clinic[by], din, ResultIn(test=test, value=value))

    return entered


@pytest.fixture
def in_qc(
    lot: Callable[..., ProductOut], step: Callable[..., Any], results: Callable[..., None]
) -> Callable[..., ProductOut]:
    """A lot manufactured, in QC testing, with passing results entered by Ben."""

    def made(**changes: Any) -> ProductOut:
        product = lot()
        step(product.din, "manufacture")
        step(product.din, "start_qc")
        results(product.din, **changes)
        return product

    return made


def spec_test_ids(cell_source: str = "allogeneic_uc_msc") -> set[str]:
    return {t.id for t in builtin_specifications().get(cell_source, field="x").tests}


@pytest.fixture
def approved(clinic: Any, maria: Any, qa: Any, clock: Any) -> Callable[..., PlanOut]:
    """Approve a plan for Maria on her reviewed screening: 10^6 cells/kg, three doses 28 days
    apart, of UC-MSC lots intrathecally unless told; keywords add to the plan."""

    def made(
        cell_source: str = "allogeneic_uc_msc", route: str = "intrathecal", **plan: Any
    ) -> PlanOut:
        screening = maria.screen(clinic)
        review = ReviewIn(
            criterion_id="INC-PROG-001",
            decision="accept",
            reason="Fast progressor",
            password=SECRET,
        )
        review_criterion(clinic.db, clinic["chen"], screening.id, review)
        data = PlanIn(
            screening_id=screening.id,
            cell_source=cell_source,
            route=route,
            dose_basis="per_kg",
            cells_per_kg=1e6,
            administrations=3,
            interval_days=28,
            **plan,
        )
        drafted = create_plan(clinic.db, clinic["alice"], maria.patient_id, data)
        approval = ApprovalIn(number=1, version=drafted.version, password=SECRET)
        return approve_plan(clinic.db, clinic["chen"], drafted.id, approval)

    return made


@pytest.fixture
def thawed(
    clinic: Any, maria: Any, in_qc: Callable[..., ProductOut], step: Callable[..., Any]
) -> Callable[..., ProductOut]:
    """A released UC-MSC lot allocated to Maria (who needs an approved plan), shipped to
    Northgate and thawed by Nina; keywords change its QC results."""

    def made(**changes: Any) -> ProductOut:
        product = in_qc(**changes)
        step(product.din, "release", by="quinn")
        step(product.din, "place_in_inventory")
        step(product.din, "allocate", patient_id=maria.patient_id)
        step(product.din, "ship_to_clinic", to_location="Northgate pharmacy", temperature_c=-150)
        step(product.din, "receive_at_clinic", by="nina", condition="seal intact")
        step(product.din, "thaw", by="nina", temperature_c=37)
        return product

    return made


def study_id(clinic: Any, patient_id: int) -> str:
    with clinic.db.read() as session:
        return session.get_one(Patient, patient_id).study_id


@pytest.fixture
def confirm(clinic: Any, maria: Any) -> Callable[..., BedsideOut]:
    """One person's bedside check of Maria and a DIN: scanned unless told, 10 mL."""

    def confirmed(
        din: str,
        by: str = "nina",
        *,
        patient: str | None = None,
        patient_entry: str = "scanned",
        din_entry: str = "scanned",
        entered: str | None = None,
        volume: float = 10.0,
    ) -> BedsideOut:
        if entered is None:
            entered = f"={din}{flag(din)}" if din_entry == "scanned" else din + check_character(din)
        data = BedsideCheckIn(
            patient=patient if patient is not None else study_id(clinic, maria.patient_id),
            patient_entry=patient_entry,
            din=entered,
            din_entry=din_entry,
            dose_volume_ml=volume,
        )
        return check_at_bedside(clinic.db, clinic[by], data)

    return confirmed


@pytest.fixture
def dose(
    clinic: Any, thawed: Callable[..., ProductOut], confirm: Callable[..., BedsideOut]
) -> Callable[..., Any]:
    """Give Maria a thawed UC-MSC lot (her plan approved first): two bedside checks, then
    6.1 × 10^7 cells in 10 mL by the route asked (intrathecal unless told)."""

    def given(route: str = "intrathecal") -> Any:
        product = thawed()
        confirm(product.din, "nina")
        checked = confirm(product.din, "chen")
        data = AdministrationIn(
            version=checked.product_version, route=route, cells_administered=6.1e7,
            volume_ml=10.0, password=SECRET,
        )  # fmt: skip
        return administer(clinic.db, clinic["nina"], product.din, data)

    return given
