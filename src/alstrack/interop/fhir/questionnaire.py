"""The ALSFRS-R as a FHIR Questionnaire, built from the instrument's own data file.

No LOINC code for the ALSFRS-R was found (interop.md): its items are coded in alstrack's code
system, and its answers 4 (normal) to 0 carry the wording of each item's choices.
"""

from __future__ import annotations

from typing import Any

from alstrack.domain.instruments import Instrument
from alstrack.interop.fhir.clinical import ALSFRS, ALSFRS_ANSWER, QUESTIONNAIRE
from alstrack.interop.fhir.resources import coding, parse

__all__ = ["answer_labels", "questionnaire"]


def answer_labels(instrument: Instrument) -> dict[str, dict[str, str]]:
    """Each item's choice wording by the value's text."""
    return {
        item.key: {str(choice.value): choice.label for choice in item.choices}
        for item in instrument.items
    }


def questionnaire(instrument: Instrument) -> dict[str, Any]:
    """The instrument (the ALSFRS-R) as an R4 Questionnaire, checked by the R4B model."""
    items = [
        {
            "linkId": item.key,
            "code": [coding(ALSFRS, item.key)],
            "text": item.label,
            "type": "choice",
            "answerOption": [
                {
                    "valueCoding": {
                        "system": ALSFRS_ANSWER,
                        "code": str(choice.value),
                        "display": choice.label,
                    }
                }
                for choice in item.choices
            ],
        }
        for item in instrument.items
    ]
    return parse(
        {
            "resourceType": "Questionnaire",
            "id": "alsfrs-r",
            "url": QUESTIONNAIRE,
            "version": instrument.version,
            "name": "ALSFRS_R",
            "title": instrument.name,
            "status": "active",
            "subjectType": ["Patient"],
            "publisher": "alstrack",
            "description": f"{instrument.notes or ''} Source: {instrument.source}".strip(),
            "code": [coding(ALSFRS, "total")],
            "item": items,
        }
    )
