"""What the web tests share besides fixtures: the CSRF key, reading a form's token, signing in."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from signing_cast import PASSWORD, one_time_code

KEY = SecretStr("test key of the web pages' CSRF tokens, 32+ chars")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the form, with the one-time code where the user has an app set up."""
    form = client.get("/login")
    data = {"csrf_token": csrf_of(form.text), "username": username, "password": password}
    code = one_time_code(client.app.state.db, username)  # type: ignore[attr-defined]
    return client.post(
        "/login", data=data | ({"totp_code": code} if code else {}), follow_redirects=False
    )


@contextmanager
def serving_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread until the block ends; yields its URL (as
    tests/reliability/served.py does for the API)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


# The pages that take a form besides sign-in and sign-out: each is refused without its CSRF
# token (test_the_assessment_forms_add_and_correct_records.py).
FORM_PAGES = (
    "/clinic/patients/{patient_id}/alsfrs-r/new",
    "/clinic/patients/{patient_id}/alsfrs-r/{record_id}/correct",
    "/clinic/patients/{patient_id}/spirometry/new",
    "/clinic/patients/{patient_id}/spirometry/{record_id}/correct",
    "/clinic/patients/{patient_id}/instruments/{code}/new",
    # test_a_new_physician_sets_up_the_authenticator_app_on_its_page.py
    "/account/mfa/key",
    "/account/mfa/confirm",
)
# Forms with no field but the token: they answer as their service does, not 422 for what is
# missing (a new key; 409 for a user whose app is set up already).
FIELDLESS_FORMS = {"/account/mfa/key": {200, 409}}
