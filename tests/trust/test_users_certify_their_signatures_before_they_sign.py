"""Each user certifies that their electronic signatures are the legally binding equivalent of
their handwritten one (21 CFR 11.100(c)) before they sign anything: the attestation is stored
with the text's version and SHA-256, signed 'certified' with the user's password, audited and
shown; a later change to it shows its signature invalid."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from alstrack.domain.attestation import attestation_text
from alstrack.services import auth, users
from alstrack.services.users import UserIn
from alstrack.store.models import AuditEntry, SignatureAttestation, User
from signing_cast import PASSWORD

Stored = Callable[[], dict[str, int]]
DANAS = (
    SignatureAttestation.user_id == select(User.id).where(User.username == "dana").scalar_subquery()
)


@pytest.fixture
def dana(clinic: Any, api: Callable[[str], TestClient]) -> TestClient:
    """A physician who joins with a password and a token but has certified nothing yet (the
    cast's Clinic.join certifies for its members)."""
    data = UserIn(username="dana", display_name="Dr Dana Ito", role="physician", site_codes=[])
    users.create_user(clinic.db, clinic.system, data)
    auth.set_initial_password(clinic.db, clinic.system, "dana", PASSWORD)
    clinic.tokens["dana"] = users.issue_token(clinic.db, clinic.system, "dana", "tests")
    return api("dana")


def test_the_text_to_certify_is_shown_with_its_version_source_and_hash(dana: TestClient) -> None:
    shown = dana.get("/auth/attestation")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    text = attestation_text()
    assert (body["current_version"], body["text"]) == (text.version, text.text)
    assert "legally binding equivalent" in body["text"]
    assert "11.100(c)" in body["source"]
    assert body["text_sha256"] == hashlib.sha256(body["text"].encode()).hexdigest()
    assert (body["certified"], body["attestations"]) == (False, [])


def test_an_attestation_is_stored_signed_certified_audited_and_shown(
    clinic: Any, dana: TestClient
) -> None:
    made = dana.post("/auth/attestation", json={"password": PASSWORD})
    assert made.status_code == 201, made.text
    attestation = made.json()
    text = attestation_text()
    assert (attestation["username"], attestation["text_version"]) == ("dana", text.version)
    assert attestation["text_sha256"] == text.sha256
    signature = attestation["signature"]
    assert (signature["display_name"], signature["meaning"], signature["status"]) == (
        "Dr Dana Ito",
        "certified",
        "valid",
    )
    assert signature["signed_at"].endswith("Z") or signature["signed_at"].endswith("+00:00")
    shown = dana.get("/auth/attestation").json()
    assert shown["certified"] is True
    assert shown["attestations"] == [attestation]
    with clinic.db.read() as session:
        row = session.scalars(select(SignatureAttestation).where(DANAS)).one()
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "attest", AuditEntry.entity_id == str(row.id)
            )
        ).one()
        entries = session.scalars(select(AuditEntry)).all()
    assert (row.id, row.signature_id) == (attestation["id"], signature["id"])
    assert (entry.username, entry.entity) == ("dana", "signature_attestation")
    assert entry.new["text_sha256"] == text.sha256
    assert entry.new["meaning"] == "certified"
    assert not any(PASSWORD in repr((e.old, e.new, e.reason)) for e in entries)


def test_an_attestation_needs_the_password_and_a_wrong_one_stores_nothing(
    clinic: Any, dana: TestClient, stored: Stored
) -> None:
    before = stored()
    missing = dana.post("/auth/attestation", json={})
    assert missing.status_code == 422
    assert [f["field"] for f in missing.json()["error"]["fields"]] == ["password"]
    assert stored() == before
    wrong = dana.post("/auth/attestation", json={"password": "not dana's password"})
    assert wrong.status_code == 401
    assert dana.get("/auth/attestation").json()["certified"] is False
    with clinic.db.read() as session:
        assert session.scalars(select(User).where(User.username == "dana")).one().failed_logins == 1


def test_the_same_text_is_certified_once(dana: TestClient) -> None:
    assert dana.post("/auth/attestation", json={"password": PASSWORD}).status_code == 201
    again = dana.post("/auth/attestation", json={"password": PASSWORD})
    assert again.status_code == 409
    assert "certified version 1.0 of the attestation already" in again.json()["error"]["message"]
    assert len(dana.get("/auth/attestation").json()["attestations"]) == 1


def test_a_read_only_token_cannot_certify(clinic: Any, dana: TestClient) -> None:
    reader = TestClient(dana.app)
    token = users.issue_token(clinic.db, clinic.system, "dana", "read", scope="read")
    reader.headers["Authorization"] = f"Bearer {token}"
    refused = reader.post("/auth/attestation", json={"password": PASSWORD})
    assert refused.status_code == 403
    assert dana.get("/auth/attestation").json()["certified"] is False


def test_an_attestation_changed_afterwards_shows_its_signature_invalid(
    clinic: Any, dana: TestClient
) -> None:
    assert dana.post("/auth/attestation", json={"password": PASSWORD}).status_code == 201
    with clinic.db.transaction() as session:  # what no service does: change what was certified
        session.execute(update(SignatureAttestation).where(DANAS).values(text_sha256="0" * 64))
    [shown] = dana.get("/auth/attestation").json()["attestations"]
    assert shown["signature"]["status"] == "invalid"


def test_the_cast_has_certified_and_signs_as_before(api: Callable[[str], TestClient]) -> None:
    shown = api("chen").get("/auth/attestation").json()
    assert shown["certified"] is True
    assert [a["username"] for a in shown["attestations"]] == ["chen"]
