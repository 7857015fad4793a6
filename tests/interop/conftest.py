"""Fixtures of the FHIR export tests: Maria dosed and followed (the report tests' cast), Pat
untreated, and a reading of an exported Bundle.

The report tests' fixtures are taken from tests/reports/conftest.py rather than copied: pytest
shows a conftest's fixtures only to its own folder, so that file is loaded here under a name of
its own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from alstrack.services.fhir_export import patient_everything

_REPORT_TESTS = Path(__file__).resolve().parent.parent / "reports"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_reports = _load(_REPORT_TESTS / "conftest.py", "report_test_fixtures_for_interop")
clock = _reports.clock
facility = _reports.facility
qa = _reports.qa
donor = _reports.donor
lot = _reports.lot
step = _reports.step
results = _reports.results
in_qc = _reports.in_qc
approved = _reports.approved
thawed = _reports.thawed
confirm = _reports.confirm
maria = _reports.maria
dosed = _reports.dosed
followed = _reports.followed
with_events = _reports.with_events


class Exported:
    """An exported Bundle read back: its JSON, its R4B model and its resources by type."""

    def __init__(self, content: bytes) -> None:
        self.model = Bundle.model_validate_json(content)
        self.json: dict[str, Any] = self.model.model_dump(mode="json", exclude_none=True)
        self.resources: list[dict[str, Any]] = [e["resource"] for e in self.json["entry"]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["resourceType"] == kind]

    def one(self, kind: str) -> dict[str, Any]:
        [found] = self.of(kind)
        return found

    def by_url(self, url: str) -> dict[str, Any]:
        [found] = [e["resource"] for e in self.json["entry"] if e["fullUrl"] == url]
        return found


@pytest.fixture
def export(clinic: Any) -> Any:
    """Export a patient's Bundle as one of the cast (through the service)."""

    def take(patient_id: int, username: str = "chen") -> Exported:
        doc = patient_everything(clinic.db, clinic[username], patient_id)
        assert doc.media_type == "application/fhir+json"
        return Exported(doc.content)

    return take
