"""Giving a dose is an electronic signature (21 CFR 11.50, 11.70, 11.200): who gave it enters
their password again, the administration shows their printed name, the time and the meaning
'administered', and the signature is bound to the dose as recorded, so that a later change to
the dose shows it invalid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from alstrack.store.models import Administration, AuditEntry, ElectronicSignature, User
from signing_cast import PASSWORD

Stored = Callable[[], dict[str, int]]


@pytest.fixture
def verified(clinic: Any, approved: Any, thawed: Any, confirm: Any) -> dict[str, Any]:
    """Maria's plan approved and a thawed lot checked at the bedside by Nina and Dr Chen: what
    the administration's body needs, bar the password."""
    approved()
    product = thawed()
    confirm(product.din, "nina")
    checked = confirm(product.din, "chen")
    return {
        "din": product.din,
        "version": checked.product_version,
        "route": "intrathecal",
        "cells_administered": 6.1e7,
        "volume_ml": 10.0,
    }


def _give(api: Callable[[str], TestClient], dose: dict[str, Any], **body: Any) -> Any:
    fields = {k: v for k, v in dose.items() if k != "din"} | body
    return api("nina").post(f"/products/{dose['din']}/administration", json=fields)


def _doses(api: Callable[[str], TestClient], maria: Any) -> list[dict[str, Any]]:
    answer = api("alice").get(f"/patients/{maria.patient_id}/administrations")
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_an_administration_without_the_password_is_refused_naming_the_field_and_stores_nothing(
    api: Any, verified: dict[str, Any], stored: Stored
) -> None:
    before = stored()
    answer = _give(api, verified)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["password"]
    assert stored() == before


def test_a_wrong_password_is_refused_gives_nothing_and_counts_towards_the_lockout(
    api: Any, clinic: Any, maria: Any, verified: dict[str, Any]
) -> None:
    answer = _give(api, verified, password="not the nurse's password")
    assert answer.status_code == 401
    assert "password is wrong" in answer.json()["error"]["message"]
    assert _doses(api, maria) == []
    product = api("alice").get(f"/products/{verified['din']}").json()["product"]
    assert product["state"] == "verified"
    with clinic.db.read() as session:
        signed = select(ElectronicSignature).where(ElectronicSignature.entity == "administration")
        assert session.scalars(signed).all() == []
        nina = session.scalars(select(User).where(User.username == "nina")).one()
        assert nina.failed_logins == 1


def test_an_administration_shows_who_gave_it_when_and_its_meaning_bound_to_the_dose(
    api: Any, clinic: Any, maria: Any, verified: dict[str, Any]
) -> None:
    given = _give(api, verified, password=PASSWORD)
    assert given.status_code == 201, given.text
    signature = given.json()["signature"]
    assert (signature["display_name"], signature["username"], signature["role"]) == (
        "Nina Okafor",
        "nina",
        "nurse",
    )
    assert signature["meaning"] == "administered"
    assert signature["signed_at"].endswith("Z") or signature["signed_at"].endswith("+00:00")
    assert (signature["status"], len(signature["content_hash"])) == ("valid", 64)
    # Read again in a new request: the hash sealed at commit matches the stored dose.
    [again] = _doses(api, maria)
    assert again["signature"] == signature
    with clinic.db.read() as session:
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "create", AuditEntry.entity == "administration"
            )
        ).one()
        entries = session.scalars(select(AuditEntry)).all()
    assert (entry.new["signature_id"], entry.new["meaning"]) == (signature["id"], "administered")
    assert not any(PASSWORD in repr((e.old, e.new, e.reason)) for e in entries)


def test_a_change_to_the_dose_afterwards_shows_the_signature_invalid(
    api: Any, clinic: Any, maria: Any, verified: dict[str, Any]
) -> None:
    assert _give(api, verified, password=PASSWORD).status_code == 201
    with clinic.db.transaction() as session:  # what no service does: change a recorded dose
        session.execute(update(Administration).values(cells_administered=9.9e7))
    [dose] = _doses(api, maria)
    assert dose["signature"]["status"] == "invalid"


def test_a_signature_moved_to_another_dose_is_invalid_there(
    api: Any, clinic: Any, maria: Any, verified: dict[str, Any]
) -> None:
    assert _give(api, verified, password=PASSWORD).status_code == 201
    with clinic.db.transaction() as session:  # the signature says it signs another record
        session.execute(
            update(ElectronicSignature)
            .where(ElectronicSignature.entity == "administration")
            .values(entity_id="999")
        )
    [dose] = _doses(api, maria)
    assert dose["signature"]["status"] == "invalid"
