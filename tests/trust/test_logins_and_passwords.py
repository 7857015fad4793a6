"""Passwords (argon2id, never known to an admin), logins, lockout with an alert, and sessions
that end when idle: 21 CFR 11.200/11.300, HIPAA 164.312(a)(2)(iii) and (d)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from trust_cast import CHENS_PASSWORD, NOW, bearer

from alstrack.config import get_settings
from alstrack.store.models import AuditEntry, LoginSession, User


@pytest.fixture(autouse=True)
def password_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are of the password: logins here need no one-time code (ALSTRACK_MFA off).
    The second factor has its own tests (test_admins_and_signers_log_in_with_a_one_time_code)."""
    monkeypatch.setenv("ALSTRACK_MFA", "false")
    get_settings.cache_clear()


def _login(http: TestClient, password: str, username: str = "chen") -> Any:
    return http.post("/auth/login", json={"username": username, "password": password})


def _actions(clinic: Any, username: str = "chen") -> list[str]:
    with clinic.db.read() as session:
        return list(
            session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.username == username,
                    AuditEntry.entity.in_(["user", "login_session"]),
                )
                .order_by(AuditEntry.id)
            )
        )


def test_the_shipped_hasher_stores_argon2id_with_64_mib_and_3_passes(
    clinic: Any, chen_password: str
) -> None:
    with clinic.db.read() as session:
        stored = session.scalars(select(User.password_hash).where(User.username == "chen")).one()
    assert stored is not None
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_password_is_stored_as_an_argon2id_hash_only(clinic: Any, chen_password: str) -> None:
    with clinic.db.read() as session:
        stored = session.scalars(select(User.password_hash).where(User.username == "chen")).one()
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert chen_password not in stored
    with clinic.db.read() as session:
        audit_text = " ".join(
            f"{e.old} {e.new} {e.reason}" for e in session.scalars(select(AuditEntry))
        )
    assert chen_password not in audit_text


