"""The home page points to the API and says when the data are synthetic."""

from __future__ import annotations

from alstrack.services.patients import PatientIn, register_patient


def test_the_home_page_links_the_api_docs_and_makes_no_efficacy_claim(api) -> None:
    page = api(None).get("/")
    assert page.status_code == 200
    assert 'href="/docs"' in page.text
    assert "makes no claim that it works" in page.text
    assert "SYNTHETIC" not in page.text


def test_the_home_page_says_synthetic_while_synthetic_patients_exist(api, clinic) -> None:
    register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"], synthetic=True)
    )
    assert "SYNTHETIC DEMO DATA" in api(None).get("/").text
