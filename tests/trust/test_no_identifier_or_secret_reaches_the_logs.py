"""No patient identifier, password or token reaches the logs (api/logfilter.py).

The server is real (uvicorn, in a thread of the test or `alstrack serve` in a subprocess), and
every log record is captured: the root logger and uvicorn's at DEBUG, SQLAlchemy's SQL logging
on, as someone chasing a problem would set them. Only the test's own HTTP client (httpx2,
httpcore2) is left out: its log is the client's, not the server's. A day's work runs through the
API: an admin makes a user, who logs in with a one-time password, chooses their own, makes a
token and registers a patient with name, date of birth and record number; the identity is read,
corrected and its audit trail exported; a client puts identifiers and its token in URLs (no
route reads them there); a wrong password five times locks an account (the alert names the
user); an admin resets a password; the session ends. Then no captured line holds any of it.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import event
from trust_cast import bearer

from alstrack.api.app import create_app
from alstrack.config import Settings
from alstrack.services.patients import IdentityOut
from alstrack.store.db import Database
from signing_cast import one_time_code

_RELIABILITY_TESTS = str(Path(__file__).resolve().parent.parent / "reliability")
if _RELIABILITY_TESTS not in sys.path:
    sys.path.insert(0, _RELIABILITY_TESTS)
served = import_module("served")

IDENTITY = {
    "given_name": "Marguerite",
    "family_name": "Oyelaran-Quist",
    "date_of_birth": "1961-07-23",
    "record_number": "MRN-55731-Q",
}
CORRECTED = IDENTITY | {"family_name": "Oyelaran-Brightwater", "record_number": "MRN-55731-R"}
# What must never be written, however it is spelled: a date as ISO text or as Python writes it.
IDENTIFIERS = [
    "Marguerite",
    "Oyelaran",
    "Quist",
    "Brightwater",
    "MRN-55731",
    "1961-07-23",
    "1961, 7, 23",
    "23/07/1961",
]
DANAS_PASSWORD = "plum orchard under winter light"
WRONG_PASSWORDS = [f"wrong horse battery staple {n}" for n in range(5)]
CLIENT_LOGGERS = ("httpx2", "httpcore2")


class Captured(logging.Handler):
    """Every record that reaches it, formatted with its traceback, as an operator would read it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def everything_logged() -> Iterator[Captured]:
    """The root logger, uvicorn's (which do not propagate) and SQLAlchemy's at DEBUG, into one
    handler; put back as they were afterwards."""
    handler = Captured()
    verbose = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy"]
    levels = {name: logging.getLogger(name).level for name in verbose}
    for name in verbose:
        logging.getLogger(name).setLevel(logging.DEBUG)
    attached = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.access")]
    for logger in attached:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in attached:
            logger.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _leaks(text: str, secrets: list[str]) -> list[str]:
    lowered = text.lower()
    return [secret for secret in secrets if secret.lower() in lowered]


def _lines_with(captured: Captured, *parts: str) -> list[str]:
    return [line for line in captured.lines if all(part in line for part in parts)]


def _wait_for(captured: Captured, text: str) -> None:
    """uvicorn logs a request's exception once the 500 has gone out: wait for it."""
    deadline = time.monotonic() + 10
    while not _lines_with(captured, text) and time.monotonic() < deadline:
        time.sleep(0.05)


