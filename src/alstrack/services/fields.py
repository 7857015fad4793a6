"""Input types the services' models share: whole numbers as JSON numbers, ids and versions within
what the database stores."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

from alstrack.store.types import MAX_INTEGER

__all__ = ["MAX_INTEGER", "Number", "RecordId", "Version", "WholeNumber"]

# A whole number given as a JSON number: not true/false, not "5" (pydantic would read them as 1, 0
# and 5, and store a count nobody sent).
WholeNumber = Annotated[int, Strict()]
# A measurement given as a JSON number (a whole one too): not true/false, not "3.2" (pydantic
# would read true as 1.0 and a string as the number it spells: a value nobody measured).
Number = Annotated[float, Strict()]
# A number past MAX_INTEGER names no stored row: refused as invalid input, never sent to the
# database (PostgreSQL would fail the statement: "integer out of range").
RecordId = Annotated[int, Strict(), Field(ge=1, le=MAX_INTEGER)]
Version = Annotated[
    int, Strict(), Field(ge=1, le=MAX_INTEGER, description="The record's `version` as read")
]
