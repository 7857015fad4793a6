"""Only roles with audit.read see or export a patient's audit trail, and only of patients at
their sites; a refused export stores nothing, not even its own audit entry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_on_the_clinic(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", clinic.db.url)
    monkeypatch.setattr(err_console, "width", 200)
    monkeypatch.setattr(console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# Nurses, the lab and analysts work with records but do not review their history.
WITHOUT_AUDIT_READ = ["nina", "ben", "olga"]


@pytest.mark.parametrize("who", WITHOUT_AUDIT_READ)
def test_a_role_without_audit_read_is_refused_and_nothing_is_stored(api, pat, stored, who) -> None:
    before = stored()
    for path in ("audit", "audit.csv"):
        response = api(who).get(f"/patients/{pat.id}/{path}", params={"user": "alice"})
        assert response.status_code == 403, response.text
        assert "audit.read" in response.json()["error"]["message"]
    assert stored() == before


def test_another_sites_coordinator_is_told_the_patient_is_not_found(api, pat, stored) -> None:
    before = stored()
    for path in ("audit", "audit.csv"):
        response = api("sami").get(f"/patients/{pat.id}/{path}")
        assert response.status_code == 404, response.text
    assert stored() == before


@pytest.mark.parametrize("who", ["alice", "chen", "aude", "adam"])
def test_clinicians_of_the_site_auditors_and_admins_may_export(api, pat, who) -> None:
    assert api(who).get(f"/patients/{pat.id}/audit.csv").status_code == 200


def test_the_command_refuses_a_role_without_audit_read(pat, stored) -> None:
    before = stored()
    result = runner.invoke(app, ["audit", "export", "--patient", str(pat.id), "--as", "olga"])
    assert result.exit_code == 1
    assert "The data_analyst role may not do this (audit.read)." in result.stderr
    assert stored() == before


def test_the_command_refuses_a_patient_of_another_site(pat, stored) -> None:
    before = stored()
    result = runner.invoke(app, ["audit", "export", "--patient", str(pat.id), "--as", "sami"])
    assert result.exit_code == 1
    assert f"No patient {pat.id}." in result.stderr
    assert stored() == before


def test_anonymous_callers_get_no_trail(api, pat) -> None:
    for path in ("audit", "audit.csv"):
        assert api(None).get(f"/patients/{pat.id}/{path}").status_code == 401
