"""Voiding keeps the correction's reason; a superseded record's own trail names its successor."""

from __future__ import annotations

from datetime import date

from alstrack.services import audit_trail, records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.records import Correction, Void


def test_voiding_a_correction_keeps_why_it_was_corrected(clinic, pat, alsfrs) -> None:
    alice = clinic["alice"]
    first = records.add(clinic.db, alice, INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 5, 1)))
    fixed = records.correct(
        clinic.db,
        alice,
        INSTRUMENT_ASSESSMENT,
        first.id,
        Correction(
            record=alsfrs(date(2024, 5, 2)), version=first.version, reason="wrong visit date"
        ),
    )
    voided = records.void(
        clinic.db,
        alice,
        INSTRUMENT_ASSESSMENT,
        fixed.id,
        Void(version=fixed.version, reason="patient withdrew this visit"),
    )
    assert voided.reason == "wrong visit date"
    assert voided.void_reason == "patient withdrew this visit"


def test_the_superseded_record_trail_names_what_replaced_it(clinic, pat, alsfrs) -> None:
    alice = clinic["alice"]
    first = records.add(clinic.db, alice, INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 5, 1)))
    fixed = records.correct(
        clinic.db,
        alice,
        INSTRUMENT_ASSESSMENT,
        first.id,
        Correction(
            record=alsfrs(date(2024, 5, 1), q1=2), version=first.version, reason="q1 misread"
        ),
    )
    trail = audit_trail.for_record(clinic.db, alice, "instrument_assessment", str(first.id))
    assert [e.action for e in trail] == ["create", "supersede"]
    assert trail[-1].new == {"status": "superseded", "superseded_by_id": fixed.id}
    assert trail[-1].reason == "q1 misread"
