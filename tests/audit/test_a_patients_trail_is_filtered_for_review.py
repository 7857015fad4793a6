"""A reviewer narrows a patient's audit trail by who, what action, which kind of record and
which UTC days (AT-9): through the service, the API and the command line alike."""

from __future__ import annotations

from datetime import date

import pytest

from alstrack.services import audit_trail
from alstrack.services.audit_trail import AuditFilter


def _seen(clinic, pat, **filters) -> list[tuple[str, str, str]]:
    chosen = AuditFilter.model_validate(filters)
    found = audit_trail.for_patient(clinic.db, clinic["aude"], pat.id, chosen)
    return [(e.username, e.action, e.entity) for e in found]


def test_without_filters_the_whole_trail_shows_in_the_order_written(clinic, reviewed) -> None:
    assert _seen(clinic, reviewed) == [
        ("alice", "create", "patient"),
        ("alice", "create", "patient_identity"),
        ("chen", "create", "instrument_assessment"),
        ("alice", "update", "patient_identity"),
    ]


FILTERS = {
    "by user": ({"user": "chen"}, [("chen", "create", "instrument_assessment")]),
    "by action": ({"action": "update"}, [("alice", "update", "patient_identity")]),
    "by entity": (
        {"entity": "patient_identity"},
        [("alice", "create", "patient_identity"), ("alice", "update", "patient_identity")],
    ),
    "from a day on": (
        {"from": date(2024, 3, 2)},
        [("chen", "create", "instrument_assessment"), ("alice", "update", "patient_identity")],
    ),
    "up to a day, all of it": (
        {"to": "2024-03-02"},
        [
            ("alice", "create", "patient"),
            ("alice", "create", "patient_identity"),
            ("chen", "create", "instrument_assessment"),
        ],
    ),
    "one day": (
        {"from": "2024-03-02", "to": "2024-03-02"},
        [("chen", "create", "instrument_assessment")],
    ),
    "everything at once": (
        {"user": "alice", "action": "create", "entity": "patient", "to": "2024-03-01"},
        [("alice", "create", "patient")],
    ),
    "nobody matching": ({"user": "nina"}, []),
}


@pytest.mark.parametrize("case", FILTERS)
def test_the_trail_is_filtered(clinic, reviewed, case) -> None:
    filters, expected = FILTERS[case]
    assert _seen(clinic, reviewed, **filters) == expected


def test_the_api_applies_the_same_filters(api, reviewed) -> None:
    response = api("aude").get(
        f"/patients/{reviewed.id}/audit", params={"user": "alice", "from": "2024-03-03"}
    )
    assert response.status_code == 200, response.text
    assert [(e["action"], e["entity"]) for e in response.json()] == [("update", "patient_identity")]
    assert response.headers["Cache-Control"] == "no-store"


BAD = {
    "a day that does not exist": ({"from": "2024-02-30"}, "from"),
    "not a day at all": ({"to": "last week"}, "to"),
    "a time where a day goes": ({"from": "2024-03-01T10:00:00"}, "from"),
    "an end before the start": ({"from": "2024-03-03", "to": "2024-03-01"}, "to"),
    "an empty action": ({"action": ""}, "action"),
    "an entity name too long": ({"entity": "x" * 41}, "entity"),
    "a filter that does not exist": ({"username": "chen"}, "username"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_filter_is_refused_naming_the_field(api, reviewed, case) -> None:
    params, field = BAD[case]
    for path in ("audit", "audit.csv"):
        response = api("aude").get(f"/patients/{reviewed.id}/{path}", params=params)
        assert response.status_code == 422, response.text
        body = response.json()["error"]
        assert body["code"] == "invalid_input"
        assert [f["field"] for f in body["fields"]] == [field]
