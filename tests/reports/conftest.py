"""Fixtures of the report tests: Maria dosed and followed, with adverse events after her dose.

The product tests' fixtures (a released lot, Maria's approved plan, the bedside checks, the
clock) are taken from tests/products/conftest.py rather than copied: pytest shows a conftest's
fixtures only to its own folder, so that file is loaded here under a name of its own.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from alstrack.services import records
from alstrack.services.administrations import AdministrationIn, AdministrationOut, administer
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventIn
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from signing_cast import SECRET

_PRODUCT_TESTS = Path(__file__).resolve().parent.parent / "products"
if str(_PRODUCT_TESTS) not in sys.path:
    sys.path.insert(0, str(_PRODUCT_TESTS))


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_products = _load(_PRODUCT_TESTS / "conftest.py", "product_test_fixtures")
clock = _products.clock
facility = _products.facility
qa = _products.qa
donor = _products.donor
lot = _products.lot
step = _products.step
results = _products.results
in_qc = _products.in_qc
approved = _products.approved
thawed = _products.thawed
confirm = _products.confirm
maria = _products.maria

from product_cast import NOW  # noqa: E402  (tests/products, put on sys.path above)

# Headache after the lumbar puncture (linked to the dose), then meningitis needing hospital
# (not linked), and a fall before the dose: as in tests/products/test_safety_report.py.
HEADACHE: dict[str, Any] = {
    "term": "Post-lumbar puncture headache",
    "onset_date": date(2026, 11, 2),
    "aware_on": date(2026, 11, 2),
    "grade": 2,
    "serious_criteria": [],
    "related_to_procedure": "probable",
    "related_to_product": "unlikely",
    "expectedness": "expected",
    "action_taken": "medication_given",
    "outcome": "recovering",
}
MENINGITIS = HEADACHE | {
    "term": "Aseptic meningitis",
    "onset_date": date(2026, 11, 4),
    "aware_on": date(2026, 11, 4),
    "grade": 3,
    "serious_criteria": ["hospitalisation"],
    "related_to_product": "possible",
    "expectedness": "unexpected",
    "action_taken": "hospitalised",
}
FALL = HEADACHE | {
    "term": "Fall",
    "onset_date": date(2026, 10, 30),
    "aware_on": date(2026, 10, 30),
    "related_to_procedure": "not_related",
}
FOLLOWED_UNTIL = datetime(2027, 5, 10, 12, tzinfo=UTC)


@pytest.fixture
def dosed(clinic: Any, maria: Any, approved: Any, thawed: Any, confirm: Any, clock: Any) -> Any:
    """Maria's first dose, intrathecal, on 1 Nov 2026 (the clock stands at that moment)."""
    approved()
    product = thawed()
    confirm(product.din, "nina")
    checked = confirm(product.din, "chen")
    return administer(
        clinic.db, clinic["nina"], product.din,
        AdministrationIn(version=checked.product_version, route="intrathecal",
                         cells_administered=6.1e7, volume_ml=10.0, password=SECRET),
    )  # fmt: skip


@pytest.fixture
def followed(clinic: Any, maria: Any, alsfrs: Any, dosed: AdministrationOut, clock: Any) -> Any:
    """Maria: ALSFRS-R 44, 41, 40 before her dose on 1 Nov 2026; 38 at month 3 and 36 at
    month 6; the clock stands at 10 May 2027 (the data cut-off)."""
    records.add(
        clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, maria.patient_id,
        alsfrs(date(2026, 9, 1), q1=4, q2=4, q3=4, q4=4, q6=4),
    )  # fmt: skip
    clock.move_to(FOLLOWED_UNTIL, tick=False)
    for day, items in ((date(2027, 2, 1), {"q1": 4, "q2": 4}), (date(2027, 5, 3), {})):
        records.add(
            clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, maria.patient_id,
            alsfrs(day, **items),
        )  # fmt: skip
    return maria


@pytest.fixture
def with_events(clinic: Any, maria: Any, dosed: AdministrationOut, clock: Any) -> Any:
    """A fall before Maria's dose, a headache linked to it and meningitis after it; the clock
    stands ten days after the dose."""
    clock.move_to(NOW + timedelta(days=10), tick=False)
    for data in (FALL, HEADACHE | {"administration_id": dosed.id}, MENINGITIS):
        records.add(
            clinic.db, clinic["nina"], ADVERSE_EVENT, maria.patient_id, AdverseEventIn(**data)
        )
    return maria
