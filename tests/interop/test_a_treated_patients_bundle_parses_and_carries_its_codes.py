"""A treated patient's Bundle: every resource parses with its R4B model and carries the codes
of interop.md; the pathway (consent, plan, product, dose, adverse events) is in it, and every
reference points at a resource of the Bundle.

Maria (tests/reports/conftest.py): five ALSFRS-R, one FVC and one weight; consented; an approved
plan of three intrathecal UC-MSC doses, the first given on 1 November 2026; a headache linked to
that dose, meningitis after it (not linked) and a fall before it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir_reading import codings, references
from sqlalchemy import select

from alstrack.interop.fhir.codes import unknown_codings
from alstrack.interop.fhir.pathway import PROCEDURE_USED
from alstrack.store.models import Product

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
LOCAL = "https://fhir.alstrack.org"


def _maria(export: Any, followed: Any, with_events: Any) -> Any:
    return export(followed.patient_id, "chen")


def test_every_resource_parses_with_its_r4b_model_and_every_coding_is_known(
    export: Any, followed: Any, with_events: Any
) -> None:
    bundle = _maria(export, followed, with_events)
    assert bundle.json["type"] == "collection"
    for resource in bundle.resources:
        model = get_fhir_model_class(resource["resourceType"])
        assert model.model_validate(resource).id == resource["id"]
    kinds = {r["resourceType"] for r in bundle.resources}
    assert kinds == {
        "Patient", "Condition", "QuestionnaireResponse", "Observation", "Consent", "CarePlan",
        "BiologicallyDerivedProduct", "Procedure", "AdverseEvent",
    }  # fmt: skip
    assert unknown_codings(bundle.json) == []


def test_every_reference_points_at_a_resource_of_the_bundle(
    export: Any, followed: Any, with_events: Any
) -> None:
    bundle = _maria(export, followed, with_events)
    urls = [e["fullUrl"] for e in bundle.json["entry"]]
    assert len(urls) == len(set(urls))
    assert all(url == f"urn:uuid:{r['id']}" for url, r in zip(urls, bundle.resources, strict=True))
    assert set(references(bundle.json)) <= set(urls)


def test_the_condition_is_als_in_snomed_and_icd_10_with_onset_region_category_and_stages(
    export: Any, followed: Any, with_events: Any
) -> None:
    bundle = _maria(export, followed, with_events)
    als = bundle.one("Condition")
    assert (SNOMED, "86044005") in codings(als["code"])
    assert ("http://hl7.org/fhir/sid/icd-10-cm", "G12.21") in codings(als["code"])
    assert als["onsetDateTime"] == "2025-12-01"
    extensions = {e["url"]: e for e in als["extension"]}
    assert (
        extensions["http://hl7.org/fhir/StructureDefinition/condition-assertedDate"][
            "valueDateTime"
        ]
        == "2026-05-01"
    )
    region = extensions[f"{LOCAL}/StructureDefinition/onset-region"]
    assert codings(region) == [(f"{LOCAL}/CodeSystem/onset-region", "lower_limb")]
    category = extensions[f"{LOCAL}/StructureDefinition/diagnostic-category"]
    assert codings(category) == [(f"{LOCAL}/CodeSystem/diagnostic-category", "probable")]
    assert codings(als["verificationStatus"])[0][1] == "confirmed"
    # Staged by her latest ALSFRS-R (3 May 2027, every item 3: respiratory items below 4 give
    # King's 4B; no domain lost, MiToS 0), each stage naming the total it rests on.
    stages = {codings(s["type"])[0][1]: s for s in als["stage"]}
    assert codings(stages["kings"]["summary"]) == [(f"{LOCAL}/CodeSystem/kings-stage", "4B")]
    assert codings(stages["mitos"]["summary"]) == [(f"{LOCAL}/CodeSystem/mitos-stage", "0")]
    [total_ref] = {a["reference"] for s in als["stage"] for a in s["assessment"]}
    total = bundle.by_url(total_ref)
    assert total["effectiveDateTime"] == "2027-05-03"
    assert total["valueQuantity"]["value"] == 36


def test_each_alsfrs_r_is_a_questionnaire_response_with_observations_derived_from_it(
    export: Any, followed: Any, with_events: Any
) -> None:
    bundle = _maria(export, followed, with_events)
    responses = bundle.of("QuestionnaireResponse")
    assert [r["authored"] for r in responses] == [
        "2026-07-10", "2026-09-01", "2026-10-29", "2027-02-01", "2027-05-03",
    ]  # fmt: skip
    totals = []
    for response in responses:
        assert response["questionnaire"] == f"{LOCAL}/Questionnaire/alsfrs-r|1.0"
        assert response["status"] == "completed"
        assert [i["linkId"] for i in response["item"]][:5] == ["q1", "q2", "q3", "q4", "q5a"]
        url = f"urn:uuid:{response['id']}"
        derived = [
            o for o in bundle.of("Observation") if o.get("derivedFrom") == [{"reference": url}]
        ]
        measures = {codings(o["code"])[0][1]: o["valueQuantity"]["value"] for o in derived}
        assert set(measures) == {
            "total", "bulbar", "fine_motor", "gross_motor", "respiratory", "delta_fs",
        }  # fmt: skip
        assert measures["total"] == sum(
            int(i["answer"][0]["valueCoding"]["code"]) for i in response["item"]
        )
        totals.append(measures["total"])
    assert totals == [44, 41, 40, 38, 36]


def test_fvc_and_weight_are_observations_with_their_loinc_codes(
    export: Any, followed: Any, with_events: Any
) -> None:
    bundle = _maria(export, followed, with_events)
    [fvc] = [o for o in bundle.of("Observation") if (LOINC, "19870-5") in codings(o["code"])]
    assert (SNOMED, "50834005") in codings(fvc["code"])
    assert fvc["valueQuantity"] == {
        "value": 3.1, "unit": "liter", "system": "http://unitsofmeasure.org", "code": "L",
    }  # fmt: skip
    parts = {codings(c["code"])[0][1]: c["valueQuantity"] for c in fvc["component"]}
    assert set(parts) == {"19869-7", "19872-1"}
    assert parts["19872-1"]["code"] == "%"
    assert 0 < parts["19872-1"]["value"] < 150
    [weight] = [o for o in bundle.of("Observation") if (LOINC, "29463-7") in codings(o["code"])]
    assert weight["valueQuantity"]["value"] == 64
    assert weight["valueQuantity"]["code"] == "kg"
    assert codings(weight["category"]) == [
        ("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs")
    ]


def test_the_dose_is_a_procedure_that_used_the_product_under_its_din(
    clinic: Any, export: Any, followed: Any, with_events: Any
) -> None:
    bundle = _maria(export, followed, with_events)
    with clinic.db.read() as session:
        din = session.scalars(select(Product.din)).one()
    product = bundle.one("BiologicallyDerivedProduct")
    identifiers = {i["system"]: i["value"] for i in product["identifier"]}
    assert identifiers[f"{LOCAL}/NamingSystem/isbt128-din"] == din
    assert f"{LOCAL}/NamingSystem/chain-of-identity" in identifiers
    assert product["productCategory"] == "cells"
    assert product["status"] == "unavailable"  # administered
    [dose] = bundle.of("Procedure")
    assert dose["status"] == "completed"
    assert dose["performedDateTime"].startswith("2026-11-01")
    used = [e for e in dose["extension"] if e["url"] == PROCEDURE_USED]
    assert [bundle.by_url(e["valueReference"]["reference"]) for e in used] == [product]
    extensions = {e["url"].rsplit("/", 1)[1]: e for e in dose["extension"]}
    assert codings(extensions["route"])[0][1] == "intrathecal"
    assert extensions["cells-administered"]["valueQuantity"]["value"] == 6.1e7
    plan = bundle.by_url(dose["basedOn"][0]["reference"])
    assert plan == bundle.one("CarePlan")
    assert plan["status"] == "active"
    assert plan["activity"][0]["detail"]["status"] == "in-progress"  # one dose of three
    assert plan["activity"][0]["outcomeReference"] == [{"reference": f"urn:uuid:{dose['id']}"}]


def test_the_consent_is_active_research_consent(
    export: Any, followed: Any, with_events: Any
) -> None:
    consent = _maria(export, followed, with_events).one("Consent")
    assert consent["status"] == "active"
    assert codings(consent["scope"]) == [
        ("http://terminology.hl7.org/CodeSystem/consentscope", "research")
    ]
    assert codings(consent["category"]) == [(LOINC, "59284-0")]
    assert consent["provision"]["type"] == "permit"


def test_adverse_events_carry_grade_seriousness_outcome_and_relatedness_per_suspect(
    export: Any, followed: Any, with_events: Any
) -> None:
    bundle = _maria(export, followed, with_events)
    events = {e["event"]["text"]: e for e in bundle.of("AdverseEvent")}
    assert set(events) == {"Fall", "Post-lumbar puncture headache", "Aseptic meningitis"}
    headache = events["Post-lumbar puncture headache"]
    assert headache["date"] == str(date(2026, 11, 2))
    assert ("http://terminology.hl7.org/CodeSystem/adverse-event-severity", "moderate") in (
        codings(headache["severity"])
    )
    assert (f"{LOCAL}/CodeSystem/ctcae-grade", "2") in codings(headache["severity"])
    assert codings(headache["seriousness"])[0][1] == "non-serious"
    [suspect] = headache["suspectEntity"]
    assert bundle.by_url(suspect["instance"]["reference"]) == bundle.one("Procedure")
    procedure, product = suspect["causality"]
    assert (f"{LOCAL}/CodeSystem/relatedness", "probable") in codings(procedure)
    assert product["productRelatedness"] == "unlikely"
    meningitis = events["Aseptic meningitis"]
    assert codings(meningitis["seriousness"])[0][1] == "serious"
    assert meningitis["seriousness"]["text"] == "serious: hospitalisation"
    # Not linked to the dose: no suspect named, the relatedness recorded kept as recorded.
    assert "suspectEntity" not in meningitis
    [kept] = meningitis["extension"]
    assert {e["url"]: e["valueCoding"]["code"] for e in kept["extension"]} == {
        "procedure": "probable",
        "product": "possible",
    }
