"""The registry written as PRO-ACT tables (proact-format.md), readable by alstrack's own PRO-ACT
importer (domain/proact.py) and by the public analysis code that reads PRO-ACT.

Pure: the values of each patient go in (``research_view.Subject``), CSV text comes out. PRO-ACT
times are day offsets from the trial's baseline (``*_Delta``; onset and diagnosis negative).
Here the baseline (day 0) is the first MSC dose; a patient never dosed has as baseline their
first registry assessment (ALSFRS-R, spirometry or weight), else the diagnosis, else the onset.
Subjects are named by their study id. No calendar date is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from alstrack.domain.proact import PROACT_ITEMS
from alstrack.interop.research_view import Subject, capped_age
from alstrack.interop.tidy_csv import csv_text

__all__ = ["PROACT_TABLES", "baseline", "proact_files"]

_ITEMS_HEADERS = list(PROACT_ITEMS)  # Q1_Speech … R_3_Respiratory_Insufficiency
ALSFRS_HEADER = (
    "subject_id",
    *_ITEMS_HEADERS[:10],
    "Q10_Respiratory",
    "ALSFRS_Delta",
    "ALSFRS_Total",
    *_ITEMS_HEADERS[10:],
    "Mode_of_Administration",
    "ALSFRS_Responded_By",
    "ALSFRS_R_Total",
)
FVC_HEADER = (
    "subject_id",
    "Forced_Vital_Capacity_Delta",
    "Subject_Liters_Trial_1",
    "pct_of_Normal_Trial_1",
    "Subject_Liters_Trial_2",
    "pct_of_Normal_Trial_2",
    "Subject_Liters_Trial_3",
    "pct_of_Normal_Trial_3",
    "Forced_Vital_Capacity_Units",
    "subject_normal",
)
HISTORY_HEADER = (
    "subject_id",
    "Site_of_Onset",
    "Site_of_Onset___Bulbar",
    "Site_of_Onset___Limb",
    "Site_of_Onset___Limb_and_Bulbar",
    "Site_of_Onset___Other",
    "Site_of_Onset___Other_Specify",
    "Site_of_Onset___Spine",
    "Onset_Delta",
    "Diagnosis_Delta",
    "Subject_ALS_History_Delta",
)
DEMOGRAPHICS_HEADER = ("subject_id", "Demographics_Delta", "Age", "Sex")
VITALS_HEADER = (
    "subject_id",
    "Vital_Signs_Delta",
    "Weight",
    "Weight_Units",
    "Height",
    "Height_Units",
)
DEATH_HEADER = ("subject_id", "Subject_Died", "Death_Days")
RILUZOLE_HEADER = ("subject_id", "Subject_used_Riluzole", "Riluzole_use_Delta")
TREATMENT_HEADER = ("subject_id", "Study_Arm", "Treatment_Group_Delta")

# The file names of the 2016 export, which alstrack's importer and the public code read.
PROACT_TABLES: dict[str, tuple[str, ...]] = {
    "demographics.csv": DEMOGRAPHICS_HEADER,
    "AlsHistory.csv": HISTORY_HEADER,
    "alsfrs.csv": ALSFRS_HEADER,
    "Fvc.csv": FVC_HEADER,
    "VitalSigns.csv": VITALS_HEADER,
    "DeathData.csv": DEATH_HEADER,
    "Riluzole.csv": RILUZOLE_HEADER,
    "Treatment.csv": TREATMENT_HEADER,
}
TREATED_ARM = "MSC"
UNTREATED_ARM = "Natural history"
# alstrack's onset regions as PRO-ACT's Site_of_Onset, and its flag column. Trunk (axial) onset
# is spinal-region onset; respiratory and generalised onset are 'Other', named in _Specify.
_ONSET: dict[str, tuple[str, str]] = {
    "bulbar": ("Onset: Bulbar", "Bulbar"),
    "upper_limb": ("Onset: Limb", "Limb"),
    "lower_limb": ("Onset: Limb", "Limb"),
    "trunk": ("Onset: Spine", "Spine"),
    "respiratory": ("Onset: Other", "Other"),
    "generalised": ("Onset: Other", "Other"),
}
_FLAGS = ("Bulbar", "Limb", "Limb_and_Bulbar", "Other")


def baseline(s: Subject) -> date | None:
    """Day 0 of the subject's PRO-ACT offsets: the first dose, else the first assessment, else
    the diagnosis, else the onset; None if nothing dated is recorded."""
    if s.first_dose is not None:
        return s.first_dose
    visits = [a.assessed_on for a in s.alsfrs]
    visits += [t.assessed_on for t in s.spirometry] + [b.assessed_on for b in s.body]
    if visits:
        return min(visits)
    return s.diagnosis_date or s.onset_date


def _delta(day: date | None, day0: date | None) -> int | None:
    return None if day is None or day0 is None else (day - day0).days


def proact_files(subjects: Sequence[Subject]) -> dict[str, bytes]:
    """The PRO-ACT tables of ``subjects``, by file name."""
    rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in PROACT_TABLES}
    for s in subjects:
        day0 = baseline(s)
        rows["demographics.csv"].append(
            (s.study_id, 0 if day0 else None, _age(s, day0), (s.sex or "").capitalize() or None)
        )
        if s.onset_date or s.onset_region or s.diagnosis_date:
            rows["AlsHistory.csv"].append(_history(s, day0))
        for a in s.alsfrs:
            items = [a.items.get(PROACT_ITEMS[h]) for h in _ITEMS_HEADERS]
            rows["alsfrs.csv"].append(
                (s.study_id, *items[:10], None, _delta(a.assessed_on, day0), None, *items[10:],
                 None, None, a.total)
            )  # fmt: skip
        # PRO-ACT's FVC is the upright (sitting) test; a supine one has no place in the table.
        for t in s.spirometry:
            if t.position == "upright" and t.fvc_l is not None:
                rows["Fvc.csv"].append(
                    (s.study_id, _delta(t.assessed_on, day0), t.fvc_l, t.fvc_percent_predicted,
                     None, None, None, None, "L", t.predicted_l)
                )  # fmt: skip
        for b in s.body:
            if b.weight_kg is not None or b.height_cm is not None:
                rows["VitalSigns.csv"].append(
                    (s.study_id, _delta(b.assessed_on, day0), b.weight_kg,
                     "kg" if b.weight_kg is not None else None, b.height_cm,
                     "cm" if b.height_cm is not None else None)
                )  # fmt: skip
        died = s.death_date
        rows["DeathData.csv"].append((s.study_id, "Yes" if died else "No", _delta(died, day0)))
        riluzole = min((d.start_date for d in s.drugs if d.drug == "riluzole"), default=None)
        rows["Riluzole.csv"].append(
            (s.study_id, "Yes" if riluzole else "No", _delta(riluzole, day0))
        )
        rows["Treatment.csv"].append(
            (s.study_id, TREATED_ARM, 0)
            if s.first_dose is not None
            else (s.study_id, UNTREATED_ARM, None)
        )
    return {name: csv_text(PROACT_TABLES[name], rows[name]) for name in PROACT_TABLES}


def _history(s: Subject, day0: date | None) -> tuple[object, ...]:
    text, flag = _ONSET.get(s.onset_region or "", (None, None))
    other = (s.onset_region or "").replace("_", " ").capitalize() if flag == "Other" else None
    return (
        s.study_id,
        text,
        *(1 if flag == f else None for f in _FLAGS),
        other,
        1 if flag == "Spine" else None,
        _delta(s.onset_date, day0),
        _delta(s.diagnosis_date, day0),
        0 if day0 else None,
    )


def _age(s: Subject, day0: date | None) -> int | None:
    """Age at baseline in whole years (90: older than 89), from the age the first spirometry
    test recorded; blank without one."""
    first = min(
        (t for t in s.spirometry if t.age_years is not None),
        key=lambda t: t.assessed_on,
        default=None,
    )
    if first is None or first.age_years is None or day0 is None:
        return None
    return capped_age(first.age_years + (day0 - first.assessed_on).days / 365.25)
