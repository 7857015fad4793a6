"""The API describes itself: an OpenAPI document and its interactive page at /docs."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alstrack.api.app import create_app
from alstrack.config import Settings
from alstrack.store.db import Database


@pytest.fixture
def anyone() -> Iterator[TestClient]:
    """An anonymous client; describing the API reads no data, so no database is opened."""
    db = Database("sqlite://")
    yield TestClient(create_app(Settings(), db=db))
    db.dispose()


def test_the_docs_page_is_served(anyone):
    response = anyone.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
    assert "/openapi.json" in response.text


def test_the_openapi_document_lists_every_route_and_the_error_shape(anyone):
    doc = anyone.get("/openapi.json").json()
    assert doc["info"]["title"] == "alstrack"
    paths = doc["paths"]
    for collection in (
        "assessments",
        "spirometry",
        "body-measurements",
        "milestones",
        "drug-courses",
    ):
        assert f"/patients/{{patient_id}}/{collection}" in paths
        assert f"/{collection}/{{record_id}}/corrections" in paths
        assert f"/{collection}/{{record_id}}/void" in paths
    for path in (
        "/patients",
        "/patients/{patient_id}/identity",
        "/patients/{patient_id}/history",
        "/patients/{patient_id}/timeline",
        "/patients/{patient_id}/audit",
        "/sites",
    ):
        assert path in paths
    assert set(doc["components"]["schemas"]["ErrorBody"]["properties"]) == {
        "code",
        "message",
        "fields",
    }
    responses = paths["/patients/{patient_id}"]["patch"]["responses"]
    assert {"401", "403", "404", "409", "422"} <= set(responses)


def test_the_identity_change_is_one_documented_shape(anyone):
    doc = anyone.get("/openapi.json").json()
    body = doc["paths"]["/patients/{patient_id}/identity"]["put"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/IdentityUpdate"}


def test_no_route_deletes_anything(anyone):
    paths = anyone.get("/openapi.json").json()["paths"]
    assert [path for path, operations in paths.items() if "delete" in operations] == []


def test_the_error_answers_of_html_and_pdf_documents_are_described_as_json(anyone):
    paths = anyone.get("/openapi.json").json()["paths"]
    responses = paths["/products/{din}/label.html"]["get"]["responses"]
    assert list(responses["200"]["content"]) == ["text/html"]
    for status in ("401", "403", "404", "409", "422"):
        assert list(responses[status]["content"]) == ["application/json"]
