"""Signing in to the pages keeps the session token in an HttpOnly, SameSite=Strict cookie (Secure
over HTTPS); refusals say why in the service's own words; signing out ends the session."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_cast import csrf_of, sign_in

from alstrack.errors import Unauthenticated
from alstrack.services import auth, users
from alstrack.web.deps import LOGIN_COOKIE, SESSION_COOKIE


def _set_cookie(response: Any, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert headers, response.headers
    return headers[-1]


def test_a_sign_in_sets_an_httponly_strict_cookie_and_goes_home(web_app: Any) -> None:
    client = TestClient(web_app)
    answer = sign_in(client, "alice")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = _set_cookie(answer, SESSION_COOKIE)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here
    home = client.get("/")
    assert "Alice Moreau" in home.text
    assert 'href="/clinic/patients"' in home.text


def test_over_https_the_cookie_is_secure(web_app: Any) -> None:
    client = TestClient(web_app, base_url="https://testserver")
    assert "Secure" in _set_cookie(sign_in(client, "alice"), SESSION_COOKIE)


def test_a_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(web_app: Any) -> None:
    client = TestClient(web_app)
    asked = client.get("/clinic/patients?q=NORTH", follow_redirects=False)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/login?next=%2Fclinic%2Fpatients%3Fq%3DNORTH"
    for target, lands in (
        ("/clinic/patients?q=NORTH", "/clinic/patients?q=NORTH"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ):
        c = TestClient(web_app)
        form = c.get("/login", params={"next": target})
        answer = c.post(
            "/login",
            data={
                "csrf_token": csrf_of(form.text),
                "username": "alice",
                "password": "cast passphrase for signing",
                "next": target,
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == lands


def test_a_wrong_password_is_said_on_the_page_and_sets_no_session(web_app: Any) -> None:
    client = TestClient(web_app)
    answer = sign_in(client, "alice", "not the password")
    assert answer.status_code == 401
    assert "Wrong username or password." in answer.text
    assert SESSION_COOKIE not in client.cookies
    assert 'value="alice"' in answer.text  # the username stays typed


def test_a_locked_account_is_told_until_when(web_app: Any) -> None:
    client = TestClient(web_app)
    for _ in range(5):
        sign_in(client, "alice", "not the password")
    answer = sign_in(client, "alice")
    assert answer.status_code == 401
    assert "The account is locked after 5 failed logins until" in answer.text


def test_a_password_that_must_be_changed_is_said_and_opens_no_session(
    web_app: Any, clinic: Any
) -> None:
    one_time = auth.reset_password(clinic.db, clinic["adam"], "alice", "forgotten")
    client = TestClient(web_app)
    answer = sign_in(client, "alice", one_time)
    assert answer.status_code == 403
    assert "Your password must be changed before anything else" in answer.text
    assert SESSION_COOKIE not in client.cookies


def test_signing_out_ends_the_session_and_clears_the_cookie(browser: Any, clinic: Any) -> None:
    client = browser("alice")
    token = client.cookies[SESSION_COOKIE]
    page = client.get("/clinic/patients")
    answer = client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?signed_out=1"
    assert 'alstrack_session=""' in _set_cookie(answer, SESSION_COOKIE)
    with pytest.raises(Unauthenticated, match="The session has ended"):
        users.authenticate(clinic.db, token)
    # The browser, sending the old cookie again, is asked to sign in.
    client.cookies.set(SESSION_COOKIE, token)
    again = client.get("/clinic/patients", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login?next=")
    assert again.headers["location"].endswith("&ended=1")


def test_the_sign_in_form_sets_its_own_strict_cookie(web_app: Any) -> None:
    form = TestClient(web_app).get("/login")
    cookie = _set_cookie(form, LOGIN_COOKIE)
    assert "HttpOnly" in cookie
    assert "Path=/" in cookie
    assert 'autocomplete="current-password"' in form.text
    assert '<label for="password">' in form.text
