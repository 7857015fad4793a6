"""An untreated patient's Bundle: Patient, the ALS Condition, ALSFRS-R and measurements, and
nothing of the pathway (no consent, plan, product, procedure or adverse event recorded)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_reading import codings

from alstrack.interop.fhir.codes import unknown_codings
from alstrack.services import patients, records
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    SpirometryIn,
)
from alstrack.services.patients import PatientIn

LOINC = "http://loinc.org"


def test_an_untreated_patient_has_the_registry_resources_only(
    clinic: Any, pat: Any, alsfrs: Any, export: Any
) -> None:
    alice = clinic["alice"]
    records.add(clinic.db, alice, INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2024, 3, 1)))
    records.add(
        clinic.db, alice, SPIROMETRY, pat.id,
        SpirometryIn(assessed_on=date(2024, 3, 1), assessed_by="Nina Okafor", fvc_l=3.6,
                     height_cm=178),
    )  # fmt: skip
    records.add(
        clinic.db, alice, BODY_MEASUREMENT, pat.id,
        BodyMeasurementIn(assessed_on=date(2024, 3, 1), assessed_by="Nina Okafor",
                          weight_kg=80, height_cm=178),
    )  # fmt: skip
    bundle = export(pat.id, "chen")
    kinds = sorted({r["resourceType"] for r in bundle.resources})
    assert kinds == ["Condition", "Observation", "Patient", "QuestionnaireResponse"]
    assert unknown_codings(bundle.json) == []
    condition = bundle.one("Condition")
    assert condition["onsetDateTime"] == "2023-01-16"
    [bmi] = [o for o in bundle.of("Observation") if (LOINC, "39156-5") in codings(o["code"])]
    assert bmi["valueQuantity"]["code"] == "kg/m2"
    assert bmi["valueQuantity"]["value"] == round(80 / 1.78**2, 2)
    assert [o for o in bundle.of("Observation") if (LOINC, "19870-5") in codings(o["code"])]


def test_a_patient_with_no_history_or_records_is_a_patient_and_an_undated_condition(
    clinic: Any, export: Any
) -> None:
    bare = patients.register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"])
    )
    bundle = export(bare.id, "olga")
    assert [r["resourceType"] for r in bundle.resources] == ["Patient", "Condition"]
    condition = bundle.one("Condition")
    assert "onsetDateTime" not in condition
    assert "stage" not in condition
    assert "gender" not in bundle.one("Patient")
