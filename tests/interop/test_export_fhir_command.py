"""`alstrack export fhir --patient ID --as USERNAME`: the Bundle to stdout or a file, audited;
exit 1 with the reason for another site's patient or a role that may not read assessments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select
from typer.testing import CliRunner, Result

from alstrack.cli.common import console, err_console
from alstrack.cli.main import app
from alstrack.config import get_settings
from alstrack.store.models import AuditEntry

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture(autouse=True)
def cli_on_the_clinic(clinic: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The commands read the clinic's database; one message a line (Rich wraps at 80)."""
    monkeypatch.setenv("ALSTRACK_DATABASE_URL", clinic.db.url)
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setattr(err_console, "width", 200)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _exports(clinic: Any) -> list[str]:
    with clinic.db.read() as session:
        return list(
            session.scalars(select(AuditEntry.username).where(AuditEntry.action == "export")).all()
        )


def test_it_writes_the_bundle_to_stdout(clinic: Any, pat: Any) -> None:
    result = run("export", "fhir", "--patient", str(pat.id), "--as", "olga")
    assert result.exit_code == 0, result.output
    bundle = Bundle.model_validate_json(result.stdout)
    assert bundle.entry is not None
    assert json.loads(result.stdout)["entry"][0]["resource"]["identifier"][0]["value"] == (
        pat.study_id
    )
    assert _exports(clinic) == ["olga"]


def test_it_writes_the_bundle_to_a_file_and_says_so(clinic: Any, pat: Any, tmp_path: Path) -> None:
    target = tmp_path / "pat.fhir.json"
    result = run("export", "fhir", "--patient", str(pat.id), "--as", "chen", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote the FHIR Bundle of patient {pat.id} to {target}.\n"
    assert Bundle.model_validate_json(target.read_bytes()).type == "collection"
    assert _exports(clinic) == ["chen"]


def test_it_refuses_another_sites_patient_and_a_role_without_assessments(
    clinic: Any, pat: Any
) -> None:
    result = run("export", "fhir", "--patient", str(pat.id), "--as", "sami")
    assert result.exit_code == 1
    assert f"No patient {pat.id}." in result.stderr
    result = run("export", "fhir", "--patient", str(pat.id), "--as", "ben")
    assert result.exit_code == 1
    assert "assessments.read" in result.stderr
    assert _exports(clinic) == []
