"""GET /exports/proact.zip and /exports/csv.zip: the files `alstrack export` writes, zipped with
their SHA256SUMS, de-identified for every role, and audited with the zip's own SHA-256."""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import pytest
from research_reading import export_entries

from alstrack.services.research_exports import MANIFEST


def _members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize(("fmt", "kind", "files"), [("proact", "research_proact", 8),
                                                     ("csv", "research_tidy_csv", 11)])  # fmt: skip
def test_an_analyst_takes_the_export_as_a_zip_that_its_audit_entry_matches(
    clinic: Any, pat: Any, api: Any, fmt: str, kind: str, files: int
) -> None:
    answer = api("olga").get(f"/exports/{fmt}.zip")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert "attachment" in answer.headers["content-disposition"]
    members = _members(answer.content)
    assert len(members) == files + 1
    manifest = members[MANIFEST].decode().splitlines()
    assert sorted(manifest) == sorted(
        f"{hashlib.sha256(content).hexdigest()}  {name}"
        for name, content in members.items()
        if name != MANIFEST
    )
    text = b"".join(members.values()).decode("utf-8", "replace")
    for identifier in ("Kowalski", "MRN-4471", "1958-04-02"):
        assert identifier not in text
    [entry] = export_entries(clinic.db)
    assert entry.username == "olga"
    assert entry.new is not None
    assert entry.new["kind"] == kind
    assert entry.new["sha256"] == hashlib.sha256(answer.content).hexdigest()
    assert entry.new["subjects"] == 1


def test_the_same_records_give_the_same_zip(clinic: Any, pat: Any, api: Any) -> None:
    first = api("olga").get("/exports/csv.zip").content
    assert api("olga").get("/exports/csv.zip").content == first


def test_a_role_that_may_not_read_assessments_gets_403_and_nothing_is_audited(
    clinic: Any, pat: Any, api: Any
) -> None:
    assert api("ben").get("/exports/proact.zip").status_code == 403
    assert export_entries(clinic.db) == []


def test_another_sites_coordinator_gets_none_of_its_patients_and_its_site_is_not_found(
    clinic: Any, pat: Any, api: Any
) -> None:
    answer = api("sami").get("/exports/csv.zip")
    assert answer.status_code == 200
    assert b"NORTH" not in b"".join(_members(answer.content).values())
    refused = api("sami").get("/exports/csv.zip", params={"site": "NORTH"})
    assert refused.status_code == 404
