"""Locking a patient's record and unlocking it are electronic signatures (21 CFR 11.50, 11.70,
11.200): a physician enters their password again, the lock shows their printed name, the time
and the meaning 'locked', bound to a digest of the whole record, so that a change to the record
after an unlock shows the lock's signature invalid. Both are audited; only physicians lock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alstrack.domain.permissions import ROLES, allows
from alstrack.store.models import AuditEntry, ElectronicSignature, RecordLock, User
from signing_cast import PASSWORD

ALSFRS = {
    "instrument": "alsfrs_r",
    "assessed_on": "2024-03-05",
    "assessed_by": "Dr Wei Chen",
    "responses": {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3},
}
REASON = "Query from the monitor on the March visit"


def _lock(api: Any, pat: Any, who: str = "chen", **body: Any) -> Any:
    return api(who).post(f"/patients/{pat.id}/lock", json=body)


def _unlock(api: Any, pat: Any, **body: Any) -> Any:
    return api("chen").post(f"/patients/{pat.id}/unlock", json=body)


def _state(api: Any, pat: Any) -> dict[str, Any]:
    answer = api("alice").get(f"/patients/{pat.id}/lock")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_lock_without_the_password_is_refused_naming_the_field_and_stores_nothing(
    api: Any, pat: Any, stored: Any
) -> None:
    before = stored()
    answer = _lock(api, pat)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["password"]
    assert stored() == before


def test_a_wrong_password_locks_nothing_and_counts_towards_the_lockout(
    api: Any, clinic: Any, pat: Any
) -> None:
    answer = _lock(api, pat, password="not the physician's password")
    assert answer.status_code == 401
    assert _state(api, pat) == {"patient_id": pat.id, "locked": False, "locks": []}
    with clinic.db.read() as session:
        assert session.scalars(select(RecordLock)).all() == []
        assert session.scalars(select(ElectronicSignature.id).where(
            ElectronicSignature.entity == "record_lock"
        )).all() == []  # fmt: skip
        chen = session.scalars(select(User).where(User.username == "chen")).one()
        assert chen.failed_logins == 1
    assert api("alice").post(f"/patients/{pat.id}/assessments", json=ALSFRS).status_code == 201


def test_a_lock_shows_who_locked_it_when_and_its_meaning_bound_to_the_record(
    api: Any, clinic: Any, pat: Any
) -> None:
    locked = _lock(api, pat, password=PASSWORD)
    assert locked.status_code == 201, locked.text
    signature = locked.json()["signature"]
    assert (signature["display_name"], signature["username"], signature["role"]) == (
        "Dr Wei Chen",
        "chen",
        "physician",
    )
    assert (signature["meaning"], signature["status"]) == ("locked", "valid")
    assert len(locked.json()["content_hash"]) == 64
    state = _state(api, pat)
    assert state["locked"] is True
    assert state["locks"][0]["signature"] == signature  # sealed at commit, read again
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "lock")).one()
        entries = session.scalars(select(AuditEntry)).all()
    assert (entry.entity, entry.patient_id, entry.new["meaning"]) == (
        "record_lock",
        pat.id,
        "locked",
    )
    assert entry.new["signature_id"] == signature["id"]
    assert not any(PASSWORD in repr((e.old, e.new, e.reason)) for e in entries)


def test_a_locked_record_is_not_locked_twice(api: Any, pat: Any) -> None:
    assert _lock(api, pat, password=PASSWORD).status_code == 201
    again = _lock(api, pat, password=PASSWORD)
    assert again.status_code == 409
    assert "locked already" in again.json()["error"]["message"]


def test_an_unlock_needs_a_reason_and_the_password_and_is_signed_and_audited(
    api: Any, clinic: Any, pat: Any
) -> None:
    assert _lock(api, pat, password=PASSWORD).status_code == 201
    no_reason = _unlock(api, pat, reason=" ", password=PASSWORD)
    assert no_reason.status_code == 422
    assert [f["field"] for f in no_reason.json()["error"]["fields"]] == ["reason"]
    assert _unlock(api, pat, reason=REASON).status_code == 422
    assert _unlock(api, pat, reason=REASON, password="wrong").status_code == 401
    assert _state(api, pat)["locked"] is True
    opened = _unlock(api, pat, reason=REASON, password=PASSWORD)
    assert opened.status_code == 200, opened.text
    unlock = opened.json()["unlock_signature"]
    assert (unlock["username"], unlock["meaning"], unlock["status"]) == (
        "chen",
        "unlocked",
        "valid",
    )
    assert (opened.json()["unlocked_by"], opened.json()["unlock_reason"]) == ("chen", REASON)
    with clinic.db.read() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "unlock")).one()
    assert (entry.reason, entry.new["signature_id"]) == (REASON, unlock["id"])
    assert _unlock(api, pat, reason=REASON, password=PASSWORD).status_code == 409  # not locked


def test_the_lock_signature_turns_invalid_once_the_record_changed_after_an_unlock(
    api: Any, pat: Any
) -> None:
    assert _lock(api, pat, password=PASSWORD).status_code == 201
    assert _unlock(api, pat, reason=REASON, password=PASSWORD).status_code == 200
    [lock] = _state(api, pat)["locks"]
    assert (lock["signature"]["status"], lock["unlock_signature"]["status"]) == ("valid", "valid")
    assert api("alice").post(f"/patients/{pat.id}/assessments", json=ALSFRS).status_code == 201
    [lock] = _state(api, pat)["locks"]
    # What was locked is no longer the record; the unlock signed only the opening, its reason.
    assert (lock["signature"]["status"], lock["unlock_signature"]["status"]) == ("invalid", "valid")
    relocked = _lock(api, pat, password=PASSWORD).json()
    assert relocked["content_hash"] != lock["content_hash"]
    assert relocked["signature"]["status"] == "valid"


def test_only_physicians_may_lock_or_unlock(api: Any, pat: Any, stored: Any) -> None:
    assert [role for role in ROLES if allows(role, "records.lock")] == ["physician", "system"]
    before = stored()
    for who in ("alice", "nina", "ben", "olga", "aude", "adam"):
        for path in ("lock", "unlock"):
            answer = api(who).post(
                f"/patients/{pat.id}/{path}", json={"reason": REASON, "password": PASSWORD}
            )
            assert answer.status_code == 403, (who, path, answer.text)
            assert "records.lock" in answer.json()["error"]["message"]
    assert stored() == before
