"""A database constraint that catches a racing change answers 409 in the error shape, not 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from alstrack.api.app import create_app
from alstrack.config import Settings


def test_an_integrity_error_answers_409_conflict(clinic) -> None:
    app = create_app(Settings(), db=clinic.db)

    def racing() -> None:
        raise IntegrityError("INSERT …", {}, Exception("UNIQUE constraint failed"))

    app.add_api_route("/race-for-test", racing)
    answer = TestClient(app).get("/race-for-test")
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "conflict"
