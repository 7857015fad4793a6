"""Every writer of audit entries chains them: service changes one by one, imports by the batch."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from alstrack.services import patients, records
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    BodyMeasurementIn,
)
from alstrack.services.patients import IdentityUpdate
from alstrack.services.records import Correction, Void
from alstrack.store.audit import _sorted_json
from alstrack.store.audit_chain import GENESIS, canonical, created_template, link


def test_an_empty_trail_verifies_with_the_genesis_head(db, verify) -> None:
    report = verify()
    assert (report.intact, report.verified, report.head_id, report.head_hash) == (
        True,
        0,
        0,
        GENESIS,
    )


def test_each_entry_of_ordinary_changes_follows_the_one_before(
    clinic, pat, alsfrs, verify, entries
) -> None:
    chen = clinic["chen"]
    first = records.add(clinic.db, chen, INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 3, 1)))
    records.correct(
        clinic.db,
        chen,
        INSTRUMENT_ASSESSMENT,
        first.id,
        Correction(record=alsfrs(date(2024, 3, 1), q1=2), reason="Item 1 misread", version=1),
    )
    weight = BodyMeasurementIn(assessed_on=date(2024, 3, 1), assessed_by="Nina", weight_kg=71.3)
    added = records.add(clinic.db, chen, BODY_MEASUREMENT, pat.id, weight)
    void = Void(reason="Wrong patient", version=1)
    records.void(clinic.db, chen, BODY_MEASUREMENT, added.id, void)
    patients.set_identity(
        clinic.db,
        clinic["alice"],
        pat.id,
        IdentityUpdate(
            given_name="Patrick",
            family_name="Kowalski",
            date_of_birth=date(1958, 4, 2),
            record_number="MRN-4471",
            version=1,
            reason="Full first name",
        ),
    )

    stored = entries()
    assert [e.id for e in stored] == list(range(1, len(stored) + 1))
    prev = GENESIS
    for e in stored:
        content = {k: getattr(e, k) for k in ("id", "at", "user_id", "username", "action")}
        content |= {k: getattr(e, k) for k in ("entity", "entity_id", "patient_id", "site_id")}
        content |= {"old": e.old, "new": e.new, "reason": e.reason}
        assert (e.prev_hash, e.hash) == (prev, link(prev, canonical(content)))
        prev = e.hash
    report = verify()
    assert report.intact
    assert (report.verified, report.head_id, report.head_hash) == (len(stored), len(stored), prev)


def test_an_import_chains_its_entries_after_the_service_writes_before_it(
    clinic, pat, alsfrs, verify, entries
) -> None:
    before = len(entries())
    visits = [(pat.id, alsfrs(date(2024, 1, d))) for d in range(1, 21)]
    records.add_many(clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, visits)
    weights = [
        (pat.id, BodyMeasurementIn(assessed_on=date(2024, 2, d), assessed_by="Nina", weight_kg=w))
        for d, w in ((1, 70.1), (2, 70.1 + 0.2), (3, 72.0), (4, 70 + 1 / 3), (5, 68.25))
    ]
    records.add_many(clinic.db, clinic.system, BODY_MEASUREMENT, weights)
    records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 3, 1)))

    stored = entries()
    assert len(stored) == before + 26
    assert [e.id for e in stored] == list(range(1, len(stored) + 1))
    report = verify()
    assert (report.intact, report.verified) == (True, len(stored))


def test_an_imported_entry_hashes_as_the_same_entry_written_alone_would(
    clinic, pat, alsfrs, entries
) -> None:
    form = alsfrs(date(2024, 1, 5))
    records.add_many(clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, [(pat.id, form)])
    imported = entries()[-1]
    # The content the entry would have had from the one-by-one writer, rebuilt from the record.
    (stored,) = records.list_for_patient(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, pat.id)
    new = {
        "instrument": "alsfrs_r",
        "instrument_version": stored.instrument_version,
        "assessed_on": "2024-01-05",
        "assessed_by": form.assessed_by,
        "responses": stored.responses,
        "patient_id": pat.id,
        "status": "current",
        "entered_by": clinic.system.user_id,
    }
    assert imported.new == new
    content = {
        "id": imported.id, "at": stored.entered_at, "user_id": clinic.system.user_id,
        "username": clinic.system.username, "action": "create",
        "entity": "instrument_assessment", "entity_id": str(stored.id), "patient_id": pat.id,
        "site_id": clinic.sites["NORTH"], "old": None, "new": new, "reason": None,
    }  # fmt: skip
    assert imported.hash == link(imported.prev_hash, canonical(content))


AWKWARD = {
    "a plain import": ("alstrack-system", "instrument_assessment", 7),
    "a percent sign and quotes": ('50% "Ben"', "body_measurement", 7),
    "accents, a backslash and a newline": ("Inès\\Öz\n", "milestone", 7),
    "no user": ("alstrack-system", "drug_course", None),
}


@pytest.mark.parametrize("case", AWKWARD)
def test_the_import_writer_hashes_exactly_the_canonical_content(case) -> None:
    username, entity, user_id = AWKWARD[case]
    at = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    new = {
        "kind": "niv", "occurred_on": date(2024, 3, 1), "weight_kg": 70.1 + 0.2,
        "responses": {"q2": 1, "q10": 4, "q1": None}, "note": "100% sure", "patient_id": 12,
    }  # fmt: skip
    template = created_template(at=at, user_id=user_id, username=username, entity=entity)
    (text,) = _sorted_json({k: [v] for k, v in new.items()}, 1)
    whole = {
        "id": 41, "at": at, "user_id": user_id, "username": username, "action": "create",
        "entity": entity, "entity_id": "9", "patient_id": 12, "site_id": 3, "old": None,
        "new": new, "reason": None,
    }  # fmt: skip
    assert (template % (9, 41, text, 12, 3)).encode() == canonical(whole)
