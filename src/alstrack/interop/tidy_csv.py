"""The registry as tidy, de-identified CSV files for research: one file per kind of record, a
data dictionary made from the same column definitions the files are written from, and a README.

The writers are pure: the values of each patient go in (``research_view.Subject``), CSV text
comes out. Dates
go in and never come out: every dated fact is written as whole days from symptom onset and from
the first dose, both columns, blank where the anchor is not recorded. The subject is the study
id. No name, birth date, record number, rater or free-text note is among the values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, get_args

from alstrack.domain.registry import (
    DiagnosticCategory,
    DiagnosticCriteria,
    Drug,
    Genetics,
    MilestoneKind,
    OnsetRegion,
    Sex,
    SpirometryPosition,
    YesNoUnknown,
)
from alstrack.domain.safety import Action, Outcome, Relatedness, Seriousness
from alstrack.interop.research_view import ALSFRS_ITEMS, Subject, capped_age

__all__ = [
    "DICTIONARY_FILE",
    "README_FILE",
    "TABLES",
    "Column",
    "Table",
    "cell",
    "csv_text",
    "data_dictionary",
    "readme",
    "tidy_files",
]

DICTIONARY_FILE = "data_dictionary.csv"
README_FILE = "README.txt"


# --- the column definitions: the files and the dictionary are both made from these ------------


@dataclass(frozen=True)
class Column:
    """One column of a file: its name, its dictionary entry, and how its value is read from a
    patient and one of their records."""

    name: str
    type: str  # string | integer | number | boolean
    meaning: str
    get: Callable[[Subject, Any], object]
    unit: str = ""
    allowed: str = ""


@dataclass(frozen=True)
class Table:
    """One file: its name, what its rows are, which records of a patient it holds, its columns."""

    file: str
    meaning: str
    records: Callable[[Subject], Iterable[Any]]
    columns: tuple[Column, ...] = field(default_factory=tuple)


def _days(later: date | None, anchor: date | None) -> int | None:
    return None if later is None or anchor is None else (later - anchor).days


def _dated(prefix: str, what: str, when: Callable[[Any], date | None]) -> tuple[Column, Column]:
    """The two offsets of a dated fact: from symptom onset and from the first dose."""
    return (
        Column(
            f"{prefix}days_from_onset",
            "integer",
            f"{what}: days from symptom onset (blank: onset not recorded)",
            lambda s, r: _days(when(r), s.onset_date),
            unit="d",
        ),
        Column(
            f"{prefix}days_from_first_dose",
            "integer",
            f"{what}: days from the first MSC dose, negative before it (blank: never dosed)",
            lambda s, r: _days(when(r), s.first_dose),
            unit="d",
        ),
    )


def _of(attribute: str) -> Callable[[Subject, Any], object]:
    return lambda _s, r: getattr(r, attribute)


def _col(name: str, kind: str, meaning: str, unit: str = "", allowed: str = "") -> Column:
    return Column(name, kind, meaning, _of(name), unit=unit, allowed=allowed)


def _item(item: str) -> Column:
    return Column(
        item,
        "number",
        f"ALSFRS-R item {item[1:]} as recorded (5a: without, 5b: with gastrostomy)",
        lambda _s, r: r.items.get(item),
        unit="{score}",
        allowed="0 to 4 (PRO-ACT half points possible)",
    )


_STUDY_ID = Column(
    "study_id", "string", "Pseudonymous study id (site code and number)", lambda s, _r: s.study_id
)


def _allowed(values: Any) -> str:
    """A Literal's values, as the dictionary lists them."""
    return "; ".join(get_args(values))


_YES_NO = _allowed(YesNoUnknown)
_RELATED = _allowed(Relatedness)
_BOOLEAN = "true; false"

PATIENTS = Table(
    "patients.csv",
    "One row per patient",
    lambda s: (s,),
    (
        _STUDY_ID,
        Column("site", "string", "Site code", lambda s, _r: s.site),
        Column("sex", "string", "Sex", lambda s, _r: s.sex, allowed=_allowed(Sex)),
        Column(
            "synthetic", "boolean", "Synthetic (demo) patient", lambda s, _r: s.synthetic,
            allowed=_BOOLEAN,
        ),
        Column(
            "first_dose_days_from_onset", "integer",
            "First MSC dose: days from symptom onset (blank: never dosed or onset not recorded)",
            lambda s, _r: _days(s.first_dose, s.onset_date), unit="d",
        ),
        Column(
            "doses_given", "integer", "MSC doses given", lambda s, _r: len(s.doses),
        ),
    ),
)  # fmt: skip

