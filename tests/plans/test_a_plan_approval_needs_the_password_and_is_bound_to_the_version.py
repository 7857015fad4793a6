"""Approving a plan is an electronic signature (21 CFR 11.50, 11.70, 11.200): the physician's
password again, every time; the signature bound to the version it approves, so that a later
change to that version, or the signature moved to another record, shows it invalid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from alstrack.store.models import AuditEntry, ElectronicSignature, TreatmentPlanVersion, User
from signing_cast import PASSWORD

Body = Callable[..., dict[str, Any]]


def _drafted(api: Any, maria: Any, plan_body: Body, eligible: int) -> dict[str, Any]:
    made = api("alice").post(f"/patients/{maria.patient_id}/plans", json=plan_body(eligible))
    assert made.status_code == 201, made.text
    return dict(made.json())


def _approve(api: Any, plan: dict[str, Any], **body: Any) -> Any:
    approval = {"number": plan["current_version"], "version": plan["version"]} | body
    return api("chen").post(f"/plans/{plan['id']}/approval", json=approval)


def test_an_approval_without_the_password_is_refused_naming_the_field_and_stores_nothing(
    api: Any, maria: Any, plan_body: Body, eligible: int, stored: Any
) -> None:
    plan = _drafted(api, maria, plan_body, eligible)
    before = stored()
    answer = _approve(api, plan)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["password"]
    assert stored() == before


def test_a_wrong_password_is_refused_stores_no_signature_and_counts_towards_the_lockout(
    api: Any, clinic: Any, maria: Any, plan_body: Body, eligible: int
) -> None:
    plan = _drafted(api, maria, plan_body, eligible)
    answer = _approve(api, plan, password="not the physician's password")
    assert answer.status_code == 401
    assert "password is wrong" in answer.json()["error"]["message"]
    assert api("chen").get(f"/plans/{plan['id']}").json()["status"] == "draft"
    with clinic.db.read() as session:
        signed = select(ElectronicSignature).where(ElectronicSignature.entity == "treatment_plan")
        assert session.scalars(signed).all() == []
        chen = session.scalars(select(User).where(User.username == "chen")).one()
        assert chen.failed_logins == 1


def test_the_password_is_never_written_to_the_audit_trail(
    api: Any, clinic: Any, maria: Any, plan_body: Body, eligible: int
) -> None:
    plan = _drafted(api, maria, plan_body, eligible)
    assert _approve(api, plan, password=PASSWORD).status_code == 200
    with clinic.db.read() as session:
        entries = session.scalars(select(AuditEntry)).all()
    assert entries
    assert not any(PASSWORD in repr((e.old, e.new, e.reason)) for e in entries)


def test_an_approval_shows_name_time_meaning_and_a_valid_binding(
    api: Any, maria: Any, plan_body: Body, eligible: int
) -> None:
    plan = _drafted(api, maria, plan_body, eligible)
    approved = _approve(api, plan, password=PASSWORD)
    assert approved.status_code == 200, approved.text
    signature = approved.json()["versions"][0]["approval"]
    assert (signature["display_name"], signature["meaning"]) == ("Dr Wei Chen", "approved")
    assert signature["signed_at"].endswith("Z") or signature["signed_at"].endswith("+00:00")
    assert signature["status"] == "valid"
    assert len(signature["content_hash"]) == 64
    # Read again in a new request: the hash stored at commit matches the stored version.
    again = api("alice").get(f"/plans/{plan['id']}").json()["versions"][0]["approval"]
    assert (again["status"], again["content_hash"]) == ("valid", signature["content_hash"])


def test_a_change_to_the_approved_version_shows_the_signature_invalid(
    api: Any, clinic: Any, maria: Any, plan_body: Body, eligible: int
) -> None:
    plan = _drafted(api, maria, plan_body, eligible)
    assert _approve(api, plan, password=PASSWORD).status_code == 200
    with clinic.db.transaction() as session:  # what no service does: change a signed version
        session.execute(
            update(TreatmentPlanVersion)
            .where(TreatmentPlanVersion.plan_id == plan["id"])
            .values(cells_per_kg=2_000_000.0)
        )
    approval = api("alice").get(f"/plans/{plan['id']}").json()["versions"][0]["approval"]
    assert approval["status"] == "invalid"


def test_a_signature_moved_to_another_version_is_invalid_there(
    api: Any, clinic: Any, maria: Any, plan_body: Body, eligible: int
) -> None:
    plan = _drafted(api, maria, plan_body, eligible)
    revision = {"plan": plan_body(eligible, route="intravenous"), "version": 1, "reason": "IV"}
    revised = api("alice").post(f"/plans/{plan['id']}/versions", json=revision).json()
    approved = _approve(api, revised, password=PASSWORD).json()
    assert approved["versions"][1]["approval"]["status"] == "valid"
    with clinic.db.transaction() as session:  # copy the signature row onto version 1
        signed = session.scalars(
            select(ElectronicSignature).where(ElectronicSignature.entity == "treatment_plan")
        ).one()
        copy = ElectronicSignature(
            **{
                c.key: getattr(signed, c.key)
                for c in ElectronicSignature.__table__.columns
                if c.key != "id"
            }
        )
        copy.entity_id = f"{plan['id']}/1"
        session.add(copy)
        session.flush()
        session.execute(
            update(TreatmentPlanVersion)
            .where(TreatmentPlanVersion.plan_id == plan["id"], TreatmentPlanVersion.number == 1)
            .values(approval_signature_id=copy.id)
        )
    versions = api("alice").get(f"/plans/{plan['id']}").json()["versions"]
    assert [v["approval"]["status"] for v in versions] == ["invalid", "valid"]


def test_a_signature_made_before_binding_says_so_rather_than_valid(
    api: Any, clinic: Any, maria: Any, plan_body: Body, eligible: int
) -> None:
    plan = _drafted(api, maria, plan_body, eligible)
    assert _approve(api, plan, password=PASSWORD).status_code == 200
    with clinic.db.transaction() as session:  # as migration 0014 leaves older signatures
        session.execute(
            update(ElectronicSignature)
            .where(ElectronicSignature.entity == "treatment_plan")
            .values(content_hash=None)
        )
    approval = api("alice").get(f"/plans/{plan['id']}").json()["versions"][0]["approval"]
    assert (approval["status"], approval["content_hash"]) == ("unbound", None)
