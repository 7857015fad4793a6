"""What every FHIR writer shares: stable references, codings from the code table, parsing."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from alstrack.errors import InvalidInput
from alstrack.interop.fhir.codes import code_table, local

__all__ = ["coding", "concept", "extension_url", "parse", "quantity", "ref", "when"]

# Resources are named by urn:uuid, derived from alstrack's record ids: the same record gets the
# same uuid in every export, and the Bundle holds together without a server base URL.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://fhir.alstrack.org")


def ref(kind: str, record_id: int | str) -> str:
    """The urn:uuid of one exported resource (``kind`` tells apart resources of one record)."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{record_id}')}"


def resource_id(full_url: str) -> str:
    return full_url.removeprefix("urn:uuid:")


def coding(system: str, code: str) -> dict[str, str]:
    """A Coding with its display from the code table; refused for a code it does not list."""
    try:
        display = code_table().display(system, code)
    except KeyError:
        raise InvalidInput(
            f"The FHIR export uses codes alstrack does not know: {system} has no code {code} in "
            "alstrack's table (domain/data/fhir/codes.yaml)"
        ) from None
    return {"system": system, "code": code, "display": display}


def concept(system: str, code: str, text: str | None = None) -> dict[str, Any]:
    found = coding(system, code)
    return {"coding": [found], "text": text or found["display"]}


UCUM = "http://unitsofmeasure.org"


def quantity(value: float, code: str) -> dict[str, Any]:
    return {"value": value, "unit": code_table().display(UCUM, code), "system": UCUM, "code": code}


def extension_url(name: str) -> str:
    """One of alstrack's own extensions."""
    return local(f"StructureDefinition/{name}")


def when(value: date | datetime) -> str:
    return value.isoformat()


def parse(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` checked by its R4B model, as the JSON the model writes."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return dumped
