"""A personalised MSC treatment plan: its catalogues, the dose and the endotoxin limit per route.

Cell sources, routes (with their endotoxin factor K and the doses accepted as input), adjunct
therapies and the plan parameters (how fresh a screening and a weight must be) are data in
domain/data/plans/*.yaml, checked when loaded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alstrack.domain.anthropometry import check_measurements
from alstrack.domain.datafiles import parse_model, read_text
from alstrack.errors import FieldError, InvalidInput

__all__ = [
    "ADJUNCT_EVERY_DAYS_MAX",
    "ADJUNCT_SESSIONS_MAX",
    "AdjunctCatalogue",
    "AdjunctTherapy",
    "Catalogue",
    "CellSource",
    "CellSourceCatalogue",
    "DoseBasis",
    "DoseResult",
    "EndotoxinLimit",
    "Parameter",
    "PlanParameters",
    "PlannedAdjunct",
    "Plausibility",
    "Route",
    "RouteCatalogue",
    "adjunct_therapies",
    "cell_sources",
    "check_adjuncts",
    "check_schedule",
    "dose_formula",
    "dose_per_administration",
    "endotoxin_formula",
    "endotoxin_limit",
    "load_catalogue",
    "load_parameters",
    "missing_values",
    "plan_parameters",
    "routes",
    "total_cells",
]

DoseBasis = Literal["per_kg", "fixed"]
_DOSE_NEEDS_WEIGHT = "a per-kg dose needs the patient's weight; record a weight to compute it"
_LIMIT_NEEDS_WEIGHT = (
    "the endotoxin limit needs the patient's weight; record a weight to compute it"
)
_Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
_Text = Annotated[str, Field(min_length=1)]
_Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Frozen(BaseModel):
    # extra="forbid" turns a misspelt key in a data file into an error instead of a silent default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Entry(_Frozen):
    id: _Key
    label: _Text
    note: str | None = None


class CellSource(_Entry):
    """Where the cells come from; autologous cells must first be collected from the patient."""

    origin: Literal["autologous", "allogeneic"]
    tissue: Literal["bone_marrow", "adipose", "umbilical_cord", "wharton_jelly"]
    requires_collection: bool

    @model_validator(mode="after")
    def _collection_follows_origin(self) -> Self:
        if self.requires_collection != (self.origin == "autologous"):
            raise ValueError(f"{self.id}: requires_collection is true exactly for autologous cells")
        return self


class Route(_Entry):
    """A route of administration and its USP <85> endotoxin factor K (EU per kg body weight)."""

    endotoxin_k_eu_per_kg: _Positive
    source: _Text
    # Given by lumbar puncture: the screening's LP- safety criteria are judged at the bedside.
    lumbar_puncture: bool = False


class AdjunctTherapy(_Entry):
    """A therapy planned alongside the cells; detail_required: the plan must say what it is.

    ``own`` marks an entry the programme added in its own catalogue file (domain/adjuncts.py).
    """

    detail_required: bool = False
    own: bool = False


class Plausibility(_Frozen):
    """Input plausibility limits (inclusive) that catch unit and typing errors; not clinical."""

    source: _Text
    cells_per_kg: tuple[_Positive, _Positive]
    fixed_cells: tuple[_Positive, _Positive]
    administrations: tuple[Annotated[int, Field(ge=1)], int]
    interval_days: tuple[Annotated[int, Field(ge=1)], int]

    @model_validator(mode="after")
    def _low_before_high(self) -> Self:
        for name in ("cells_per_kg", "fixed_cells", "administrations", "interval_days"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"{name} is [low, high], and {low} is above {high}")
        return self


E = TypeVar("E", bound=_Entry)


class Catalogue(_Frozen, Generic[E]):
    """A versioned list of entries with unique ids, and where it comes from."""

    catalogue: str
    version: _Text
    source: _Text
    notes: str | None = None
    entries: tuple[E, ...]

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        if not self.entries:
            raise ValueError("the catalogue has no entries")
        ids = self.ids()
        duplicates = sorted({entry_id for entry_id in ids if ids.count(entry_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate ids: {', '.join(duplicates)}")
        return self

    def ids(self) -> tuple[str, ...]:
        return tuple(entry.id for entry in self.entries)

    def find(self, entry_id: str) -> E | None:
        return next((entry for entry in self.entries if entry.id == entry_id), None)

    def get(self, entry_id: str, *, field: str) -> E:
        """The entry with that id; InvalidInput on `field` naming the ids allowed."""
        found = self.find(entry_id)
        if found is None:
            raise InvalidInput.for_field(field, self.unknown(entry_id, field).message)
        return found

    def unknown(self, entry_id: str, field: str) -> FieldError:
        """The error for an id that is not in the catalogue, naming the ids allowed."""
        return FieldError(field, f"{entry_id!r} is not known; choose {', '.join(self.ids())}")


class CellSourceCatalogue(Catalogue[CellSource]):
    catalogue: Literal["cell_sources"]


class RouteCatalogue(Catalogue[Route]):
    catalogue: Literal["routes"]
    plausibility: Plausibility


class AdjunctCatalogue(Catalogue[AdjunctTherapy]):
    catalogue: Literal["adjunct_therapies"]


C = TypeVar("C", bound=Catalogue[Any])


def load_catalogue(path: Path | Traversable, schema: type[C]) -> C:
    """Read and check one catalogue file; InvalidInput names the file and what is wrong."""
    return parse_model(read_text(path), str(path), schema, holds="catalogue, version, ...")


@cache
def cell_sources() -> CellSourceCatalogue:
    """The cell sources shipped with alstrack (frozen)."""
    return load_catalogue(_builtin("cell-sources.yaml"), CellSourceCatalogue)


@cache
def routes() -> RouteCatalogue:
    """The routes of administration and the plausible doses shipped with alstrack (frozen)."""
    return load_catalogue(_builtin("routes.yaml"), RouteCatalogue)


@cache
def adjunct_therapies() -> AdjunctCatalogue:
    """The adjunct therapies shipped with alstrack (frozen)."""
    return load_catalogue(_builtin("adjuncts.yaml"), AdjunctCatalogue)


class Parameter(_Frozen):
    """One plan parameter: its value, why it is what it is, and whether a clinician confirmed it."""

    value: Annotated[int, Field(ge=1)]
    note: _Text
    status: Literal["not verified", "verified"]
    source: _Text | None = None  # who confirmed it, and when; required once verified

    @model_validator(mode="after")
    def _verified_names_its_source(self) -> Self:
        if self.status == "verified" and self.source is None:
            raise ValueError("a verified parameter names its source (who confirmed it, when)")
        return self


class PlanParameters(_Frozen):
    """How fresh the screening and the weight of a plan must be."""

    parameters: Literal["plans"]
    version: _Text
    screening_backdate_hours: Parameter
    screening_valid_days: Parameter
    weight_max_age_days: Parameter
    lumbar_puncture_checks_max_age_days: Parameter


def load_parameters(path: Path | Traversable) -> PlanParameters:
    """Read and check a plan parameters file; InvalidInput names the file and what is wrong."""
    return parse_model(read_text(path), str(path), PlanParameters, holds="parameters, version, ...")


@cache
def plan_parameters() -> PlanParameters:
    """The plan parameters shipped with alstrack (frozen): programme defaults, not verified."""
    return load_parameters(_builtin("parameters.yaml"))


@dataclass(frozen=True)
class DoseResult:
    """The cells in one administration, or why they cannot be computed yet.

    A per-kg plan may be drafted before a weight is recorded, but not approved: approvable is
    False exactly when dose_cells is None, and missing says why.
    """

    basis: DoseBasis
    cells_per_kg: float | None
    fixed_cells: float | None
    weight_kg: float | None  # the weight the dose was computed from; None for a fixed dose
    dose_cells: int | None
    formula: str
    missing: str | None
    approvable: bool


def dose_per_administration(
    basis: DoseBasis,
    *,
    cells_per_kg: float | None,
    fixed_cells: float | None,
    weight_kg: float | None,
) -> DoseResult:
    """The cells in one administration: cells/kg × the latest weight, or a fixed count.

    Cells are counts, so a per-kg dose is rounded to a whole cell, half to even, after
    multiplying the numbers as written in decimal (1e6 cells/kg × 64.1 kg is 64,100,000 cells,
    not 64,099,999.99… as in binary floating point). A fixed dose ignores the weight.
    InvalidInput names each field at fault and what is allowed.

    >>> dose_per_administration(
    ...     "per_kg", cells_per_kg=1e6, fixed_cells=None, weight_kg=64.1
    ... ).dose_cells
    64100000
    """
    limits = routes().plausibility
    errors: list[FieldError] = []
    if basis == "per_kg":
        rate = _required(
            errors, "cells_per_kg", cells_per_kg, limits.cells_per_kg, "cells/kg", basis
        )
        _forbid(errors, "fixed_cells", fixed_cells, "cells_per_kg", basis)
        _check_weight(errors, weight_kg)
        if errors or rate is None:
            raise InvalidInput("Invalid dose", errors)
        return _per_kg_dose(rate, weight_kg)
    if basis == "fixed":
        count = _required(errors, "fixed_cells", fixed_cells, limits.fixed_cells, "cells", basis)
        _forbid(errors, "cells_per_kg", cells_per_kg, "fixed_cells", basis)
        if count is not None and not count.is_integer():
            errors.append(FieldError("fixed_cells", "must be a whole number of cells"))
        if errors or count is None:
            raise InvalidInput("Invalid dose", errors)
        dose = int(count)
        formula = dose_formula(basis, None, count, None, dose)
        return DoseResult(basis, None, count, None, dose, formula, None, True)
    raise InvalidInput.for_field("basis", f"{basis!r} is not a dose basis; choose per_kg, fixed")


def _per_kg_dose(cells_per_kg: float, weight_kg: float | None) -> DoseResult:
    if weight_kg is None:
        formula = dose_formula("per_kg", cells_per_kg, None, None, None)
        return DoseResult(
            "per_kg", cells_per_kg, None, None, None, formula, _DOSE_NEEDS_WEIGHT, False
        )
    exact = _decimal(cells_per_kg) * _decimal(weight_kg)
    dose = int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))
    formula = dose_formula("per_kg", cells_per_kg, None, weight_kg, dose)
    return DoseResult("per_kg", cells_per_kg, None, weight_kg, dose, formula, None, True)


def dose_formula(
    basis: str,
    cells_per_kg: float | None,
    fixed_cells: float | None,
    weight_kg: float | None,
    dose_cells: float | None,
) -> str:
    """How a dose is worked out, written from the numbers given; they are not checked again.

    >>> dose_formula("per_kg", 1e6, None, 64.1, 64_100_000)
    '1,000,000 cells/kg × 64.1 kg = 64,100,000 cells (rounded to a whole cell, half to even)'
    """
    if basis == "fixed":
        count = dose_cells if dose_cells is not None else fixed_cells
        return f"fixed: {_count(count)} cells"
    rate = f"{_number(cells_per_kg)} cells/kg" if cells_per_kg is not None else "cells/kg (none)"
    if weight_kg is None:
        return f"{rate} × weight (not recorded)"
    if dose_cells is None:
        return f"{rate} × {_number(weight_kg)} kg"
    return (
        f"{rate} × {_number(weight_kg)} kg = {_count(dose_cells)} cells"
        " (rounded to a whole cell, half to even)"
    )


def missing_values(
    basis: str, weight_kg: float | None, dose_cells: float | None, limit_eu: float | None
) -> dict[str, str]:
    """Why the dose, the total or the endotoxin limit of a plan is null, by name."""
    missing: dict[str, str] = {}
    if dose_cells is None:
        needs_weight = basis == "per_kg" and weight_kg is None
        missing["dose_cells"] = _DOSE_NEEDS_WEIGHT if needs_weight else "no dose was computed"
        missing["total_cells"] = "needs the dose per administration"
    if limit_eu is None:
        missing["endotoxin_limit_eu"] = (
            _LIMIT_NEEDS_WEIGHT if weight_kg is None else "no limit was computed"
        )
    return missing


@dataclass(frozen=True)
class EndotoxinLimit:
    """The most endotoxin one administration may carry by this route for this patient."""

    route: str
    k_eu_per_kg: float
    weight_kg: float | None
    limit_eu_per_dose: float | None  # None: no weight recorded yet
    formula: str
    source: str
    missing: str | None


def endotoxin_limit(route: str, weight_kg: float | None) -> EndotoxinLimit:
    """K × body weight in EU, K from the route (USP <85>: 0.2 EU/kg intrathecal, 5 otherwise).

    The whole dose is treated as given within one hour (USP <85> limits the dose per hour), so
    the limit never exceeds USP's. Multiplied in decimal like the dose: 0.2 × 70 is exactly 14.

    >>> endotoxin_limit("intrathecal", 70.0).limit_eu_per_dose
    14.0
    """
    errors: list[FieldError] = []
    found = routes().find(route)
    if found is None:
        errors.append(routes().unknown(route, "route"))
    _check_weight(errors, weight_kg)
    if errors or found is None:
        raise InvalidInput("Invalid endotoxin limit", errors)
    k = found.endotoxin_k_eu_per_kg
    if weight_kg is None:
        formula = endotoxin_formula(route, k, None, None)
        return EndotoxinLimit(route, k, None, None, formula, found.source, _LIMIT_NEEDS_WEIGHT)
    limit = float(_decimal(k) * _decimal(weight_kg))
    formula = endotoxin_formula(route, k, weight_kg, limit)
    return EndotoxinLimit(route, k, weight_kg, limit, formula, found.source, None)


def endotoxin_formula(route: str, k: float, weight_kg: float | None, limit: float | None) -> str:
    """How an endotoxin limit is worked out, written from the numbers given (not checked again).

    >>> endotoxin_formula("intrathecal", 0.2, 64.0, 12.8)
    'K × body weight, K = 0.2 EU/kg (intrathecal): 0.2 EU/kg × 64 kg = 12.8 EU'
    """
    general = f"K × body weight, K = {_number(k)} EU/kg ({route})"
    if weight_kg is None or limit is None:
        return general
    return f"{general}: {_number(k)} EU/kg × {_number(weight_kg)} kg = {_number(limit)} EU"


def check_schedule(administrations: int, interval_days: int | None) -> None:
    """Refuse a number of administrations or an interval outside the plausibility limits.

    Several administrations need the interval between them; a single one has none.
    """
    limits = routes().plausibility
    errors: list[FieldError] = []
    _check_int(errors, "administrations", administrations, limits.administrations, "")
    if interval_days is not None:
        _check_int(errors, "interval_days", interval_days, limits.interval_days, " days")
        if administrations == 1:
            errors.append(FieldError("interval_days", "a single administration has no interval"))
    elif isinstance(administrations, int) and administrations > 1:
        errors.append(FieldError("interval_days", "is required for more than one administration"))
    if errors:
        raise InvalidInput("Invalid schedule", errors)


def total_cells(dose_cells: int, administrations: int) -> int:
    """The cells over the whole plan: the dose per administration × the administrations."""
    errors: list[FieldError] = []
    if isinstance(dose_cells, bool) or not isinstance(dose_cells, int) or dose_cells < 0:
        errors.append(FieldError("dose_cells", "must be a whole number of cells, 0 or more"))
    limits = routes().plausibility
    _check_int(errors, "administrations", administrations, limits.administrations, "")
    if errors:
        raise InvalidInput("Invalid total", errors)
    return dose_cells * administrations


# Input bounds that catch typing errors in a plan's adjunct sessions; not clinical rules.
ADJUNCT_SESSIONS_MAX = 260  # e.g. physiotherapy weekly for five years
ADJUNCT_EVERY_DAYS_MAX = 366


@dataclass(frozen=True)
class PlannedAdjunct:
    """One adjunct therapy in a plan: its catalogue id, for `other` what it is, and how many
    sessions how many days apart (None: the plan does not say; sessions are planned one by one).
    """

    therapy: str
    detail: str | None = None
    sessions: int | None = None
    every_days: int | None = None


def check_adjuncts(
    planned: Sequence[PlannedAdjunct], catalogue: AdjunctCatalogue | None = None
) -> tuple[PlannedAdjunct, ...]:
    """The planned adjuncts with blank details as None; InvalidInput names every item at fault.

    A therapy appears once, except `other` (or any therapy that needs a detail), which may
    appear once per distinct detail. Several sessions need the days between them; one session
    or none stated takes no interval. ``catalogue`` defaults to the shipped one.

    >>> check_adjuncts([PlannedAdjunct("physiotherapy", sessions=12, every_days=7)])[0].sessions
    12
    >>> try:
    ...     check_adjuncts([PlannedAdjunct("physiotherapy", sessions=12)])
    ... except InvalidInput as error:
    ...     print(error.fields[0].field, "-", error.fields[0].message)
    adjunct_therapies.0.every_days - 12 sessions need the days between them
    """
    catalogue = catalogue or adjunct_therapies()
    errors: list[FieldError] = []
    checked: list[PlannedAdjunct] = []
    seen: set[tuple[str, str | None]] = set()
    for index, item in enumerate(planned):
        where = f"adjunct_therapies.{index}"
        detail = (item.detail or "").strip() or None
        therapy = catalogue.find(item.therapy)
        if therapy is None:
            errors.append(catalogue.unknown(item.therapy, f"{where}.therapy"))
            continue
        if therapy.detail_required and detail is None:
            errors.append(FieldError(f"{where}.detail", f"say what the {therapy.id} therapy is"))
        key = (therapy.id, detail if therapy.detail_required else None)
        if key in seen:
            errors.append(FieldError(f"{where}.therapy", f"{therapy.id} is listed twice"))
        seen.add(key)
        errors += _session_errors(where, item.sessions, item.every_days)
        checked.append(PlannedAdjunct(therapy.id, detail, item.sessions, item.every_days))
    if errors:
        raise InvalidInput("Invalid adjunct therapies", errors)
    return tuple(checked)


def _session_errors(where: str, sessions: int | None, every_days: int | None) -> list[FieldError]:
    errors: list[FieldError] = []
    if sessions is not None and not 1 <= sessions <= ADJUNCT_SESSIONS_MAX:
        errors.append(
            FieldError(f"{where}.sessions", f"must be 1 to {ADJUNCT_SESSIONS_MAX} sessions")
        )
    if every_days is not None and not 1 <= every_days <= ADJUNCT_EVERY_DAYS_MAX:
        errors.append(
            FieldError(f"{where}.every_days", f"must be 1 to {ADJUNCT_EVERY_DAYS_MAX} days")
        )
    if sessions is not None and sessions > 1 and every_days is None:
        errors.append(
            FieldError(f"{where}.every_days", f"{sessions} sessions need the days between them")
        )
    if every_days is not None and (sessions is None or sessions == 1):
        errors.append(
            FieldError(f"{where}.every_days", "is only for two or more sessions; give sessions")
        )
    return errors


def _builtin(name: str) -> Traversable:
    return files("alstrack.domain").joinpath("data", "plans", name)


def _required(
    errors: list[FieldError],
    field: str,
    value: float | None,
    bounds: tuple[float, float],
    unit: str,
    basis: str,
) -> float | None:
    """The value as a float if it lies within the bounds (inclusive); else None and an error."""
    low, high = bounds
    if value is None:
        errors.append(FieldError(field, f"is required when basis is {basis}"))
        return None
    if not isinstance(value, bool) and isinstance(value, int | float):
        number = float(value)
        if math.isfinite(number) and low <= number <= high:
            return number
    errors.append(
        FieldError(
            field,
            f"must be between {_number(low)} and {_number(high)} {unit}"
            " (input plausibility limits, not a clinical recommendation)",
        )
    )
    return None


def _forbid(
    errors: list[FieldError], field: str, value: float | None, instead: str, basis: str
) -> None:
    if value is not None:
        errors.append(FieldError(field, f"must be empty when basis is {basis}; give {instead}"))


def _check_int(
    errors: list[FieldError], field: str, value: int, bounds: tuple[int, int], unit: str
) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.append(FieldError(field, f"must be a whole number from {low} to {high}{unit}"))


def _check_weight(errors: list[FieldError], weight_kg: float | None) -> None:
    try:
        check_measurements(weight_kg=weight_kg)
    except InvalidInput as exc:
        errors.extend(exc.fields)


def _count(value: float | None) -> str:
    return f"{int(value):,}" if value is not None else "(none)"


def _decimal(value: float) -> Decimal:
    # The shortest decimal that reads back as the same float: the number as it was written.
    return Decimal(repr(float(value)))


def _number(value: float) -> str:
    # As written, with thousands separators: 1e6 -> "1,000,000", 0.2 -> "0.2", 70.0 -> "70".
    exact = _decimal(value)
    if exact == exact.to_integral_value():
        return f"{int(exact):,}"
    return f"{exact.normalize():,f}"
