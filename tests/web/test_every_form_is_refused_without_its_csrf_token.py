"""Every form a page sends carries a CSRF token, and a POST without it, or with another
session's, is refused with 403 in plain words before anything is done."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from web_cast import csrf_of

from alstrack.services import users
from alstrack.web.deps import LOGIN_COOKIE, SESSION_COOKIE

REFUSED = "This form was refused: its security token is missing or does not match your session."


def _still_signed_in(client: TestClient) -> bool:
    return client.get("/clinic/patients", follow_redirects=False).status_code == 200


def test_signing_out_without_the_token_is_refused_and_the_session_lives_on(browser: Any) -> None:
    client = browser("alice")
    for form in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}):
        answer = client.post("/logout", data=form, follow_redirects=False)
        assert answer.status_code == 403
        assert REFUSED in answer.text
        assert "text/html" in answer.headers["content-type"]
    assert _still_signed_in(client)


def test_another_sessions_token_is_refused(browser: Any) -> None:
    alice, sami = browser("alice"), browser("sami")
    samis_token = csrf_of(sami.get("/clinic/patients").text)
    answer = alice.post("/logout", data={"csrf_token": samis_token}, follow_redirects=False)
    assert answer.status_code == 403
    assert _still_signed_in(alice)


def test_a_token_sent_as_json_or_in_the_url_does_not_count(browser: Any) -> None:
    client = browser("alice")
    token = csrf_of(client.get("/").text)
    assert client.post("/logout", json={"csrf_token": token}).status_code == 403
    assert client.post(f"/logout?csrf_token={token}").status_code == 403
    assert _still_signed_in(client)


def test_a_sign_in_without_the_forms_token_is_refused_and_not_counted(
    web_app: Any, clinic: Any
) -> None:
    client = TestClient(web_app)
    form = client.get("/login")
    fields = {"username": "alice", "password": "cast passphrase for signing"}
    assert client.post("/login", data=fields).status_code == 403
    assert client.post("/login", data=fields | {"csrf_token": "x" * 64}).status_code == 403
    # The token of the form with no cookie of its own (another browser's form) is refused too.
    stranger = TestClient(web_app)
    answer = stranger.post("/login", data=fields | {"csrf_token": csrf_of(form.text)})
    assert answer.status_code == 403
    assert REFUSED in answer.text
    assert SESSION_COOKIE not in client.cookies
    # The refusals were not login attempts: a wrong password count would show here.
    assert users.authenticate(clinic.db, clinic.tokens["alice"]).username == "alice"


def test_the_sign_in_token_is_bound_to_its_cookie(web_app: Any) -> None:
    client = TestClient(web_app)
    token = csrf_of(client.get("/login").text)
    client.cookies.clear()
    client.cookies.set(LOGIN_COOKIE, "a cookie another site planted")
    fields = {"username": "alice", "password": "cast passphrase for signing", "csrf_token": token}
    assert client.post("/login", data=fields).status_code == 403


def test_every_form_of_every_page_carries_the_token(browser: Any, pat: Any) -> None:
    client = browser("alice")
    for url in ("/", "/clinic/patients", f"/clinic/patients/{pat.id}"):
        html = client.get(url).text
        posts = html.count('method="post"')
        assert posts >= 1, url
        assert html.count('name="csrf_token"') == posts, url
    anonymous = TestClient(browser(None).app)
    html = anonymous.get("/login").text
    assert html.count('name="csrf_token"') == html.count('method="post"') == 1
