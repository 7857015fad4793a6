"""Reading which rule set is in use writes nothing, and the list and the description agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from alstrack.services import records, rulesets
from alstrack.services.evaluations import PRETREATMENT_EVALUATION, EvaluationIn
from alstrack.services.patients import PatientOut
from alstrack.store.models import RuleSetVersion

Api = Callable[[str | None], TestClient]


def test_listing_describing_and_the_api_store_nothing(
    clinic: Any, api: Api, stored: Callable[[], dict[str, int]]
) -> None:
    before = stored()
    assert rulesets.list_versions(clinic.db, clinic["chen"]) == []
    described = rulesets.describe_active(clinic.db, clinic["chen"])
    assert api("chen").get("/rulesets").json() == []
    body = api("chen").get("/rulesets/active").json()
    assert stored() == before
    assert (described.version_id, described.stored, described.accepted_at) == (None, False, None)
    assert (body["version_id"], body["stored"], body["origin"]) == (None, False, "builtin")


def test_an_evaluation_checks_its_data_elements_without_storing_a_rule_set(
    clinic: Any,
    pat: PatientOut,
    stored: Callable[[], dict[str, int]],
    consented: Callable[..., Any],
) -> None:
    consented(pat.id)
    before = stored()
    records.add(
        clinic.db,
        clinic["nina"],
        PRETREATMENT_EVALUATION,
        pat.id,
        EvaluationIn(
            assessed_on=date(2025, 1, 10),
            assessed_by="Nina Okafor",
            observations={"lab.inr": 1.0},
        ),
    )
    after = stored()
    assert after["rule_set_versions"] == before["rule_set_versions"] == 0


def test_the_list_marks_active_the_version_the_description_names(
    clinic: Any, northgate_file: Path
) -> None:
    def agree() -> int | None:
        listed = rulesets.list_versions(clinic.db, clinic["chen"])
        described = rulesets.describe_active(clinic.db, clinic["chen"])
        assert [v.id for v in listed if v.active] == [described.version_id]
        assert described.stored
        return described.version_id

    with clinic.db.transaction() as session:
        shipped = rulesets.active_ruleset(session, store_as=clinic["alice"]).version_id
    assert agree() == shipped
    installed = rulesets.install_ruleset(clinic.db, clinic["adam"], northgate_file)
    assert agree() == installed.id


def test_after_an_upgrade_no_stored_version_is_active_until_a_screening_stores_the_new_one(
    clinic: Any,
) -> None:
    with clinic.db.transaction() as session:
        earlier = RuleSetVersion(
            ruleset_id="msc-als-program",
            version="0.1.0-draft",
            sha256="0" * 64,
            origin=rulesets.BUILTIN,
            content=rulesets.shipped_file().read_text(encoding="utf-8"),
            accepted_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        session.add(earlier)
    [listed] = rulesets.list_versions(clinic.db, clinic["chen"])
    described = rulesets.describe_active(clinic.db, clinic["chen"])
    assert (listed.version, listed.active) == ("0.1.0-draft", False)
    assert (described.version_id, described.stored) == (None, False)
    assert described.version != "0.1.0-draft"