def a_days_work(http: httpx2.Client, clinic: Any) -> list[str]:
    """The sequence of the module's docstring; returns every secret it saw or sent."""
    adam = bearer(clinic.tokens["adam"])
    secrets = [clinic.tokens["adam"], DANAS_PASSWORD, *WRONG_PASSWORDS]

    def ok(response: httpx2.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    dana = {"username": "dana", "display_name": "Dana Whitlock", "role": "coordinator"}
    ok(http.post("/users", json=dana | {"site_codes": ["NORTH"]}, headers=adam), 201)
    reset = ok(http.post("/users/dana/password-reset", json={"reason": "new"}, headers=adam))
    one_time = reset["one_time_password"]
    first = ok(http.post("/auth/login", json={"username": "dana", "password": one_time}))
    change = {"current_password": one_time, "new_password": DANAS_PASSWORD}
    ok(http.post("/auth/password", json=change, headers=bearer(first["token"])), 204)
    login = {"username": "dana", "password": DANAS_PASSWORD}
    session = ok(http.post("/auth/login", json=login))["token"]
    made = http.post("/users/dana/tokens", json={"label": "scripts"}, headers=bearer(session))
    token = ok(made, 201)["token"]
    secrets += [one_time, first["token"], session, token]
    dana_auth = bearer(token)

    patient = {"site_id": clinic.sites["NORTH"], "sex": "female", "identity": IDENTITY}
    pid = ok(http.post("/patients", json=patient, headers=dana_auth), 201)["id"]
    identity = ok(http.get(f"/patients/{pid}/identity", headers=dana_auth))
    assert identity["family_name"] == IDENTITY["family_name"]
    correction = CORRECTED | {"version": identity["version"], "reason": "married name"}
    ok(http.put(f"/patients/{pid}/identity", json=correction, headers=dana_auth))
    ok(http.get(f"/patients/{pid}/audit", headers=dana_auth))
    assert "Oyelaran" in http.get(f"/patients/{pid}/audit.csv", headers=dana_auth).text
    # A client that searches by identifiers in the URL, and one that puts its token there.
    ok(http.get("/patients", params={k: str(v) for k, v in IDENTITY.items()}, headers=dana_auth))
    ok(http.get("/me", params={"access_token": token}, headers=dana_auth))
    ok(http.get(f"/patients/{pid}", params={"name": "Marguerite Oyelaran-Quist"}), 401)

    # With Chen's one-time code, so that each wrong password counts towards the lockout.
    code = one_time_code(clinic.db, "chen")
    secrets.append(code or "")
    for wrong in WRONG_PASSWORDS:
        attempt = {"username": "chen", "password": wrong, "totp_code": code}
        ok(http.post("/auth/login", json=attempt), 401)
    refused = http.post("/auth/login", json={"username": "dana", "password": DANAS_PASSWORD[:3]})
    assert refused.status_code in (401, 422)
    unlock = ok(http.post("/users/chen/password-reset", json={"reason": "locked"}, headers=adam))
    secrets.append(unlock["one_time_password"])
    ok(http.post("/auth/logout", headers=bearer(session)), 204)
    return secrets


def test_a_days_work_through_the_api_writes_no_identifier_or_secret_to_any_log(
    clinic: Any,
) -> None:
    app = create_app(Settings(), db=clinic.db)
    with (
        served.serving_in_thread(app) as url,
        everything_logged() as captured,
        httpx2.Client(base_url=url, timeout=30) as http,
    ):
        secrets = a_days_work(http, clinic)
    assert _leaks(captured.text(), secrets + IDENTIFIERS) == []
    # It was all logged, values aside: the requests, the SQL, and the alert naming the account.
    assert _lines_with(captured, "uvicorn.access", '"POST /patients HTTP/1.1" 201')
    assert _lines_with(captured, '"GET /patients?[query not logged] HTTP/1.1" 200')
    assert _lines_with(captured, '"GET /me?[query not logged] HTTP/1.1" 200')
    assert _lines_with(captured, "sqlalchemy.engine", "INSERT INTO patient_identities")
    assert _lines_with(captured, "sqlalchemy.engine", "[values not logged]")
    [alert] = _lines_with(captured, "alstrack.security", "ALERT")
    assert "WARNING ALERT account chen locked until" in alert


def test_a_database_error_is_logged_with_its_statement_but_not_the_patients_identifiers(
    clinic: Any,
) -> None:
    db: Database = clinic.db
    dbapi = db.engine.dialect.loaded_dbapi

    def locked(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO patient_identities"):
            raise dbapi.OperationalError("the database is locked")

    app = create_app(Settings(), db=db)
    patient = {"site_id": clinic.sites["NORTH"], "identity": IDENTITY}
    event.listen(db.engine, "before_cursor_execute", locked)
    try:
        with (
            served.serving_in_thread(app) as url,
            everything_logged() as captured,
            httpx2.Client(base_url=url, timeout=30) as http,
        ):
            failed = http.post("/patients", json=patient, headers=bearer(clinic.tokens["alice"]))
            _wait_for(captured, "Exception in ASGI")
    finally:
        event.remove(db.engine, "before_cursor_execute", locked)
    assert failed.status_code == 500
    [error] = _lines_with(captured, "uvicorn.error", "Exception in ASGI application")
    assert "the database is locked" in error
    assert "INSERT INTO patient_identities" in error
    assert "[SQL parameters hidden" in error
    assert _leaks(captured.text(), [clinic.tokens["alice"], *IDENTIFIERS]) == []


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_an_answer_that_fails_its_own_model_is_logged_without_the_values_it_held(
    clinic: Any,
) -> None:
    """A bug: a route answers an identity that its model refuses (a 500)."""
    app = create_app(Settings(), db=clinic.db)

    @app.get("/buggy-identity", response_model=IdentityOut)
    def buggy_identity() -> Any:
        return IDENTITY  # no patient_id, no version

    with (
        served.serving_in_thread(app) as url,
        everything_logged() as captured,
        httpx2.Client(base_url=url, timeout=30) as http,
    ):
        assert http.get("/buggy-identity").status_code == 500
        _wait_for(captured, "Exception in ASGI")
    [error] = _lines_with(captured, "uvicorn.error", "Exception in ASGI application")
    assert "Traceback (most recent call last)" in error
    assert error.endswith(
        "fastapi.exceptions.ResponseValidationError: 2 invalid: response.patient_id (missing), "
        "response.version (missing) [values not logged]"
    )
    assert _leaks(captured.text(), IDENTIFIERS) == []


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("workers", [1, 2])
def test_alstrack_serve_writes_requests_and_the_lockout_alert_but_no_identifier_or_secret(
    clinic: Any, workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`alstrack serve` as shipped, one process or a supervisor and its workers, logging as it
    does by default: uvicorn's access log and the lockout alert."""
    monkeypatch.setenv("ALSTRACK_LOCKOUT_ATTEMPTS", "2")
    token = clinic.tokens["alice"]
    log = tmp_path / "serve.log"
    with (
        served.serving(clinic.db.url, log, workers=workers) as server,
        httpx2.Client(base_url=server.url, headers=bearer(token), timeout=30) as http,
    ):
        patient = {"site_id": clinic.sites["NORTH"], "identity": IDENTITY}
        pid = http.post("/patients", json=patient).json()["id"]
        assert http.get(f"/patients/{pid}/identity").status_code == 200
        searched = http.get("/patients", params={"family_name": IDENTITY["family_name"]})
        assert searched.status_code == 200
        assert http.get("/me", params={"token": token}).status_code == 200
        code = one_time_code(clinic.db, "chen")
        for wrong in WRONG_PASSWORDS[:2]:
            login = {"username": "chen", "password": wrong, "totp_code": code}
            assert http.post("/auth/login", json=login).status_code == 401
    written = log.read_text()
    assert _leaks(written, [token, *WRONG_PASSWORDS, *IDENTIFIERS]) == []
    assert '"POST /patients HTTP/1.1" 201' in written
    assert f'"GET /patients/{pid}/identity HTTP/1.1" 200' in written
    assert '"GET /patients?[query not logged] HTTP/1.1" 200' in written
    assert '"GET /me?[query not logged] HTTP/1.1" 200' in written
    assert "ALERT account chen locked until" in written
