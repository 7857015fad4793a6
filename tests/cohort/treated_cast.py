"""The cohort tests' cast: five treated patients at Northgate, taken through the pathway by the
ordinary services, as the demo does.

They are registered like Maria (tests/screening/screening_cast.py): consented on 20 October
2026, evaluated, screened on 1 November (Dr Chen accepts every open review), planned and approved,
each given one dose of an allogeneic lot released by Quinn of QA, checked at the bedside by Nina
and Dr Chen, on 1 November 2026 at 10:00 UTC (NOW). ALSFRS-R totals come on three days before the
dose and four after it (TOTALS); the clock then stands at LATER.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any

from alstrack.domain.isbt128 import flag
from alstrack.services import administrations, bedside, donors, patients, products, records
from alstrack.services import plans as plan_service
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    InstrumentAssessmentIn,
    SpirometryIn,
)
from alstrack.services.evaluations import PRETREATMENT_EVALUATION
from alstrack.services.milestones import DRUG_COURSE, DrugCourseIn
from alstrack.services.patients import HistoryIn, IdentityIn, PatientIn
from alstrack.services.product_results import ResultIn, enter_result
from alstrack.services.product_steps import StepIn, take_step
from alstrack.services.screenings import ReviewIn, ScreeningIn, review_criterion, screen_patient
from signing_cast import SECRET, step_fields

_TESTS = Path(__file__).resolve().parent.parent
for folder in ("screening", "products"):
    if str(_TESTS / folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / folder))
_screening = import_module("screening_cast")
PASSING: dict[str, Any] = import_module("product_cast").PASSING

NOW = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
LATER = datetime(2027, 11, 20, 12, 0, tzinfo=UTC)
DOSE_DAY = date(2026, 11, 1)
BEFORE = (date(2026, 4, 10), date(2026, 7, 10), date(2026, 10, 29))
AFTER = (date(2026, 12, 1), date(2027, 2, 1), date(2027, 5, 3), date(2027, 11, 1))
# Totals before the dose, then after it: each patient declines at their own pace.
TOTALS = (
    (46, 44, 40, 39, 37, 35, 30),
    (45, 42, 39, 38, 36, 33, 28),
    (47, 45, 42, 42, 40, 38, 33),
    (43, 40, 37, 35, 34, 31, 26),
    (46, 43, 41, 40, 39, 36, 31),
)
# (cell source, route, cells per kg) of each patient's plan.
PLANS = (
    ("allogeneic_uc_msc", "intrathecal", 1e6),
    ("allogeneic_uc_msc", "intrathecal", 1e6),
    ("allogeneic_uc_msc", "intravenous", 1e6),
    ("allogeneic_wj_msc", "intravenous", 1e6),
    ("allogeneic_wj_msc", "intravenous", 2e6),
)
# Items lowered one point at a time, in turn, to reach a total (breathing items kept whole).
_LOWERED = ("q7", "q8", "q9", "q4", "q6", "q5a", "q1", "q2")


def alsfrs_form(on: date, total: int) -> InstrumentAssessmentIn:
    responses = {f"q{i}": 4 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 4}
    for step in range(48 - total):
        responses[_LOWERED[step % len(_LOWERED)]] -= 1
    return InstrumentAssessmentIn(
        instrument="alsfrs_r", assessed_on=on, assessed_by="Dr Wei Chen", responses=responses
    )


@dataclass(frozen=True)
class Treated:
    patient_id: int
    cell_source: str
    route: str
    cells_per_kg: float
    totals: tuple[int, ...]


def registered(clinic: Any, consented: Any, number: int, before: tuple[int, ...]) -> int:
    """A patient with Maria's history and registry, and their own ALSFRS-R totals."""
    db, alice = clinic.db, clinic["alice"]
    patient = patients.register_patient(
        db, alice,
        PatientIn(
            site_id=clinic.sites["NORTH"], sex="female",
            identity=IdentityIn(
                given_name=f"Cohort{number}", family_name="Synthetic",
                date_of_birth=date(1970 + number, 3, 10),
            ),
            history=HistoryIn(
                onset_date=date(2025, 12, 1), onset_region="lower_limb",
                diagnosis_date=date(2026, 5, 1), diagnostic_criteria="revised_el_escorial",
                diagnostic_category="probable", family_history="no",
            ),
        ),
    )  # fmt: skip
    pid = patient.id
    for on, total in zip(BEFORE, before, strict=True):
        records.add(db, alice, INSTRUMENT_ASSESSMENT, pid, alsfrs_form(on, total))
    seen = date(2026, 10, 29)
    records.add(
        db, alice, SPIROMETRY, pid,
        SpirometryIn(assessed_on=seen, assessed_by="Nina Okafor", fvc_l=3.1, svc_l=3.0,
                     height_cm=165),
    )  # fmt: skip
    records.add(
        db, alice, BODY_MEASUREMENT, pid,
        BodyMeasurementIn(assessed_on=seen, assessed_by="Nina Okafor", weight_kg=64),
    )  # fmt: skip
    records.add(
        db, alice, DRUG_COURSE, pid, DrugCourseIn(drug="riluzole", start_date=date(2026, 6, 1))
    )
    consented(pid, _screening.CONSENTED_ON)
    records.add(db, alice, PRETREATMENT_EVALUATION, pid, _screening.evaluation())
    return pid


