"""A new physician's first sign-in leads to the authenticator-app page: a key shown once, as
text and as a QR code drawn in the page, then the app's code turns the second factor on."""

from __future__ import annotations

import re
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from web_cast import csrf_of, sign_in

from alstrack.services import auth, users
from alstrack.services.users import UserIn
from signing_cast import PASSWORD


def _rosa(clinic: Any) -> str:
    users.create_user(
        clinic.db,
        clinic.system,
        UserIn(username="rosa", display_name="Dr Rosa Ibáñez", role="physician", site_codes=[]),
    )
    auth.set_initial_password(clinic.db, clinic.system, "rosa", PASSWORD)
    return "rosa"


def test_the_first_sign_in_goes_to_the_app_page_and_every_other_page_leads_back_there(
    clinic: Any, web_app: Any
) -> None:
    client = TestClient(web_app)
    signed = sign_in(client, _rosa(clinic))
    assert signed.status_code == 303
    assert signed.headers["location"] == "/account/mfa"
    elsewhere = client.get("/clinic/patients", follow_redirects=False)
    assert elsewhere.status_code == 303
    assert elsewhere.headers["location"] == "/account/mfa"
    page = client.get("/account/mfa")
    assert "Set it up before anything else" in page.text


def test_the_key_is_shown_once_with_its_qr_code_and_the_apps_code_turns_it_on(
    clinic: Any, web_app: Any
) -> None:
    client = TestClient(web_app)
    sign_in(client, _rosa(clinic))
    page = client.get("/account/mfa")
    made = client.post("/account/mfa/key", data={"csrf_token": csrf_of(page.text)})
    assert made.status_code == 200
    found = re.search(r'data-testid="mfa-key">([A-Z2-7]+)<', made.text)
    assert found
    assert 'src="data:image/svg+xml;base64,' in made.text
    assert found.group(1) not in client.get("/account/mfa").text  # shown once

    token = csrf_of(made.text)
    wrong = client.post("/account/mfa/confirm", data={"csrf_token": token, "code": "12"})
    assert wrong.status_code == 422
    assert "not the code your app shows" in wrong.text
    code = pyotp.TOTP(found.group(1)).now()
    done = client.post(
        "/account/mfa/confirm", data={"csrf_token": token, "code": code}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "Your authenticator app is set up" in client.get("/account/mfa").text
    assert client.get("/clinic/patients").status_code == 200


def test_a_form_without_its_token_makes_no_key_and_confirms_nothing(
    clinic: Any, web_app: Any
) -> None:
    client = TestClient(web_app)
    sign_in(client, _rosa(clinic))
    for path in ("/account/mfa/key", "/account/mfa/confirm"):
        refused = client.post(path, data={"code": "123456"})
        assert refused.status_code == 403
        assert "security token is missing" in refused.text
    assert auth.mfa.status(clinic.db, users.named_actor(clinic.db, "rosa")).enrolled is False