ALS_HISTORY = Table(
    "als_history.csv",
    "The ALS history of each patient who has one recorded",
    lambda s: (s,) if s.onset_date or s.onset_region or s.diagnosis_date else (),
    (
        _STUDY_ID,
        _col(
            "onset_region", "string", "Region of first weakness",
            allowed=_allowed(OnsetRegion),
        ),
        Column(
            "onset_days_from_first_dose", "integer",
            "Symptom onset: days from the first MSC dose (blank: never dosed)",
            lambda s, _r: _days(s.onset_date, s.first_dose), unit="d",
        ),
        *_dated("diagnosis_", "Diagnosis", lambda r: r.diagnosis_date),
        _col(
            "diagnostic_criteria", "string", "Diagnostic criteria used",
            allowed=_allowed(DiagnosticCriteria),
        ),
        _col(
            "diagnostic_category", "string", "Diagnostic category under those criteria",
            allowed=_allowed(DiagnosticCategory),
        ),
        Column(
            "genetics", "string", "Genetic findings, separated by ';'",
            lambda _s, r: ";".join(r.genetics),
            allowed=_allowed(Genetics),
        ),
        _col("ftd", "string", "Frontotemporal dementia", allowed=_YES_NO),
        _col("family_history", "string", "Family history of ALS or FTD", allowed=_YES_NO),
    ),
)  # fmt: skip

ALSFRS_R = Table(
    "assessments_alsfrs_r.csv",
    "ALSFRS-R visits: the items as recorded and the measures derived from them",
    lambda s: s.alsfrs,
    (
        _STUDY_ID,
        *_dated("", "Visit", lambda r: r.assessed_on),
        _col("instrument_version", "string", "Version of the ALSFRS-R form"),
        *(_item(item) for item in ALSFRS_ITEMS),
        _col("total", "number", "ALSFRS-R total (blank: indeterminate)", "{score}", "0 to 48"),
        _col("bulbar", "number", "Bulbar subscore (items 1-3)", "{score}", "0 to 12"),
        _col("fine_motor", "number", "Fine motor subscore (items 4-6)", "{score}", "0 to 12"),
        _col("gross_motor", "number", "Gross motor subscore (items 7-9)", "{score}", "0 to 12"),
        _col("respiratory", "number", "Respiratory subscore (items 10-12)", "{score}", "0 to 12"),
        _col("delta_fs", "number", "ΔFS: (48 − total) / months from onset (Kimura 2006)",
             "{score}/mo"),
        _col("kings_stage", "integer", "King's clinical stage (Roche 2012)", "", "1; 2; 3; 4"),
        _col("kings_4a", "boolean", "King's 4A (gastrostomy)", "", _BOOLEAN),
        _col("kings_4b", "boolean", "King's 4B (NIV)", "", _BOOLEAN),
        _col("mitos_stage", "integer", "MiToS stage (Chiò 2015)", "", "0; 1; 2; 3; 4"),
        _col("half_points", "boolean", "An item holds a half point", "", _BOOLEAN),
    ),
)  # fmt: skip

SPIROMETRY = Table(
    "spirometry.csv",
    "Spirometry tests, with the prediction they were compared with",
    lambda s: s.spirometry,
    (
        _STUDY_ID,
        *_dated("", "Test", lambda r: r.assessed_on),
        _col("position", "string", "Position", allowed=_allowed(SpirometryPosition)),
        _col("fvc_l", "number", "Forced vital capacity", "L"),
        _col("svc_l", "number", "Slow vital capacity", "L"),
        _col("predicted_l", "number", "Predicted vital capacity", "L"),
        _col("lln_l", "number", "Lower limit of normal", "L"),
        _col("fvc_percent_predicted", "number", "FVC as % of predicted", "%"),
        _col("fvc_z_score", "number", "FVC z-score", "1"),
        _col("svc_percent_predicted", "number", "SVC as % of predicted", "%"),
        _col("equation", "string", "Reference equation", allowed="GLI-2012; GLI-Global"),
        Column(
            "age_years", "integer", "Age at the test, whole years (90: 90 or older)",
            lambda _s, r: capped_age(r.age_years), unit="a",
        ),
        _col("height_cm", "number", "Height used for the prediction", "cm"),
    ),
)  # fmt: skip

BODY = Table(
    "body_measurements.csv",
    "Weight, height and BMI",
    lambda s: s.body,
    (
        _STUDY_ID,
        *_dated("", "Measurement", lambda r: r.assessed_on),
        _col("weight_kg", "number", "Body weight", "kg"),
        _col("height_cm", "number", "Height", "cm"),
        _col("bmi", "number", "Body mass index", "kg/m2"),
    ),
)

MILESTONES = Table(
    "milestones.csv",
    "Disease milestones",
    lambda s: s.milestones,
    (
        _STUDY_ID,
        *_dated("", "Milestone", lambda r: r.occurred_on),
        _col(
            "kind",
            "string",
            "Milestone",
            allowed=_allowed(MilestoneKind),
        ),
    ),
)

