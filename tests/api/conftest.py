"""JSON bodies for API tests (Pat and the stored-row count come from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
