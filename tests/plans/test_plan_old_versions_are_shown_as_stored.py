"""An old version reads as it was written, even when today's catalogues no longer hold its ids.

The tests rewrite a stored version as an older catalogue would have allowed it: an id that is
gone, another K, a dose beyond today's plausibility limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from alstrack.errors import StepRefused
from alstrack.services.plans import get_plan, list_plans
from alstrack.store.models import TreatmentPlanVersion

Step = Callable[..., Any]


def rewrite(clinic: Any, plan_id: int, **values: Any) -> None:
    with clinic.db.transaction() as session:
        session.execute(
            update(TreatmentPlanVersion)
            .where(TreatmentPlanVersion.plan_id == plan_id)
            .values(**values)
        )


OLD = {
    "cell_source": "autologous_liver_msc",
    "route": "intranasal",
    "adjunct_therapies": [{"therapy": "yoga", "detail": None}],
    "cells_per_kg": 1e9,
    "dose_cells": 6.4e10,
    "endotoxin_k_eu_per_kg": 0.3,
    "endotoxin_limit_eu": 19.2,
}


def test_unknown_ids_show_with_a_null_label_and_numbers_as_stored(
    clinic: Any, maria: Any, draft: Step
) -> None:
    plan = draft()
    rewrite(clinic, plan.id, **OLD)
    [version] = get_plan(clinic.db, clinic["ben"], plan.id).versions
    assert version.cell_source.model_dump() == {
        "id": "autologous_liver_msc",
        "label": None,
        "origin": None,
        "tissue": None,
    }
    assert [(a.therapy, a.label) for a in version.adjunct_therapies] == [("yoga", None)]
    assert version.route == "intranasal"
    assert (version.cells_per_kg, version.dose_cells, version.total_cells) == (
        1e9,
        64_000_000_000,
        192_000_000_000,
    )
    assert version.dose_formula.startswith("1,000,000,000 cells/kg × 64 kg = 64,000,000,000")
    assert (version.endotoxin_k_eu_per_kg, version.endotoxin_limit_eu) == (0.3, 19.2)
    assert version.endotoxin_formula == (
        "K × body weight, K = 0.3 EU/kg (intranasal): 0.3 EU/kg × 64 kg = 19.2 EU"
    )
    assert version.endotoxin_source is None
    assert version.missing == {}
    assert list_plans(clinic.db, clinic["ben"], maria.patient_id)[0].versions == [version]


def test_a_k_that_changed_since_shows_as_stored_without_todays_source(
    clinic: Any, draft: Step
) -> None:
    plan = draft()
    rewrite(clinic, plan.id, endotoxin_k_eu_per_kg=0.3, endotoxin_limit_eu=19.2)
    [version] = get_plan(clinic.db, clinic["ben"], plan.id).versions
    assert (version.endotoxin_k_eu_per_kg, version.endotoxin_limit_eu) == (0.3, 19.2)
    assert version.endotoxin_source is None
    assert version.endotoxin_formula.endswith("0.3 EU/kg × 64 kg = 19.2 EU")


def test_a_version_that_todays_catalogues_no_longer_allow_is_not_approved(
    clinic: Any, draft: Step, approve: Step, stored: Callable[[], dict[str, int]]
) -> None:
    plan = draft()
    rewrite(clinic, plan.id, **OLD)
    before = stored()
    with pytest.raises(StepRefused) as refused:
        approve(plan)
    message = refused.value.message
    assert message.startswith(
        f"Plan version number 1 of treatment plan {plan.id} no longer fits today's catalogues: "
        "cell source 'autologous_liver_msc' is no longer in the catalogue; route 'intranasal' "
        "is no longer in the catalogue; adjunct therapy yoga is no longer in the catalogue; "
        "cells_per_kg must be between"
    )
    assert message.endswith("Revise the plan.")
    assert stored() == before


def test_a_changed_k_stops_the_approval(clinic: Any, draft: Step, approve: Step) -> None:
    plan = draft()
    rewrite(clinic, plan.id, endotoxin_k_eu_per_kg=0.3, endotoxin_limit_eu=19.2)
    with pytest.raises(StepRefused, match=r"K for intrathecal is now 0\.2 EU/kg, not the 0\.3"):
        approve(plan)
