"""A plan's dose and endotoxin limit come from the latest weight when each version is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from alstrack.domain.plans import routes
from alstrack.errors import InvalidInput, StepRefused
from alstrack.services import records
from alstrack.services.assessments import BODY_MEASUREMENT, BodyMeasurementIn
from alstrack.services.records import Void

Step = Callable[..., Any]
PER_KG_LOW, PER_KG_HIGH = routes().plausibility.cells_per_kg
FIXED_LOW, FIXED_HIGH = routes().plausibility.fixed_cells


def weigh(clinic: Any, maria: Any, kg: float, on: date) -> int:
    data = BodyMeasurementIn(assessed_on=on, assessed_by="Nina Okafor", weight_kg=kg)
    return int(records.add(clinic.db, clinic["nina"], BODY_MEASUREMENT, maria.patient_id, data).id)


def void_weights(clinic: Any, maria: Any) -> None:
    for row in records.list_for_patient(
        clinic.db, clinic["nina"], BODY_MEASUREMENT, maria.patient_id
    ):
        data = Void(version=row.version, reason="Scale not calibrated")
        records.void(clinic.db, clinic["nina"], BODY_MEASUREMENT, row.id, data)


def test_a_per_kg_dose_is_computed_from_the_latest_weight(
    clinic: Any, maria: Any, draft: Step
) -> None:
    [weight] = records.list_for_patient(
        clinic.db, clinic["nina"], BODY_MEASUREMENT, maria.patient_id
    )
    [first] = draft().versions
    assert (first.weight_kg, first.weight_measured_on) == (64, date(2026, 10, 29))
    assert first.weight_measurement_id == weight.id
    assert (first.dose_basis, first.cells_per_kg, first.fixed_cells) == ("per_kg", 1e6, None)
    assert first.dose_cells == 64_000_000
    assert first.total_cells == 192_000_000
    assert first.dose_formula.startswith("1,000,000 cells/kg × 64 kg = 64,000,000 cells")


def test_a_later_weight_changes_the_next_versions_dose_not_the_old_one(
    clinic: Any, maria: Any, draft: Step, revise: Step, clock: Any
) -> None:
    plan = draft()
    clock.move_to(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    weigh(clinic, maria, 61.5, date(2026, 11, 20))
    revised = revise(plan)
    old, new = revised.versions
    assert (old.weight_kg, old.dose_cells, old.endotoxin_limit_eu) == (64, 64_000_000, 12.8)
    assert (new.weight_kg, new.weight_measured_on) == (61.5, date(2026, 11, 20))
    assert (new.dose_cells, new.endotoxin_limit_eu) == (61_500_000, 12.3)


def test_a_fixed_dose_ignores_the_weight_but_the_endotoxin_limit_uses_it(
    draft: Step,
) -> None:
    [first] = draft(dose_basis="fixed", cells_per_kg=None, fixed_cells=1e8).versions
    assert (first.dose_basis, first.cells_per_kg, first.fixed_cells) == ("fixed", None, 100_000_000)
    assert (first.dose_cells, first.total_cells) == (100_000_000, 300_000_000)
    assert first.dose_formula == "fixed: 100,000,000 cells"
    assert (first.weight_kg, first.endotoxin_limit_eu) == (64, 12.8)


@pytest.mark.parametrize(
    ("route", "k", "limit"),
    [("intrathecal", 0.2, 12.8), ("intravenous", 5, 320), ("intramuscular", 5, 320)],
)
def test_the_endotoxin_limit_is_k_times_marias_64_kg(
    draft: Step, route: str, k: float, limit: float
) -> None:
    [first] = draft(route=route).versions
    assert (first.endotoxin_k_eu_per_kg, first.endotoxin_limit_eu) == (k, limit)
    assert first.endotoxin_formula.endswith(f"EU/kg × 64 kg = {limit:g} EU")
    assert first.endotoxin_source.startswith("USP <85>")


@pytest.mark.parametrize(
    ("changes", "dose"),
    [
        ({"cells_per_kg": PER_KG_LOW}, 640_000),
        ({"cells_per_kg": PER_KG_HIGH}, 6_400_000_000),
        ({"dose_basis": "fixed", "cells_per_kg": None, "fixed_cells": FIXED_LOW}, 1_000_000),
        ({"dose_basis": "fixed", "cells_per_kg": None, "fixed_cells": FIXED_HIGH}, 10**10),
    ],
)
def test_a_dose_at_either_plausibility_limit_is_accepted(
    draft: Step, changes: dict[str, Any], dose: int
) -> None:
    assert draft(**changes).versions[0].dose_cells == dose


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cells_per_kg": PER_KG_LOW * 0.999}, "cells_per_kg"),
        ({"cells_per_kg": PER_KG_HIGH * 1.001}, "cells_per_kg"),
        (
            {"dose_basis": "fixed", "cells_per_kg": None, "fixed_cells": FIXED_LOW - 1},
            "fixed_cells",
        ),
        (
            {"dose_basis": "fixed", "cells_per_kg": None, "fixed_cells": FIXED_HIGH + 1},
            "fixed_cells",
        ),
        ({"dose_basis": "fixed", "fixed_cells": 1e8}, "cells_per_kg"),
        ({"administrations": 21}, "administrations"),
        ({"administrations": 1}, "interval_days"),
    ],
)
def test_a_dose_or_schedule_beyond_the_limits_is_refused_naming_the_field(
    draft: Step, stored: Callable[[], dict[str, int]], changes: dict[str, Any], field: str
) -> None:
    draft()  # Maria's screening and review are stored first
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        draft(**changes)
    assert [error.field for error in caught.value.fields] == [field]
    assert stored() == before


def test_a_per_kg_plan_without_a_weight_is_drafted_but_not_approved(
    clinic: Any, maria: Any, eligible: int, draft: Step, approve: Step
) -> None:
    void_weights(clinic, maria)
    plan = draft()
    [first] = plan.versions
    assert (first.weight_kg, first.weight_measured_on, first.weight_measurement_id) == (
        None,
        None,
        None,
    )
    assert (first.dose_cells, first.total_cells, first.endotoxin_limit_eu) == (None, None, None)
    assert first.endotoxin_k_eu_per_kg == 0.2
    assert set(first.missing) == {"dose_cells", "total_cells", "endotoxin_limit_eu"}
    assert "needs the patient's weight" in first.missing["dose_cells"]
    assert first.dose_formula == "1,000,000 cells/kg × weight (not recorded)"
    with pytest.raises(StepRefused, match="cannot be approved: a per-kg dose needs"):
        approve(plan)


def test_a_fixed_dose_without_a_weight_has_no_endotoxin_limit_and_is_not_approved(
    clinic: Any, maria: Any, draft: Step, approve: Step
) -> None:
    void_weights(clinic, maria)
    plan = draft(dose_basis="fixed", cells_per_kg=None, fixed_cells=1e8)
    [first] = plan.versions
    assert (first.dose_cells, first.endotoxin_limit_eu) == (100_000_000, None)
    assert set(first.missing) == {"endotoxin_limit_eu"}
    with pytest.raises(StepRefused, match="endotoxin limit needs the patient's weight"):
        approve(plan)


def test_a_weight_recorded_after_the_version_must_be_used_before_approval(
    clinic: Any, maria: Any, draft: Step, revise: Step, approve: Step, clock: Any
) -> None:
    plan = draft()
    clock.move_to(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    weigh(clinic, maria, 60, date(2026, 11, 24))
    with pytest.raises(StepRefused, match=r"64 kg of 2026-10-29; the latest weight is 60 kg"):
        approve(plan)
    approved = approve(revise(plan, reason="Weight fell to 60 kg"))
    assert approved.versions[-1].dose_cells == 60_000_000


def test_a_weight_dated_after_today_is_not_the_latest(
    clinic: Any, maria: Any, eligible: int, draft: Step, clock: Any
) -> None:
    clock.move_to(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    weigh(clinic, maria, 60, date(2026, 11, 24))
    clock.move_to(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # the weight is dated tomorrow
    assert draft().versions[0].weight_kg == 64
