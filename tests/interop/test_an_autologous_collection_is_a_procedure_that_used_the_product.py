"""Collecting a patient's own cells is a Procedure of the Bundle: its tissue, its time, the plan
it served and the product made from it (the cross-version ``Procedure.used`` extension); the
product carries its DIN, its chain-of-identity code and where its cells were collected from."""

from __future__ import annotations

from typing import Any

from fhir_reading import codings

from alstrack.interop.fhir.pathway import PROCEDURE_USED
from alstrack.services.products import AutologousIn, register_autologous

LOCAL = "https://fhir.alstrack.org"


def test_the_collection_used_the_product_made_from_it(
    clinic: Any, maria: Any, approved: Any, facility: str, step: Any, export: Any
) -> None:
    plan = approved("autologous_bm_msc")
    [order] = plan.collection_orders
    made = register_autologous(clinic.db, clinic["ben"], AutologousIn(collection_order_id=order.id))
    step(made.din, "schedule_collection")
    step(made.din, "collect", to_location="Northgate theatre")
    bundle = export(maria.patient_id, "chen")
    [collection] = bundle.of("Procedure")
    assert codings(collection["code"]) == [(f"{LOCAL}/CodeSystem/procedure", "tissue-collection")]
    assert codings(collection["bodySite"]) == [(f"{LOCAL}/CodeSystem/tissue", "bone_marrow")]
    assert bundle.by_url(collection["basedOn"][0]["reference"]) == bundle.one("CarePlan")
    [used] = [e for e in collection["extension"] if e["url"] == PROCEDURE_USED]
    product = bundle.by_url(used["valueReference"]["reference"])
    assert product["resourceType"] == "BiologicallyDerivedProduct"
    identifiers = {i["system"].rsplit("/", 1)[1]: i["value"] for i in product["identifier"]}
    assert identifiers["isbt128-din"] == made.din
    assert identifiers["chain-of-identity"].startswith("&/CH")
    assert product["collection"]["collectedDateTime"] == collection["performedDateTime"]
    assert bundle.by_url(product["collection"]["source"]["reference"]) == bundle.one("Patient")
    assert codings(product["productCode"]) == [
        (f"{LOCAL}/CodeSystem/cell-source", "autologous_bm_msc")
    ]
    plan_resource = bundle.one("CarePlan")
    assert plan_resource["activity"][0]["detail"]["status"] == "not-started"
