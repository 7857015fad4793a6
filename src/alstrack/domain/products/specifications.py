"""Release specifications of cell products as versioned data, and the judgement of test results.

Each product type (one per cell source) lists its release tests, each with its limit, the
sources the limit comes from and how far it was verified (read / secondary / not verified), so
a product can show where every number comes from. The shipped file is
domain/data/products/specifications.yaml. A missing result never passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alstrack.domain.datafiles import parse_model, read_text
from alstrack.errors import FieldError, InvalidInput

__all__ = [
    "Cited",
    "Outcome",
    "ReleaseTest",
    "ResultValue",
    "Source",
    "Specification",
    "SpecificationSet",
    "TemperatureRange",
    "TestJudgement",
    "builtin_specifications",
    "expiry_after_thaw",
    "judge_dose_endotoxin",
    "judge_results",
    "load_specifications",
    "release_blockers",
    "temperature_excursion",
]

Status = Literal["read", "secondary", "not verified"]
Operator = Literal["gte", "gt", "lte", "lt", "between", "within_plan", "in"]
ResultValue = float | int | str | None
NOT_DONE = "not_done"  # a code result that says the test was not done: missing, never a pass

_Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
_SourceKey = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]
_Text = Annotated[str, Field(min_length=1)]
_Number = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_SYMBOLS: Mapping[str, str] = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 (a test outcome, not a password)
    FAIL = "fail"
    MISSING = "missing"


@dataclass(frozen=True)
class TestJudgement:
    """One release test judged: the outcome, the value, the limit and why, in words."""

    __test__: ClassVar[bool] = False  # a domain class, not a pytest test class

    test: str
    label: str
    outcome: Outcome
    value: float | int | str | None
    limit: str
    reason: str


class _Frozen(BaseModel):
    # extra="forbid" turns a misspelt key in a data file into an error instead of a silent default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    cite: _Text
    url: str | None = None


class Cited(_Frozen):
    """A value with the sources it comes from and how far it was verified against them."""

    sources: tuple[_SourceKey, ...] = ()
    status: Status
    note: str | None = None

    @model_validator(mode="after")
    def _verified_names_a_source(self) -> Self:
        if self.status != "not verified" and not self.sources:
            raise ValueError(f"a value whose status is {self.status!r} names its sources")
        return self


class ReleaseTest(Cited):
    """One release test and its limit; ids are the lot.* data elements of the REL- rules."""

    id: _Key
    label: _Text
    group: Literal["identity", "viability", "sterility", "safety", "genetic_stability", "dose"]
    rule: Annotated[str, Field(pattern=r"^REL-[A-Z]+-\d{3}$")] | None = None
    method: str | None = None
    operator: Operator
    unit: str | None = None
    limit: _Number | None = None  # gte, gt, lte, lt
    range: tuple[_Number, _Number] | None = None  # between
    tolerance_pct: Annotated[float, Field(gt=0, lt=100)] | None = None  # within_plan
    codes: tuple[_Key, ...] | None = None  # in: every code a result may take
    accepted: tuple[_Key, ...] | None = None  # in: the codes that pass

    @model_validator(mode="after")
    def _limit_fits_operator(self) -> Self:
        wanted = {
            "between": "range",
            "within_plan": "tolerance_pct",
            "in": "codes",
        }.get(self.operator, "limit")
        given = {
            name
            for name in ("limit", "range", "tolerance_pct", "codes", "accepted")
            if getattr(self, name) is not None
        } - {"accepted"}
        if given != {wanted}:
            raise ValueError(f"{self.id}: operator {self.operator} takes {wanted} (and only it)")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"{self.id}: range is [low, high], and {self.range[0]} is above")
        if self.operator == "in":
            accepted = set(self.accepted or ())
            if not accepted or not accepted <= set(self.codes or ()) or NOT_DONE in accepted:
                raise ValueError(f"{self.id}: accepted codes must be some of codes (not not_done)")
        elif self.accepted is not None:
            raise ValueError(f"{self.id}: accepted belongs to operator in")
        return self

    def describe_limit(self, planned_dose_cells: int | None = None) -> str:
        """The limit in words, e.g. "≥ 95%" or "plan dose ± 10% (90,000,000–110,000,000 cells)"."""
        if self.operator == "in":
            return " or ".join(self.accepted or ())
        if self.operator == "between" and self.range is not None:
            low, high = self.range
            return f"{_show(low, None)}–{_show(high, self.unit)}"
        if self.operator == "within_plan":
            around = f"plan dose ± {_show(self.tolerance_pct or 0, '%')}"
            bounds = self.dose_bounds(planned_dose_cells)
            if bounds is None:
                return around
            return f"{around} ({_show(bounds[0], None)}–{_show(bounds[1], self.unit)})"
        return f"{_SYMBOLS[self.operator]} {_show(self.limit or 0, self.unit)}"

    def dose_bounds(self, planned: int | None) -> tuple[Decimal, Decimal] | None:
        """The plan's dose ± the tolerance (within_plan only), or None without a plan dose."""
        if planned is None or self.tolerance_pct is None:
            return None
        share = _decimal(self.tolerance_pct) / 100
        return Decimal(planned) * (1 - share), Decimal(planned) * (1 + share)


