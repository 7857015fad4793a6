"""Pat at Northgate, registered through the services, and a count of everything stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from alstrack.services import patients
from alstrack.services.patients import HistoryIn, IdentityIn, PatientIn, PatientOut
from alstrack.store.models import Base


@pytest.fixture
def pat(clinic: Any) -> PatientOut:
    """Pat Kowalski, registered at NORTH by Alice: male, born 1958, bulbar onset in January 2023."""
    return patients.register_patient(
        clinic.db,
        clinic["alice"],
        PatientIn(
            site_id=clinic.sites["NORTH"],
            sex="male",
            identity=IdentityIn(
                given_name="Pat",
                family_name="Kowalski",
                date_of_birth=date(1958, 4, 2),
                record_number="MRN-4471",
            ),
            history=HistoryIn(
                onset_date=date(2023, 1, 16),
                onset_region="bulbar",
                diagnosis_date=date(2023, 9, 4),
                diagnostic_criteria="revised_el_escorial",
                diagnostic_category="probable",
            ),
        ),
    )


@pytest.fixture
def stored(clinic: Any) -> Callable[[], dict[str, int]]:
    """Rows in every table, audit log included."""

    def count() -> dict[str, int]:
        with clinic.db.read() as session:
            return {
                t.name: session.scalar(select(func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables
            }

    return count


ITEMS = {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}


@pytest.fixture
def alsfrs_body() -> Callable[..., dict[str, Any]]:
    """The JSON of an ALSFRS-R scored 3 on every item; items given as keywords override."""

    def body(assessed_on: str = "2024-03-05", **items: Any) -> dict[str, Any]:
        responses = {k: v for k, v in (ITEMS | items).items() if v is not None}
        return {
            "instrument": "alsfrs_r",
            "assessed_on": assessed_on,
            "assessed_by": "Dr Wei Chen",
            "responses": responses,
        }

    return body