def dosed(clinic: Any, pid: int, number: int, source: str, route: str, per_kg: float) -> None:
    """Screened, planned and approved, then one released lot given, as the demo does."""
    db = clinic.db
    screening = screen_patient(db, clinic["alice"], pid, ScreeningIn(as_of=_screening.AS_OF))
    for criterion in screening.open_reviews:
        review = ReviewIn(
            criterion_id=criterion, decision="accept", reason="Reviewed for tests", password=SECRET
        )
        screening = review_criterion(db, clinic["chen"], screening.id, review)
    drafted = plan_service.create_plan(
        db, clinic["alice"], pid,
        plan_service.PlanIn(
            screening_id=screening.id, cell_source=source, route=route, dose_basis="per_kg",
            cells_per_kg=per_kg, administrations=1,
        ),
    )  # fmt: skip
    approval = plan_service.ApprovalIn(
        number=drafted.current_version, version=drafted.version, password=SECRET
    )
    plan = plan_service.approve_plan(db, clinic["chen"], drafted.id, approval)
    ben, nina, chen = clinic["ben"], clinic["nina"], clinic["chen"]
    donor = donors.register_donor(
        db, ben, donors.DonorIn(code=f"UC-{number + 1:04}", recovered_on=date(2026, 10, 1))
    )
    for test in donors.REQUIRED_TESTS:
        data = donors.DonorTestIn(test=test, result="nonreactive", specimen_days_from_recovery=0)
        donor = donors.record_donor_test(db, ben, donor.id, data)
    donors.determine_eligibility(
        db,
        clinic["quinn"],
        donor.id,
        donors.DeterminationIn(version=donor.version, password=SECRET),
    )
    lot = products.register_lot(
        db, ben,
        products.LotIn(
            donor_id=donor.id, cell_source=source, vials=20, viable_cells_per_vial=5e7,
            expires_at=NOW + timedelta(days=365), storage_location="LN2 tank 3, rack B",
        ),
    )  # fmt: skip
    din = lot.din

    def step(actor: Any, name: str, **fields: Any) -> None:
        version = products.get_product(db, actor, din).product.version
        take_step(db, actor, din, StepIn(step=name, version=version, **step_fields(name, fields)))

    step(ben, "manufacture")
    step(ben, "start_qc")
    for test, value in PASSING.items():
        enter_result(db, ben, din, ResultIn(test=test, value=value))
    step(clinic["quinn"], "release")
    step(ben, "place_in_inventory")
    step(ben, "allocate", patient_id=pid)
    step(ben, "ship_to_clinic", to_location="Northgate pharmacy", temperature_c=-150)
    step(nina, "receive_at_clinic", condition="seal intact")
    step(nina, "thaw", temperature_c=37)
    study = products.get_product(db, nina, din).product.patient_study_id or ""
    for person in (nina, chen):
        checked = bedside.check_at_bedside(
            db, person,
            bedside.BedsideCheckIn(
                patient=study, patient_entry="scanned", din=f"={din}{flag(din)}",
                din_entry="scanned", dose_volume_ml=10.0,
            ),
        )  # fmt: skip
    administrations.administer(
        db, nina, din,
        administrations.AdministrationIn(
            version=checked.product_version, route=plan.versions[-1].route,
            cells_administered=plan.versions[-1].dose_cells or 6.4e7, volume_ml=10.0,
            password=SECRET,
        ),
    )  # fmt: skip
