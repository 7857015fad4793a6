"""The donor tests the donor-eligibility determination requires, as versioned data."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alstrack.domain.datafiles import parse_model, read_text

__all__ = ["DonorTest", "DonorTests", "load_donor_tests", "required_donor_tests"]

_Text = Annotated[str, Field(min_length=1)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DonorTest(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
    label: _Text


class DonorTests(_Frozen):
    version: _Text
    source: _Text
    status: Literal["read", "secondary", "not verified"]
    note: str | None = None
    tests: tuple[DonorTest, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [test.id for test in self.tests]
        if len(set(ids)) != len(ids):
            raise ValueError("a test id is listed twice")
        return self


def load_donor_tests(path: Path | Traversable) -> DonorTests:
    """Read and check a donor-test file; InvalidInput names the file and what is wrong."""
    return parse_model(read_text(path), str(path), DonorTests, holds="version, source, tests")


@cache
def required_donor_tests() -> DonorTests:
    """The shipped list (frozen)."""
    return load_donor_tests(
        files("alstrack.domain").joinpath("data", "products", "donor-tests.yaml")
    )
