"""API tokens: scoped (everything the role allows, or reading only), expiring, revocable for
good, listed without the secret (21 CFR 11.300(b)–(c); regulatory-checklist ES-6)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from trust_cast import NOW, bearer

from alstrack.services import users
from alstrack.store.models import AuditEntry

NEW_SITE = {"code": "EAST", "name": "Eastfield Clinic"}


def _token(api: Any, username: str, **fields: Any) -> dict[str, Any]:
    answer = api(username).post(f"/users/{username}/tokens", json={"label": "script", **fields})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_read_only_token_reads_but_may_not_change_anything(api: Any, http: TestClient) -> None:
    token = _token(api, "adam", scope="read")["token"]
    assert http.get("/sites", headers=bearer(token)).status_code == 200
    refused = http.post("/sites", json=NEW_SITE, headers=bearer(token))
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "A read-only token may not do this (sites.write)."
    assert http.get("/me", headers=bearer(token)).json()["scope"] == "read"
    # Nor make itself a stronger one.
    stronger = http.post("/users/adam/tokens", json={"label": "x"}, headers=bearer(token))
    assert stronger.status_code == 403


def test_a_full_token_does_what_the_role_allows(api: Any, http: TestClient) -> None:
    token = _token(api, "adam")["token"]
    assert http.post("/sites", json=NEW_SITE, headers=bearer(token)).status_code == 201


def test_a_token_stops_working_when_it_expires(api: Any, http: TestClient, clock: Any) -> None:
    made = _token(api, "alice", expires_in_days=30)
    assert made["expires_at"].startswith((NOW + timedelta(days=30)).date().isoformat())
    clock.move_to(NOW + timedelta(days=29, hours=23))
    assert http.get("/me", headers=bearer(made["token"])).status_code == 200
    clock.move_to(NOW + timedelta(days=30, minutes=1))
    expired = http.get("/me", headers=bearer(made["token"]))
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


def test_a_revoked_token_is_refused_and_the_revocation_is_audited(
    api: Any, http: TestClient, clinic: Any
) -> None:
    made = _token(api, "alice")
    revoked = api("alice").post(f"/tokens/{made['id']}/revoke", json={"reason": "laptop lost"})
    assert revoked.status_code == 200, revoked.text
    assert http.get("/me", headers=bearer(made["token"])).status_code == 401
    again = api("alice").post(f"/tokens/{made['id']}/revoke", json={"reason": "again"})
    assert again.status_code == 409
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "revoke_token")).one()
    assert entry.username == "alice"
    assert entry.reason == "laptop lost"


def test_a_user_may_not_revoke_or_list_another_users_tokens_but_an_admin_may(
    api: Any, http: TestClient
) -> None:
    made = _token(api, "alice")
    assert api("sami").post(f"/tokens/{made['id']}/revoke", json={"reason": "x"}).status_code == 404
    assert api("sami").get("/users/alice/tokens").status_code == 403
    by_admin = api("adam").post(f"/tokens/{made['id']}/revoke", json={"reason": "left"})
    assert by_admin.status_code == 200


def test_the_list_of_tokens_never_shows_a_token(api: Any) -> None:
    made = _token(api, "alice")
    listed = api("alice").get("/users/alice/tokens")
    assert listed.status_code == 200
    assert made["token"] not in listed.text
    assert made["id"] in [t["id"] for t in listed.json()]


def test_a_token_needs_a_label_and_a_known_scope(api: Any) -> None:
    answer = api("alice").post("/users/alice/tokens", json={"label": "x", "scope": "admin"})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"].endswith("scope")


def test_an_api_token_that_looks_like_a_session_token_still_works(
    clinic: Any, http: TestClient
) -> None:
    # Tokens made before they avoided the session prefix start with "s-" 1 time in 4096.
    from alstrack.services.auth import hash_token
    from alstrack.store.models import ApiToken, User

    token = "s-" + "x" * 41
    with clinic.db.transaction() as session:
        alice = session.scalars(select(User).where(User.username == "alice")).one()
        session.add(
            ApiToken(user_id=alice.id, token_hash=hash_token(token), label="old", created_at=NOW)
        )
    assert http.get("/me", headers=bearer(token)).json()["username"] == "alice"
    unknown = http.get("/me", headers=bearer("s-" + "y" * 41))
    assert unknown.status_code == 401


def test_a_new_api_token_that_would_start_like_a_session_token_is_drawn_again(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = iter(["s-" + "a" * 41, "s-" + "b" * 41, "c" * 43])
    monkeypatch.setattr(users.secrets, "token_urlsafe", lambda _n: next(drawn))
    assert _token(api, "alice")["token"] == "c" * 43
