"""QC results are checked against the specification, corrected by superseding, and judged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from alstrack.errors import InvalidInput, PermissionDenied, StepRefused
from alstrack.services.product_results import (
    CorrectionIn,
    ResultIn,
    correct_result,
    enter_result,
    get_judgements,
)

Stored = Callable[[], dict[str, int]]


def test_judgements_show_pass_fail_and_missing_with_the_limit_and_the_blockers(
    clinic: Any, lot: Any
) -> None:
    product = lot()
    enter_result(clinic.db, clinic["ben"], product.din, ResultIn(test="viability_pct", value=65))
    judged = get_judgements(clinic.db, clinic["olga"], product.din)
    by_test = {j.test: j for j in judged.judgements}
    assert (by_test["viability_pct"].outcome, by_test["viability_pct"].limit) == ("fail", "≥ 70%")
    assert by_test["mycoplasma"].outcome == "missing"
    assert "total_viable_cells" not in by_test  # judged per patient, not for the lot
    assert "Viability fail: 65% does not meet ≥ 70%" in judged.blockers


def test_a_result_that_is_not_a_test_or_not_a_possible_value_names_the_field(
    clinic: Any, lot: Any, stored: Stored
) -> None:
    product = lot()
    before = stored()
    for data, field in (
        (ResultIn(test="cd200_pct", value=50), "test"),
        (ResultIn(test="viability_pct", value=140), "value"),
        (ResultIn(test="mycoplasma", value="maybe"), "value"),
        (ResultIn(test="endotoxin_eu_per_ml", value="0.1"), "value"),
    ):
        with pytest.raises(InvalidInput) as caught:
            enter_result(clinic.db, clinic["ben"], product.din, data)
        assert caught.value.fields[0].field == field
        assert caught.value.fields[0].field == "test" or data.test in caught.value.message
    with pytest.raises(ValidationError):  # JSON true is not the number 1
        ResultIn.model_validate({"test": "endotoxin_eu_per_ml", "value": True})
    with pytest.raises(PermissionDenied):
        enter_result(
            clinic.db, clinic["alice"], product.din, ResultIn(test="karyotype", value="normal")
        )
    assert stored() == before


def test_a_correction_supersedes_the_result_with_a_reason(
    clinic: Any, lot: Any, stored: Stored
) -> None:
    product = lot()
    first = enter_result(
        clinic.db, clinic["ben"], product.din, ResultIn(test="viability_pct", value=65)
    )
    before = stored()
    with pytest.raises(StepRefused, match="correct it with a reason"):
        enter_result(
            clinic.db, clinic["ben"], product.din, ResultIn(test="viability_pct", value=90)
        )
    with pytest.raises(InvalidInput) as caught:
        correct_result(
            clinic.db, clinic["ben"], product.din, first.id, CorrectionIn(value=90, reason="")
        )
    assert caught.value.fields[0].field == "reason"
    assert stored() == before
    fixed = correct_result(
        clinic.db,
        clinic["ben"],
        product.din,
        first.id,
        CorrectionIn(value=91.5, reason="Counted the wrong chamber"),
    )
    judged = get_judgements(clinic.db, clinic["ben"], product.din)
    assert [(r.id, r.status) for r in judged.results] == [
        (first.id, "superseded"),
        (fixed.id, "current"),
    ]
    assert {j.test: j.outcome for j in judged.judgements}["viability_pct"] == "pass"


def test_results_are_refused_once_the_product_is_released(
    clinic: Any, in_qc: Any, step: Any, stored: Stored
) -> None:
    product = in_qc()
    step(product.din, "release", by="quinn")
    before = stored()
    with pytest.raises(StepRefused, match="results are entered before release"):
        enter_result(clinic.db, clinic["ben"], product.din, ResultIn(test="cd73_pct", value=99))
    assert stored() == before
