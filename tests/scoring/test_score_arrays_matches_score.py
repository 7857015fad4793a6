"""The array API and the scalar API give the same answer for every row (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrack.domain.alsfrs import ITEMS, AlsfrsScore, score, score_arrays

values = st.one_of(st.none(), st.sampled_from([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]))


@st.composite
def visits(draw: st.DrawFn) -> tuple[dict[str, float | None], bool]:
    items = {item: draw(values) for item in ITEMS if item not in ("q5a", "q5b")}
    five = draw(st.sampled_from(["q5a", "q5b", None]))
    items["q5a"] = draw(values) if five == "q5a" else None
    items["q5b"] = draw(values) if five == "q5b" else None
    return items, draw(st.booleans())


def as_float(value: float | bool | None) -> float:
    return math.nan if value is None else float(value)


@settings(max_examples=60, deadline=None)
@given(st.lists(visits(), min_size=1, max_size=40))
def test_score_arrays_equals_score_row_by_row(
    rows: list[tuple[dict[str, float | None], bool]],
) -> None:
    arrays = {item: np.array([as_float(r[0][item]) for r in rows]) for item in ITEMS}
    batch = score_arrays(arrays, dead=np.array([r[1] for r in rows]))
    for index, (items, dead) in enumerate(rows):
        single: AlsfrsScore = score(items, dead=dead, allow_half_points=True)
        for name, array in batch.items():
            expected = as_float(getattr(single, name))
            got = float(array[index])
            assert (math.isnan(got) and math.isnan(expected)) or got == expected, (name, items)
