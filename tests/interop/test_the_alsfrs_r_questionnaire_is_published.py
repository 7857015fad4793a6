"""GET /fhir/Questionnaire/alsfrs-r publishes the ALSFRS-R as a FHIR Questionnaire, built from
the instrument's data file, for any signed-in user; every exported QuestionnaireResponse names
it and answers with its answer options."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

from alstrack.domain.instruments import builtin_instruments
from alstrack.interop.fhir.codes import unknown_codings
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT


def test_any_signed_in_user_gets_the_questionnaire_as_fhir_json(api: Any) -> None:
    answer = api("ben").get("/fhir/Questionnaire/alsfrs-r")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/fhir+json"
    published = Questionnaire.model_validate_json(answer.content)
    instrument = builtin_instruments()["alsfrs_r"]
    assert published.url == "https://fhir.alstrack.org/Questionnaire/alsfrs-r"
    assert published.version == instrument.version
    assert published.item is not None
    assert [i.linkId for i in published.item] == [i.key for i in instrument.items]
    assert all(len(i.answerOption or []) == 5 for i in published.item)
    assert unknown_codings(answer.json()) == []
    assert api(None).get("/fhir/Questionnaire/alsfrs-r").status_code == 401


def test_each_exported_answer_is_one_of_the_questionnaires_options(
    clinic: Any, pat: Any, alsfrs: Any, api: Any, export: Any
) -> None:
    records.add(
        clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, pat.id,
        alsfrs(date(2024, 3, 1), q1=2, q5a=None, q5b=1),
    )  # fmt: skip
    published = api("olga").get("/fhir/Questionnaire/alsfrs-r").json()
    options = {
        item["linkId"]: [o["valueCoding"] for o in item["answerOption"]]
        for item in published["item"]
    }
    [response] = export(pat.id, "olga").of("QuestionnaireResponse")
    assert response["questionnaire"] == f"{published['url']}|{published['version']}"
    assert "q5a" not in [i["linkId"] for i in response["item"]]
    for item in response["item"]:
        assert item["answer"][0]["valueCoding"] in options[item["linkId"]]
