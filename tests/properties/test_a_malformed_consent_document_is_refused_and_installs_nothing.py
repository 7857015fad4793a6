"""A consent document damaged in any way, sent to `POST /consent-documents`, is installed, or
refused with 409 or 422 in the error shape naming what is wrong, and then nothing is stored.

The document starts as the default template (installed as an admin would: its text, version,
title and effective dates); damage: fields dropped or of the wrong type, unknown fields, dates
like 2023-02-30 or an end before the start, NUL characters, texts past their limits.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import event, given, note
from properties_cast import PROPERTIES, Damaged, damaged

from alstrack.services.consent_documents import template_in

TEMPLATE: dict[str, Any] = template_in(date(2024, 1, 1)).model_dump(mode="json") | {
    "effective_to": "2026-12-31"
}
_versions = itertools.count(1)


@PROPERTIES
@given(damaged=damaged(TEMPLATE, changes=2))
def test_a_damaged_document_is_installed_or_refused_and_stores_nothing(
    api: Callable[[str | None], TestClient],
    stored: Callable[[], dict[str, int]],
    damaged: Damaged[Any],
) -> None:
    body = damaged.value
    if body.get("document_version") == TEMPLATE["document_version"]:
        body["document_version"] = f"property-{next(_versions)}"  # else a clash, every time
    before = stored()
    # Sent as a client may: NaN and unpaired surrogates spelt as JSON text allows, dates as text.
    content = json.dumps(body, default=str)
    answer = api("adam").post(
        "/consent-documents", content=content, headers={"Content-Type": "application/json"}
    )
    after = stored()
    note(answer.text[:2000])
    event(str(answer.status_code))
    if answer.status_code == 201:
        grown = {table: after[table] - before[table] for table in after}
        assert {t: n for t, n in grown.items() if n} == {"consent_documents": 1, "audit_log": 1}
        return
    assert answer.status_code in (409, 422)
    error = answer.json()["error"]
    assert error["message"]
    assert answer.status_code == 409 or error["fields"]
    assert all(f["field"] and f["message"] for f in error["fields"])
    assert after == before
