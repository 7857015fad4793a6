"""Admins and the roles that sign log in with a one-time code (TOTP) besides the password
(regulatory checklist AC-6, HIPAA 164.312(d)); services/mfa.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from trust_cast import bearer

from alstrack.config import get_settings
from alstrack.domain.permissions import ROLES, needs_second_factor
from alstrack.services import auth
from alstrack.store.models import AuditEntry, User
from signing_cast import PASSWORD, one_time_code


def _login(http: TestClient, username: str, code: str | None = None) -> Any:
    body = {"username": username, "password": PASSWORD}
    return http.post("/auth/login", json=body | ({"totp_code": code} if code else {}))


def _failed_logins(clinic: Any, username: str) -> int:
    with clinic.db.read() as session:
        return session.scalars(select(User.failed_logins).where(User.username == username)).one()


def _new_physician(clinic: Any, http: TestClient) -> str:
    """Dr Rosa Ibáñez joins: a physician with a password and no authenticator app yet."""
    adam = bearer(clinic.tokens["adam"])
    rosa = {"username": "rosa", "display_name": "Dr Rosa Ibáñez", "role": "physician"}
    assert http.post("/users", json=rosa | {"site_codes": ["NORTH"]}, headers=adam).is_success
    auth.set_initial_password(clinic.db, clinic.system, "rosa", PASSWORD)
    return "rosa"


def test_the_roles_that_sign_and_admins_need_the_code_and_the_others_do_not() -> None:
    needing = {role for role in ROLES if needs_second_factor(role)}
    assert needing == {"physician", "nurse", "qa", "pharmacovigilance", "admin"}


def test_a_physician_logs_in_with_the_password_and_the_code_of_the_app(
    clinic: Any, http: TestClient
) -> None:
    answer = _login(http, "chen", one_time_code(clinic.db, "chen"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["must_set_up_mfa"] is False
    me = http.get("/auth/mfa", headers=bearer(answer.json()["token"])).json()
    assert me["required"] is True
    assert me["enrolled"] is True


def test_without_the_code_the_login_is_refused_naming_it_and_no_failure_is_counted(
    clinic: Any, http: TestClient
) -> None:
    refused = _login(http, "chen")
    assert refused.status_code == 401
    assert "totp_code" in refused.json()["error"]["message"]
    assert _failed_logins(clinic, "chen") == 0


def test_a_wrong_password_without_a_code_is_answered_as_for_an_unknown_user_and_counted(
    clinic: Any, http: TestClient
) -> None:
    body = {"username": "chen", "password": "not the password at all"}
    refused = http.post("/auth/login", json=body)
    unknown = http.post("/auth/login", json=body | {"username": "nobody"})
    assert refused.status_code == unknown.status_code == 401
    assert refused.json() == unknown.json()
    assert _failed_logins(clinic, "chen") == 1


def test_a_wrong_code_is_refused_like_a_wrong_password_and_counts_towards_the_lockout(
    clinic: Any, http: TestClient
) -> None:
    right = one_time_code(clinic.db, "chen")
    assert right is not None
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = _login(http, "chen", wrong)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "Wrong username, password or one-time code."
    assert _failed_logins(clinic, "chen") == 1
    for _ in range(4):
        _login(http, "chen", wrong)
    locked = _login(http, "chen", right)
    assert locked.status_code == 401
    assert "locked" in locked.json()["error"]["message"]


def test_a_code_is_accepted_once(clinic: Any, http: TestClient) -> None:
    code = one_time_code(clinic.db, "chen")
    assert _login(http, "chen", code).status_code == 200
    again = _login(http, "chen", code)
    assert again.status_code == 401


def test_a_code_that_is_not_six_digits_is_refused_naming_the_field(
    clinic: Any, http: TestClient
) -> None:
    answer = _login(http, "chen", "12ab56")
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "totp_code"


def test_a_coordinator_logs_in_with_the_password_alone(clinic: Any, http: TestClient) -> None:
    answer = _login(http, "alice")
    assert answer.status_code == 200
    assert answer.json()["must_set_up_mfa"] is False
    assert http.get("/patients", headers=bearer(answer.json()["token"])).status_code == 200


def test_a_new_physicians_first_login_may_only_set_up_the_app_then_works_in_full(
    clinic: Any, http: TestClient, clock: Any
) -> None:
    username = _new_physician(clinic, http)
    first = _login(http, username)
    assert first.status_code == 200
    assert first.json()["must_set_up_mfa"] is True
    session = bearer(first.json()["token"])
    refused = http.get("/patients", headers=session)
    assert refused.status_code == 403
    assert "POST /auth/mfa" in refused.json()["error"]["message"]

    setup = http.post("/auth/mfa", headers=session)
    assert setup.status_code == 201
    uri = urlparse(setup.json()["uri"])
    assert uri.scheme == "otpauth"
    assert uri.netloc == "totp"
    assert parse_qs(uri.query)["secret"] == [setup.json()["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["alstrack"]
    totp = pyotp.TOTP(setup.json()["secret"])

    wrong = http.post("/auth/mfa/confirm", json={"code": "000000"}, headers=session)
    if totp.now() != "000000":
        assert wrong.status_code == 422
        assert wrong.json()["error"]["fields"][0]["field"] == "code"
    confirmed = http.post("/auth/mfa/confirm", json={"code": totp.now()}, headers=session)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["enrolled"] is True
    assert http.get("/patients", headers=session).status_code == 200

    clock.shift(timedelta(seconds=30))
    assert _login(http, username).status_code == 401  # from now on, with the code
    assert _login(http, username, totp.now()).status_code == 200

    with clinic.db.read() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.username == username)))
    actions = [e.action for e in entries]
    assert "mfa_setup_started" in actions
    assert "mfa_enrolled" in actions
    secret = setup.json()["secret"]
    assert not any(secret in f"{e.old} {e.new} {e.reason}" for e in entries)


def test_an_app_set_up_is_not_replaced_without_an_admins_reset(
    clinic: Any, http: TestClient
) -> None:
    session = bearer(_login(http, "chen", one_time_code(clinic.db, "chen")).json()["token"])
    again = http.post("/auth/mfa", headers=session)
    assert again.status_code == 409
    assert "admin" in again.json()["error"]["message"]


def test_an_admin_resets_a_lost_app_with_a_reason_and_the_next_login_sets_up_a_new_one(
    clinic: Any, http: TestClient
) -> None:
    adam = bearer(clinic.tokens["adam"])
    no_reason = http.post("/users/chen/mfa/reset", json={"reason": ""}, headers=adam)
    assert no_reason.status_code == 422
    by_alice = http.post(
        "/users/chen/mfa/reset", json={"reason": "lost"}, headers=bearer(clinic.tokens["alice"])
    )
    assert by_alice.status_code == 403
    reset = http.post("/users/chen/mfa/reset", json={"reason": "phone lost"}, headers=adam)
    assert reset.status_code == 200
    assert reset.json()["enrolled"] is False
    login = _login(http, "chen")
    assert login.status_code == 200
    assert login.json()["must_set_up_mfa"] is True
    with clinic.db.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "mfa_reset")).one()
    assert entry.username == "adam"
    assert entry.reason == "phone lost"


def test_a_read_only_token_cannot_set_up_an_app(clinic: Any, http: TestClient) -> None:
    token = http.post(
        "/users/alice/tokens",
        json={"label": "reports", "scope": "read"},
        headers=bearer(clinic.tokens["alice"]),
    ).json()["token"]
    assert http.post("/auth/mfa", headers=bearer(token)).status_code == 403


def test_with_mfa_turned_off_a_physician_logs_in_with_the_password_alone(
    clinic: Any, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALSTRACK_MFA", "false")
    get_settings.cache_clear()
    answer = _login(http, "chen")
    assert answer.status_code == 200
    assert answer.json()["must_set_up_mfa"] is False