DRUG_COURSES = Table(
    "drug_courses.csv",
    "Disease-modifying drug courses",
    lambda s: s.drugs,
    (
        _STUDY_ID,
        _col("drug", "string", "Drug", allowed=_allowed(Drug)),
        _col("drug_name", "string", "The drug's name, for 'other'"),
        *_dated("start_", "Start", lambda r: r.start_date),
        *_dated("stop_", "Stop (blank: ongoing)", lambda r: r.stop_date),
    ),
)

ADMINISTRATIONS = Table(
    "administrations.csv",
    "MSC doses given",
    lambda s: s.doses,
    (
        _STUDY_ID,
        *_dated("", "Dose", lambda r: r.given_on),
        _col("dose_number", "integer", "Dose number within the treatment plan"),
        _col("route", "string", "Route of administration"),
        _col("cell_source", "string", "Source of the cells (the plan's)"),
        _col("cells_administered", "number", "Cells given", "{cells}"),
        _col("volume_ml", "number", "Volume given", "mL"),
    ),
)

ADVERSE_EVENTS = Table(
    "adverse_events.csv",
    "Adverse events (current versions)",
    lambda s: s.adverse_events,
    (
        _STUDY_ID,
        *_dated("onset_", "Onset", lambda r: r.onset_date),
        *_dated("resolution_", "Resolution (blank: not resolved)", lambda r: r.resolution_date),
        _col("term", "string", "Reported term"),
        _col("meddra_code", "string", "MedDRA code, if entered"),
        _col("grade", "integer", "CTCAE grade", allowed="1; 2; 3; 4; 5"),
        Column(
            "serious_criteria", "string", "ICH E2A seriousness criteria met, separated by ';'",
            lambda _s, r: ";".join(r.serious_criteria), allowed=_allowed(Seriousness),
        ),
        _col("related_to_procedure", "string", "Relatedness to the procedure", allowed=_RELATED),
        _col("related_to_product", "string", "Relatedness to the product", allowed=_RELATED),
        _col("expectedness", "string", "Expectedness", allowed="expected; unexpected"),
        _col("action_taken", "string", "Action taken", allowed=_allowed(Action)),
        _col("outcome", "string", "Outcome", allowed=_allowed(Outcome)),
        _col("dose_number", "integer", "The dose the event is linked to (blank: none)"),
    ),
)  # fmt: skip

TABLES: tuple[Table, ...] = (
    PATIENTS,
    ALS_HISTORY,
    ALSFRS_R,
    SPIROMETRY,
    BODY,
    MILESTONES,
    DRUG_COURSES,
    ADMINISTRATIONS,
    ADVERSE_EVENTS,
)


# --- writing -------------------------------------------------------------------------------


def cell(value: object) -> str:
    """A value as CSV text: blank for None, true/false, whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, date):  # a date never leaves: a column that would write one is a bug
        raise TypeError("a calendar date in a de-identified export")
    return str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a header row and \\n line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8")


def tidy_files(subjects: Sequence[Subject], tables: Sequence[Table] = TABLES) -> dict[str, bytes]:
    """Each table's CSV file, by file name, the data dictionary and the README included."""
    files = {
        t.file: csv_text(
            [c.name for c in t.columns],
            ([c.get(s, r) for c in t.columns] for s in subjects for r in t.records(s)),
        )
        for t in tables
    }
    files[DICTIONARY_FILE] = data_dictionary(tables)
    files[README_FILE] = readme(tables, len(subjects)).encode("utf-8")
    return files


_DICTIONARY_HEADER = ("file", "column", "type", "unit", "meaning", "allowed_values")


def data_dictionary(tables: Sequence[Table] = TABLES) -> bytes:
    """One row per column of every file, from the definitions the files are written from."""
    return csv_text(
        _DICTIONARY_HEADER,
        ((t.file, c.name, c.type, c.unit, c.meaning, c.allowed) for t in tables for c in t.columns),
    )


def readme(tables: Sequence[Table], subjects: int) -> str:
    listed = "\n".join(f"  {t.file:28} {t.meaning}" for t in tables)
    patients = "patient" if subjects == 1 else "patients"
    return f"""alstrack research export: tidy CSV

What this is: the registry's current records of {subjects} {patients}, one file per kind
of record, one row per record, with a header row. {DICTIONARY_FILE} describes every column of
every file (type, unit, meaning, allowed values).

The data are DE-IDENTIFIED. Each patient is named by a pseudonymous study id only. No names,
dates of birth, record numbers, raters, free-text notes or calendar dates are in these files:
every date is given as whole days from symptom onset (*days_from_onset) and from the first MSC
dose (*days_from_first_dose, negative before it), blank where that anchor is not recorded.
Ages are whole years, 90 for anyone older than 89. Study ids remain linkable by the clinic that
holds the key: keep the files under the data use agreement that covers them.

Files:
{listed}
  {DICTIONARY_FILE:28} The data dictionary
  {README_FILE:28} This file
"""
