"""Identifiers beyond what the database holds are invalid input, not server errors."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [f"/patients/{HUGE}", f"/patients/{HUGE}/timeline", f"/assessments/{HUGE}",
     f"/sites/{HUGE}", f"/patients?offset={HUGE}", "/patients/0"],
)  # fmt: skip
def test_it_answers_422_for_an_identifier_out_of_range(api, path) -> None:
    answer = api("alice").get(path)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_input"