def test_a_login_gives_a_session_that_acts_as_the_user(
    http: TestClient, chen_password: str
) -> None:
    answer = _login(http, chen_password)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token"].startswith("s-")
    assert body["must_change_password"] is False
    assert body["idle_minutes"] == 15
    me = http.get("/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json()["username"] == "chen"
    assert me.json()["role"] == "physician"
    assert http.get("/patients", headers=bearer(body["token"])).status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    http: TestClient, chen_password: str
) -> None:
    wrong = _login(http, "not the password at all")
    unknown = _login(http, chen_password, username="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


def test_five_failed_logins_lock_the_account_with_an_audited_alert(
    http: TestClient, clinic: Any, chen_password: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="alstrack.security"):
        for _ in range(5):
            assert _login(http, "a wrong guess, again").status_code == 401
    assert any("ALERT account chen locked" in r.getMessage() for r in caplog.records)
    assert chen_password not in caplog.text
    refused = _login(http, chen_password)
    assert refused.status_code == 401
    assert "locked" in refused.json()["error"]["message"]
    assert _actions(clinic)[-7:] == [
        "login_failed", "login_failed", "login_failed", "login_failed", "login_failed",
        "lockout", "login_refused_locked",
    ]  # fmt: skip


def test_failed_logins_sent_at_once_are_each_counted_and_lock_the_account(
    clinic: Any, chen_password: str
) -> None:
    """Eight wrong passwords at the same moment, as a guessing script sends them: each is
    counted (the user's row is locked while its attempt is checked), so the fifth locks."""
    from alstrack.services import auth
    from alstrack.services.auth import LoginIn

    def guess() -> str:
        try:
            auth.login(clinic.db, LoginIn(username="chen", password="a wrong guess, again"))
        except Exception as exc:  # Unauthenticated, whatever the message
            return str(exc)
        return "logged in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: guess(), range(8)))
    assert "logged in" not in answers
    actions = _actions(clinic)
    assert actions.count("lockout") == 1
    assert actions.count("login_failed") + actions.count("login_refused_locked") == 8
    with pytest.raises(Exception, match="locked"):
        auth.login(clinic.db, LoginIn(username="chen", password=chen_password))


def test_a_locked_account_opens_again_after_the_lockout_time(
    http: TestClient, clock: Any, chen_password: str
) -> None:
    for _ in range(5):
        _login(http, "a wrong guess, again")
    clock.move_to(NOW + timedelta(minutes=14))
    assert _login(http, chen_password).status_code == 401
    clock.move_to(NOW + timedelta(minutes=16))
    assert _login(http, chen_password).status_code == 200


def test_a_successful_login_starts_the_count_of_failures_again(
    http: TestClient, chen_password: str
) -> None:
    for _ in range(4):
        _login(http, "a wrong guess, again")
    assert _login(http, chen_password).status_code == 200
    for _ in range(4):
        _login(http, "a wrong guess, again")
    assert _login(http, chen_password).status_code == 200


def test_a_session_ends_after_fifteen_idle_minutes(
    http: TestClient, clinic: Any, clock: Any, chen_password: str
) -> None:
    token = _login(http, chen_password).json()["token"]
    clock.move_to(NOW + timedelta(minutes=14))
    assert http.get("/me", headers=bearer(token)).status_code == 200
    clock.move_to(NOW + timedelta(minutes=28))  # 14 minutes after the last request
    assert http.get("/me", headers=bearer(token)).status_code == 200
    clock.move_to(NOW + timedelta(minutes=44))
    ended = http.get("/me", headers=bearer(token))
    assert ended.status_code == 401
    assert "15 minutes without a request" in ended.json()["error"]["message"]
    assert http.get("/me", headers=bearer(token)).status_code == 401
    with clinic.db.read() as session:
        row = session.scalars(select(LoginSession).order_by(LoginSession.id.desc())).first()
    assert row is not None
    assert row.ended_because == "idle"
    assert "session_ended" in _actions(clinic)


def test_a_session_ends_twelve_hours_after_login_however_busy(
    http: TestClient, clock: Any, chen_password: str
) -> None:
    token = _login(http, chen_password).json()["token"]
    for minutes in range(10, 12 * 60, 10):
        clock.move_to(NOW + timedelta(minutes=minutes))
        assert http.get("/me", headers=bearer(token)).status_code == 200
    clock.move_to(NOW + timedelta(hours=12, minutes=1))
    assert http.get("/me", headers=bearer(token)).status_code == 401


def test_logging_out_ends_the_session(http: TestClient, chen_password: str) -> None:
    token = _login(http, chen_password).json()["token"]
    assert http.post("/auth/logout", headers=bearer(token)).status_code == 204
    assert http.get("/me", headers=bearer(token)).status_code == 401


def test_after_a_reset_the_login_may_only_change_the_password(
    http: TestClient, clinic: Any, api: Any
) -> None:
    reset = api("adam").post("/users/chen/password-reset", json={"reason": "forgotten"})
    assert reset.status_code == 200, reset.text
    one_time = reset.json()["one_time_password"]
    login = _login(http, one_time).json()
    assert login["must_change_password"] is True
    token = login["token"]
    refused = http.get("/patients", headers=bearer(token))
    assert refused.status_code == 403
    assert "Change your password first" in refused.json()["error"]["message"]
    assert (
        http.post("/users/chen/tokens", json={"label": "sneaky"}, headers=bearer(token)).status_code
        == 403
    )
    changed = http.post(
        "/auth/password",
        json={"current_password": one_time, "new_password": CHENS_PASSWORD},
        headers=bearer(token),
    )
    assert changed.status_code == 204, changed.text
    fresh = _login(http, CHENS_PASSWORD).json()
    assert fresh["must_change_password"] is False
    assert http.get("/patients", headers=bearer(fresh["token"])).status_code == 200


def test_the_admins_one_time_password_stops_working_once_the_user_chose_theirs(
    http: TestClient, chen_password: str, api: Any
) -> None:
    # The admin knew only the one-time password; the user's own is theirs alone.
    one_time = (
        api("adam")
        .post("/users/chen/password-reset", json={"reason": "x"})
        .json()["one_time_password"]
    )
    token = _login(http, one_time).json()["token"]
    http.post(
        "/auth/password",
        json={"current_password": one_time, "new_password": "a different long passphrase"},
        headers=bearer(token),
    )
    assert _login(http, one_time).status_code == 401
    assert _login(http, "a different long passphrase").status_code == 200


def test_a_reset_ends_the_users_sessions_and_unlocks_the_account(
    http: TestClient, chen_password: str, api: Any
) -> None:
    token = _login(http, chen_password).json()["token"]
    for _ in range(5):
        _login(http, "a wrong guess, again")
    one_time = (
        api("adam")
        .post("/users/chen/password-reset", json={"reason": "locked"})
        .json()["one_time_password"]
    )
    assert http.get("/me", headers=bearer(token)).status_code == 401
    assert _login(http, one_time).status_code == 200


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short one", "at least 15 characters"),
        ("chen-is-my-name-here", "must not contain the username"),
        (CHENS_PASSWORD, "must differ from the current one"),
    ],
)
def test_a_new_password_must_follow_the_policy(
    http: TestClient, chen_password: str, new_password: str, message: str
) -> None:
    token = _login(http, chen_password).json()["token"]
    answer = http.post(
        "/auth/password",
        json={"current_password": chen_password, "new_password": new_password},
        headers=bearer(token),
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "new_password"
    assert message in answer.json()["error"]["message"]
    assert _login(http, chen_password).status_code == 200


def test_changing_the_password_needs_the_current_one(http: TestClient, chen_password: str) -> None:
    token = _login(http, chen_password).json()["token"]
    answer = http.post(
        "/auth/password",
        json={"current_password": "not it at all, sorry", "new_password": "a brand new passphrase"},
        headers=bearer(token),
    )
    assert answer.status_code == 401
    assert _login(http, chen_password).status_code == 200


def test_a_password_older_than_a_year_must_be_changed_before_anything_else(
    http: TestClient, clock: Any, chen_password: str
) -> None:
    clock.move_to(NOW + timedelta(days=366))
    login = _login(http, chen_password).json()
    assert login["must_change_password"] is True
    assert http.get("/patients", headers=bearer(login["token"])).status_code == 403


def test_only_an_admin_may_reset_a_password(api: Any, chen_password: str) -> None:
    refused = api("alice").post("/users/chen/password-reset", json={"reason": "please"})
    assert refused.status_code == 403
    assert "users.write" in refused.json()["error"]["message"]


def test_a_service_account_cannot_log_in(http: TestClient) -> None:
    assert _login(http, "whatever it might be", username="alstrack-system").status_code == 401
