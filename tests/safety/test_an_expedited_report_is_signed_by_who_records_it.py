"""Recording a SUSAR's expedited report is an electronic signature (21 CFR 11.50, 11.70,
11.200): the reporter's password again; their printed name, the time and the meaning
'reported'; bound to the report and to the facts of the adverse-event record it reported, so
that a later change to either shows the signature invalid, while a correction (a new version of
the event, the old one kept) leaves it valid. Someone who has not certified their signatures
(11.100(c)) cannot sign it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from safety_cast import MENINGITIS
from sqlalchemy import select, update

from alstrack.services import auth, records, users
from alstrack.services.adverse_events import ADVERSE_EVENT, AdverseEventIn
from alstrack.services.records import Correction
from alstrack.services.signatures import status_of
from alstrack.services.users import UserIn
from alstrack.store.models import AdverseEvent, ElectronicSignature, SafetyReport, User
from signing_cast import PASSWORD

Stored = Callable[[], dict[str, int]]
REPORT = {"report": "initial", "submitted_on": "2026-11-18", "submitted_to": "MHRA"}


def _report(client: Any, event_id: int, **body: Any) -> Any:
    return client.post(f"/adverse-events/{event_id}/reports", json=REPORT | body)


def _status(clinic: Any) -> str:
    with clinic.db.read() as session:
        signature = session.scalars(
            select(ElectronicSignature).where(ElectronicSignature.entity == "safety_report")
        ).one()
        return status_of(session, signature)


def _reports(clinic: Any) -> list[SafetyReport]:
    with clinic.db.read() as session:
        return list(session.scalars(select(SafetyReport)))


def test_a_report_without_the_password_is_refused_naming_the_field_and_stores_nothing(
    api: Any, event: Any, stored: Stored
) -> None:
    susar = event(**MENINGITIS)
    before = stored()
    answer = _report(api("chen"), susar.id)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["password"]
    assert stored() == before


def test_a_wrong_password_is_refused_stores_no_report_and_counts_towards_the_lockout(
    api: Any, clinic: Any, event: Any
) -> None:
    susar = event(**MENINGITIS)
    answer = _report(api("chen"), susar.id, password="not the physician's password")
    assert answer.status_code == 401
    assert "password is wrong" in answer.json()["error"]["message"]
    assert _reports(clinic) == []
    with clinic.db.read() as session:
        signed = select(ElectronicSignature).where(ElectronicSignature.entity == "safety_report")
        assert session.scalars(signed).all() == []
        chen = session.scalars(select(User).where(User.username == "chen")).one()
        assert chen.failed_logins == 1


def test_a_report_shows_who_recorded_it_when_and_its_meaning_bound_to_what_was_reported(
    api: Any, clinic: Any, event: Any
) -> None:
    susar = event(**MENINGITIS)
    sent = _report(api("chen"), susar.id, password=PASSWORD)
    assert sent.status_code == 201, sent.text
    signature = sent.json()["signature"]
    assert (signature["display_name"], signature["role"], signature["meaning"]) == (
        "Dr Wei Chen",
        "physician",
        "reported",
    )
    assert signature["signed_at"].endswith("Z") or signature["signed_at"].endswith("+00:00")
    assert (signature["status"], len(signature["content_hash"])) == ("valid", 64)
    [stored] = _reports(clinic)
    assert stored.signature_id == signature["id"]
    assert _status(clinic) == "valid"  # read again in a new transaction: as sealed at commit


def test_a_report_changed_afterwards_shows_its_signature_invalid(
    api: Any, clinic: Any, event: Any
) -> None:
    susar = event(**MENINGITIS)
    assert _report(api("chen"), susar.id, password=PASSWORD).status_code == 201
    with clinic.db.transaction() as session:  # what no service does: change a signed report
        session.execute(update(SafetyReport).values(submitted_on=date(2026, 11, 5)))
    assert _status(clinic) == "invalid"


def test_the_reported_event_changed_in_place_shows_the_signature_invalid(
    api: Any, clinic: Any, event: Any
) -> None:
    susar = event(**MENINGITIS)
    assert _report(api("chen"), susar.id, password=PASSWORD).status_code == 201
    with clinic.db.transaction() as session:  # what no service does: overwrite a record
        session.execute(update(AdverseEvent).where(AdverseEvent.id == susar.id).values(grade=2))
    assert _status(clinic) == "invalid"


def test_a_correction_of_the_reported_event_leaves_the_signature_valid(
    api: Any, clinic: Any, event: Any
) -> None:
    susar = event(**MENINGITIS)
    assert _report(api("chen"), susar.id, password=PASSWORD).status_code == 201
    better = AdverseEventIn(**(MENINGITIS | {"grade": 2}))
    records.correct(
        clinic.db, clinic["nina"], ADVERSE_EVENT, susar.id,
        Correction(record=better, version=susar.version, reason="Improving"),
    )  # fmt: skip
    assert _status(clinic) == "valid"


def test_someone_who_has_not_certified_their_signatures_cannot_report_and_nothing_is_stored(
    api: Any, clinic: Any, event: Any, stored: Stored
) -> None:
    susar = event(**MENINGITIS)
    # Joined without Clinic.join, which certifies for the cast.
    data = UserIn(
        username="pia", display_name="Pia Lund", role="pharmacovigilance", site_codes=["NORTH"]
    )
    users.create_user(clinic.db, clinic.system, data)
    auth.set_initial_password(clinic.db, clinic.system, "pia", PASSWORD)
    clinic.tokens["pia"] = users.issue_token(clinic.db, clinic.system, "pia", "tests")
    pia = api("pia")
    before = stored()
    refused = _report(pia, susar.id, password=PASSWORD)
    assert refused.status_code == 409, refused.text
    message = refused.json()["error"]["message"]
    assert "Pia Lund (pia) has not certified" in message
    assert "POST /auth/attestation" in message
    assert stored() == before
    certified = pia.post("/auth/attestation", json={"password": PASSWORD})
    assert certified.status_code == 201, certified.text
    sent = _report(pia, susar.id, password=PASSWORD)
    assert sent.status_code == 201, sent.text
    assert sent.json()["signature"]["display_name"] == "Pia Lund"