class CitedHours(Cited):
    value: Annotated[float, Field(gt=0, allow_inf_nan=False)]


class DoseEndotoxin(Cited):
    """The per-dose endotoxin check at administration: K × body weight from the plan."""

    rule: Annotated[str, Field(pattern=r"^REL-[A-Z]+-\d{3}$")]


class TemperatureRange(Cited):
    """The temperature a product must be at when these custody steps record one (°C)."""

    steps: tuple[Annotated[str, Field(pattern=r"^[a-z_]+$")], ...] = Field(min_length=1)
    min_c: Annotated[float, Field(ge=-273.15, le=100, allow_inf_nan=False)] | None = None
    max_c: Annotated[float, Field(ge=-273.15, le=100, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.min_c is None and self.max_c is None:
            raise ValueError(f"the range of {', '.join(self.steps)} has neither min_c nor max_c")
        if self.min_c is not None and self.max_c is not None and self.min_c >= self.max_c:
            raise ValueError(f"the range of {', '.join(self.steps)}: min_c must be below max_c")
        return self

    def describe(self) -> str:
        if self.min_c is not None and self.max_c is not None:
            return f"{self.min_c:g} to {self.max_c:g} °C"
        return f"≤ {self.max_c:g} °C" if self.max_c is not None else f"≥ {self.min_c:g} °C"


class Specification(_Frozen):
    """The release specification of one product type (its id is the cell source id)."""

    id: _Key
    label: _Text
    origin: Literal["autologous", "allogeneic"]
    version: _Text
    note: str | None = None
    tests: tuple[ReleaseTest, ...]
    expiry_after_thaw_hours: CitedHours
    dose_endotoxin: DoseEndotoxin
    custody_temperatures: tuple[TemperatureRange, ...] = ()

    @model_validator(mode="after")
    def _unique_tests(self) -> Self:
        if not self.tests:
            raise ValueError(f"{self.id}: the specification has no tests")
        ids = [test.id for test in self.tests]
        duplicates = sorted({test_id for test_id in ids if ids.count(test_id) > 1})
        if duplicates:
            raise ValueError(f"{self.id}: duplicate test ids: {', '.join(duplicates)}")
        steps = [step for band in self.custody_temperatures for step in band.steps]
        twice = sorted({step for step in steps if steps.count(step) > 1})
        if twice:
            raise ValueError(f"{self.id}: steps with two temperature ranges: {', '.join(twice)}")
        return self

    def test(self, test_id: str) -> ReleaseTest | None:
        return next((test for test in self.tests if test.id == test_id), None)


class SpecificationSet(_Frozen):
    """A versioned file of product specifications and the sources they cite."""

    specifications: Literal["cell_products"]
    version: _Text
    source: _Text
    notes: str | None = None
    sources: dict[_SourceKey, Source]
    products: tuple[Specification, ...]

    @model_validator(mode="after")
    def _ids_and_citations(self) -> Self:
        if not self.products:
            raise ValueError("the file has no product specifications")
        ids = self.ids()
        duplicates = sorted({product for product in ids if ids.count(product) > 1})
        if duplicates:
            raise ValueError(f"duplicate product ids: {', '.join(duplicates)}")
        for product in self.products:
            cited = [product.expiry_after_thaw_hours, product.dose_endotoxin, *product.tests]
            unknown = sorted({key for value in cited for key in value.sources} - set(self.sources))
            if unknown:
                raise ValueError(f"{product.id} cites unknown sources: {', '.join(unknown)}")
        return self

    def ids(self) -> tuple[str, ...]:
        return tuple(product.id for product in self.products)

    def get(self, product_id: str, *, field: str) -> Specification:
        """The specification with that id; InvalidInput on `field` naming the ids allowed."""
        found = next((product for product in self.products if product.id == product_id), None)
        if found is None:
            allowed = ", ".join(self.ids())
            raise InvalidInput.for_field(field, f"{product_id!r} is not known; choose {allowed}")
        return found


def load_specifications(path: Path | Traversable) -> SpecificationSet:
    """Read and check a specifications file; InvalidInput names the file and what is wrong."""
    holds = "specifications, version, sources, products"
    return parse_model(read_text(path), str(path), SpecificationSet, holds=holds)


@cache
def builtin_specifications() -> SpecificationSet:
    """The product specifications shipped with alstrack (frozen)."""
    return load_specifications(
        files("alstrack.domain").joinpath("data", "products", "specifications.yaml")
    )


def judge_results(
    spec: Specification,
    results: Mapping[str, ResultValue],
    *,
    planned_dose_cells: int | None = None,
) -> list[TestJudgement]:
    """Every test of the specification judged pass, fail or missing, in the order of the spec.

    ``results`` maps test ids to values (a number, or a code such as "negative"); a test with
    no result, None or "not_done" is missing. The dose test compares with the plan's dose.
    InvalidInput names every result that is not a test of the spec or not a possible value.
    """
    errors = [
        FieldError(f"results.{key}", f"is not a test of {spec.id}; choose {_ids(spec)}")
        for key in results
        if spec.test(key) is None
    ]
    for test in spec.tests:
        problem = _impossible(test, results.get(test.id))
        if problem is not None:
            errors.append(FieldError(f"results.{test.id}", problem))
    if planned_dose_cells is not None and (
        isinstance(planned_dose_cells, bool)
        or not isinstance(planned_dose_cells, int)
        or planned_dose_cells <= 0
    ):
        errors.append(FieldError("planned_dose_cells", "must be a whole number of cells above 0"))
    if errors:
        raise InvalidInput(f"Invalid test results for {spec.id}", errors)
    return [_judge(test, results.get(test.id), planned_dose_cells) for test in spec.tests]


def release_blockers(judgements: Sequence[TestJudgement]) -> list[str]:
    """Why these judgements do not allow a release: every test that did not pass, in words."""
    if not judgements:
        return ["no test results were judged against the specification"]
    return [
        f"{j.label} {j.outcome.value}: {j.reason}" for j in judgements if j.outcome != Outcome.PASS
    ]


def judge_dose_endotoxin(
    endotoxin_eu_per_ml: float | None,
    dose_volume_ml: float | None,
    limit_eu_per_dose: float | None,
) -> TestJudgement:
    """The endotoxin in one dose (EU/mL × mL) against the route's K × weight (USP <85>).

    The same lot may pass intravenously and fail intrathecally; the limit comes from the plan
    (alstrack.domain.plans.endotoxin_limit). Anything unknown is missing.

    >>> judge_dose_endotoxin(0.5, 30.0, 14.0).outcome
    <Outcome.FAIL: 'fail'>
    """
    label = "Endotoxin in this dose"
    given = {
        "endotoxin_eu_per_ml": endotoxin_eu_per_ml,
        "dose_volume_ml": dose_volume_ml,
        "limit_eu_per_dose": limit_eu_per_dose,
    }
    errors = [
        FieldError(name, "must be a number, 0 or more")
        for name, value in given.items()
        if value is not None and (isinstance(value, bool) or not math.isfinite(value) or value < 0)
    ]
    if errors:
        raise InvalidInput("Invalid endotoxin dose check", errors)
    if limit_eu_per_dose is None:
        return TestJudgement(
            "dose_endotoxin_eu", label, Outcome.MISSING, None, "not known",
            "the route limit K × weight is not known (record the patient's weight)",
        )  # fmt: skip
    limit = f"≤ {_show(limit_eu_per_dose, 'EU')}"
    if endotoxin_eu_per_ml is None or dose_volume_ml is None:
        reason = "the endotoxin result (EU/mL) and the dose volume (mL) are both needed"
        return TestJudgement("dose_endotoxin_eu", label, Outcome.MISSING, None, limit, reason)
    dose = _decimal(endotoxin_eu_per_ml) * _decimal(dose_volume_ml)
    formula = " ".join(
        (
            _show(endotoxin_eu_per_ml, "EU/mL"),
            "×",
            _show(dose_volume_ml, "mL"),
            "=",
            _show(dose, "EU"),
        )
    )
    passed = dose <= _decimal(limit_eu_per_dose)
    outcome = Outcome.PASS if passed else Outcome.FAIL
    verdict = "is within" if passed else "exceeds"
    reason = f"{formula} {verdict} the limit of {_show(limit_eu_per_dose, 'EU')}"
    return TestJudgement("dose_endotoxin_eu", label, outcome, float(dose), limit, reason)


def temperature_excursion(
    spec: Specification, step: str, temperature_c: float | None
) -> str | None:
    """Why a temperature recorded with a custody step is an excursion, or None.

    >>> spec = builtin_specifications().get("allogeneic_uc_msc", field="cell_source")
    >>> temperature_excursion(spec, "receive_at_clinic", -120.0)
    'receive at clinic at -120 °C: outside ≤ -135 °C (allogeneic_uc_msc specification 1.1)'
    """
    if temperature_c is None:
        return None
    band = next((b for b in spec.custody_temperatures if step in b.steps), None)
    if band is None:
        return None
    low = band.min_c is not None and temperature_c < band.min_c
    high = band.max_c is not None and temperature_c > band.max_c
    if not (low or high):
        return None
    return (
        f"{step.replace('_', ' ')} at {temperature_c:g} °C: outside {band.describe()} "
        f"({spec.id} specification {spec.version})"
    )


def expiry_after_thaw(spec: Specification, thawed_at: datetime) -> datetime:
    """When a thawed product expires: the thaw time plus the specification's hours."""
    if thawed_at.tzinfo is None:
        raise InvalidInput.for_field("thawed_at", "must be timezone-aware")
    return thawed_at + timedelta(hours=spec.expiry_after_thaw_hours.value)


def _impossible(test: ReleaseTest, value: ResultValue) -> str | None:
    """Why a value cannot be a result of this test, or None if it can (or is absent)."""
    if value is None:
        return None
    if test.operator == "in":
        if isinstance(value, str) and value in (test.codes or ()):
            return None
        return f"must be one of {', '.join(test.codes or ())}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number, 0 or more"
    if not math.isfinite(value) or value < 0:
        return "must be a number, 0 or more"
    if test.unit == "%" and value > 100:
        return "is a percentage: 0 to 100"
    return None


def _judge(test: ReleaseTest, value: ResultValue, planned: int | None) -> TestJudgement:
    limit = test.describe_limit(planned)

    def judged(outcome: Outcome, reason: str) -> TestJudgement:
        return TestJudgement(test.id, test.label, outcome, value, limit, reason)

    if value is None or value == NOT_DONE:
        return judged(Outcome.MISSING, "not done" if value == NOT_DONE else "no result recorded")
    if isinstance(value, str):
        if value in (test.accepted or ()):
            return judged(Outcome.PASS, f"{value} is accepted")
        return judged(Outcome.FAIL, f"{value} is not accepted (accepted: {limit})")
    shown = _show(value, test.unit)
    exact = _decimal(value)
    if test.operator == "within_plan":
        bounds = test.dose_bounds(planned)
        if bounds is None:
            return judged(Outcome.MISSING, "the plan's dose per administration is not known")
        passed = bounds[0] <= exact <= bounds[1]
    elif test.operator == "between" and test.range is not None:
        passed = _decimal(test.range[0]) <= exact <= _decimal(test.range[1])
    else:
        passed = _compare(test.operator, exact, _decimal(test.limit or 0))
    if passed:
        return judged(Outcome.PASS, f"{shown} meets {limit}")
    return judged(Outcome.FAIL, f"{shown} does not meet {limit}")


def _compare(operator: str, value: Decimal, limit: Decimal) -> bool:
    if operator == "gte":
        return value >= limit
    if operator == "gt":
        return value > limit
    if operator == "lte":
        return value <= limit
    return value < limit


def _ids(spec: Specification) -> str:
    return ", ".join(test.id for test in spec.tests)


def _decimal(value: float | Decimal) -> Decimal:
    # The shortest decimal that reads back as the same float: the number as it was written.
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def _show(value: float | Decimal, unit: str | None) -> str:
    # As written, with thousands separators: 1e8 -> "100,000,000", 0.5 -> "0.5", 95.0 -> "95".
    exact = _decimal(value)
    whole = exact == exact.to_integral_value()
    number = f"{int(exact):,}" if whole else f"{exact.normalize():,f}"
    if unit is None:
        return number
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}"
