"""The PRO-ACT CSV format (proact-format.md): its file and column names, and one row of each
table read into plain values, or refused with the reason.

Times are day offsets from each trial's baseline (``*_Delta``), never dates. Real files carry
quirks: ``subject_id`` or ``SubjectID``; half-point item scores; rows with both 5a and 5b; rows
with only the original ALSFRS (whose breathing item ``Q10_Respiratory`` cannot stand in for the
ALSFRS-R items 10-12); blank cells; units that differ between trials. Each row is read alone:
the importer reports every row refused, with the reason, and imports the rest. Nothing here
reads a file or a clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from alstrack.domain.alsfrs import score, validate_items
from alstrack.errors import InvalidInput

__all__ = [
    "FILES",
    "PROACT_ITEMS",
    "AlsfrsRow",
    "DeathRow",
    "DemographicsRow",
    "FvcRow",
    "HistoryRow",
    "RowRefused",
    "read_alsfrs",
    "read_death",
    "read_demographics",
    "read_fvc",
    "read_history",
    "subject_of",
]

# ALSFRS headers and the ALSFRS-R items they hold. R_1..R_3 are items 10-12.
PROACT_ITEMS: dict[str, str] = {
    "Q1_Speech": "q1",
    "Q2_Salivation": "q2",
    "Q3_Swallowing": "q3",
    "Q4_Handwriting": "q4",
    "Q5a_Cutting_without_Gastrostomy": "q5a",
    "Q5b_Cutting_with_Gastrostomy": "q5b",
    "Q6_Dressing_and_Hygiene": "q6",
    "Q7_Turning_in_Bed": "q7",
    "Q8_Walking": "q8",
    "Q9_Climbing_Stairs": "q9",
    "R_1_Dyspnea": "q10",
    "R_2_Orthopnea": "q11",
    "R_3_Respiratory_Insufficiency": "q12",
}
ORIGINAL_BREATHING = "Q10_Respiratory"
# Each table's file names across exports (2016: alsfrs.csv; later PROACT_ALSFRS.csv,
# F_PROACT_ALSFRS.csv), matched without regard to case.
FILES: dict[str, tuple[str, ...]] = {
    name: (f"{stem}.csv", f"PROACT_{name.upper()}.csv", f"F_PROACT_{name.upper()}.csv")
    for name, stem in (
        ("alsfrs", "alsfrs"),
        ("alshistory", "AlsHistory"),
        ("deathdata", "DeathData"),
        ("fvc", "Fvc"),
        ("demographics", "demographics"),
    )
}


# What the cohort tables hold: a subject id of up to 64 characters, without a NUL (PostgreSQL
# stores none in text); a day offset within a century of the trial's baseline, which no visit
# of a trial is beyond (and which an INTEGER column holds).
_SUBJECT_MAX = 64
_DAYS_MAX = 36_525


class RowRefused(Exception):
    """A row that cannot be imported, and why."""


@dataclass(frozen=True)
class AlsfrsRow:
    subject: str
    delta_days: int
    items: dict[str, float | None]
    total: float | None  # None when missing items could change it


@dataclass(frozen=True)
class HistoryRow:
    subject: str
    onset_region: str | None  # bulbar | spinal | mixed | other
    onset_delta_days: int | None
    diagnosis_delta_days: int | None


@dataclass(frozen=True)
class DeathRow:
    subject: str
    died: bool
    death_delta_days: int | None


@dataclass(frozen=True)
class FvcRow:
    subject: str
    delta_days: int
    percent_predicted: float | None  # the best of the trials
    litres: float | None


@dataclass(frozen=True)
class DemographicsRow:
    subject: str
    age_years: float | None
    sex: str | None  # female | male


def subject_of(row: Mapping[str, str]) -> str:
    """The subject id (``subject_id`` or ``SubjectID``)."""
    for key in ("subject_id", "SubjectID", "subjectid", "Subject_ID"):
        value = (row.get(key) or "").strip()
        if "\x00" in value:
            raise RowRefused(f"{key} holds a NUL character (\\u0000)")
        if len(value) > _SUBJECT_MAX:
            raise RowRefused(f"{key} has {len(value)} characters: allowed up to {_SUBJECT_MAX}")
        if value:
            return value
    raise RowRefused("no subject_id")


def read_alsfrs(row: Mapping[str, str]) -> AlsfrsRow:
    """One ALSFRS-R visit; refused: both 5a and 5b, the original ALSFRS only, no items, an
    item out of range, no ALSFRS_Delta.

    >>> r = read_alsfrs({"subject_id": "7", "ALSFRS_Delta": "0", "Q1_Speech": "4",
    ...                  "Q5a_Cutting_without_Gastrostomy": "3.5", "R_1_Dyspnea": "4"})
    >>> r.items["q1"], r.items["q5a"], r.total
    (4.0, 3.5, None)
    """
    subject = subject_of(row)
    delta = _days(row, "ALSFRS_Delta", required=True)
    assert delta is not None
    lower = {key.lower(): value for key, value in row.items() if key}
    items: dict[str, object] = {}
    for header, item in PROACT_ITEMS.items():
        value = _number(lower.get(header.lower()), header)
        if value is not None:
            items[item] = value
    breathing = [items.get(i) for i in ("q10", "q11", "q12")]
    if (
        all(v is None for v in breathing)
        and _number(lower.get(ORIGINAL_BREATHING.lower()), ORIGINAL_BREATHING) is not None
    ):
        raise RowRefused("the original ALSFRS only (Q10_Respiratory, no R_1-R_3): not ALSFRS-R")
    if not items:
        raise RowRefused("no ALSFRS-R item")
    try:
        checked = validate_items(items, allow_half_points=True)
        scored = score(items, allow_half_points=True)
    except InvalidInput as error:
        raise RowRefused("; ".join(f"{f.field}: {f.message}" for f in error.fields)) from None
    return AlsfrsRow(subject, delta, checked, scored.total)


def read_history(row: Mapping[str, str]) -> HistoryRow:
    """Onset region and the onset and diagnosis day offsets."""
    subject = subject_of(row)
    return HistoryRow(
        subject=subject,
        onset_region=_onset_region(row),
        onset_delta_days=_days(row, "Onset_Delta"),
        diagnosis_delta_days=_days(row, "Diagnosis_Delta"),
    )


def read_death(row: Mapping[str, str]) -> DeathRow:
    subject = subject_of(row)
    died = (row.get("Subject_Died") or "").strip().lower()
    if died not in {"yes", "no"}:
        raise RowRefused(f"Subject_Died is {died or 'blank'}; allowed: Yes or No")
    return DeathRow(subject, died == "yes", _days(row, "Death_Days"))


def read_fvc(row: Mapping[str, str]) -> FvcRow:
    """An FVC visit: the best % of normal and the best litres of the trials."""
    subject = subject_of(row)
    delta = _days(row, "Forced_Vital_Capacity_Delta", required=True)
    assert delta is not None
    lower = {key.lower(): value for key, value in row.items() if key}
    percents = [
        p
        for k in (1, 2, 3)
        if (p := _number(lower.get(f"pct_of_normal_trial_{k}"), f"pct_of_Normal_Trial_{k}"))
        is not None
    ]
    litres = [
        v
        for k in (1, 2, 3)
        if (v := _number(lower.get(f"subject_liters_trial_{k}"), f"Subject_Liters_Trial_{k}"))
        is not None
    ]
    if not percents and not litres:
        raise RowRefused("no FVC value")
    if any(not 0 < p <= 250 for p in percents):
        raise RowRefused("pct_of_Normal out of range: allowed above 0 to 250")
    return FvcRow(
        subject, delta, max(percents) if percents else None, max(litres) if litres else None
    )


def read_demographics(row: Mapping[str, str]) -> DemographicsRow:
    subject = subject_of(row)
    age = _number(row.get("Age"), "Age")
    if age is not None and not 10 <= age <= 110:
        raise RowRefused(f"Age {age:g} is out of range: allowed 10 to 110")
    sex_value = (row.get("Sex") or "").strip().lower()
    sex = {"female": "female", "f": "female", "male": "male", "m": "male"}.get(sex_value)
    return DemographicsRow(subject, age, sex)


def _onset_region(row: Mapping[str, str]) -> str | None:
    text = (row.get("Site_of_Onset") or "").lower()
    flags = {
        name: (row.get(f"Site_of_Onset___{name}") or "").strip() not in {"", "0", "0.0"}
        for name in ("Bulbar", "Limb", "Limb_and_Bulbar", "Spine", "Other")
    }
    if "limb and bulbar" in text or flags["Limb_and_Bulbar"] or (flags["Bulbar"] and flags["Limb"]):
        return "mixed"
    if "bulbar" in text or flags["Bulbar"]:
        return "bulbar"
    if any(word in text for word in ("limb", "spine", "spinal")) or flags["Limb"] or flags["Spine"]:
        return "spinal"
    if text.strip() or flags["Other"]:
        return "other"
    return None


def _number(value: str | None, name: str) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise RowRefused(f"{name} is {text!r}: not a number") from None
    if math.isnan(number) or math.isinf(number):
        return None
    return number


def _days(row: Mapping[str, str], name: str, *, required: bool = False) -> int | None:
    lower = {key.lower(): value for key, value in row.items() if key}
    value = _number(lower.get(name.lower()), name)
    if value is None:
        if required:
            raise RowRefused(f"no {name}")
        return None
    if not value.is_integer():
        raise RowRefused(f"{name} is {value:g}: day offsets are whole days")
    if abs(value) > _DAYS_MAX:
        raise RowRefused(f"{name} is {value:g}: allowed from -{_DAYS_MAX} to {_DAYS_MAX} days")
    return int(value)
