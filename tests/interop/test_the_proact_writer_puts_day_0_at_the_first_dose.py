"""The PRO-ACT writer, pure over plain values: day 0 is the first dose (or, for a patient never
dosed, the first assessment, else the diagnosis, else the onset), so onset and diagnosis are
negative; onset regions become PRO-ACT's Site_of_Onset; supine FVC stays out; ages above 89
are 90; and a calendar date cannot reach a cell."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from alstrack.interop.proact_export import baseline, proact_files
from alstrack.interop.research_view import (
    AlsfrsFacts,
    BodyFacts,
    DoseFacts,
    DrugFacts,
    MilestoneFacts,
    SpirometryFacts,
    Subject,
)
from alstrack.interop.tidy_csv import cell

ONSET, DIAGNOSIS = date(2025, 1, 1), date(2025, 6, 1)
VISIT, DOSE = date(2025, 9, 1), date(2025, 10, 1)


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


def _subject(**changes: Any) -> Subject:
    """A patient with onset, diagnosis, a visit a month before their dose, and the dose."""
    return replace(
        Subject(
            study_id="NORTH-00007", site="NORTH", sex="male", synthetic=False,
            onset_date=ONSET, onset_region="upper_limb", diagnosis_date=DIAGNOSIS,
            alsfrs=(AlsfrsFacts(VISIT, "1.0", {"q1": 4.0, "q10": 3.0}, total=None),),
            spirometry=(
                SpirometryFacts(VISIT, "upright", 3.2, predicted_l=4.0,
                                fvc_percent_predicted=80.0, age_years=92.4),
                SpirometryFacts(VISIT, "supine", 2.5),
            ),
            body=(BodyFacts(VISIT, 70.5, 172.0, 23.8),),
            drugs=(DrugFacts("riluzole", None, DIAGNOSIS),),
            doses=(DoseFacts(DOSE, 1, "intrathecal", "bone_marrow", 6e7, 10.0),),
        ),
        **changes,
    )  # fmt: skip


def test_day_0_is_the_first_dose_and_the_past_is_negative() -> None:
    files = proact_files([_subject()])
    [history] = _rows(files["AlsHistory.csv"])
    assert history["Onset_Delta"] == str((ONSET - DOSE).days) == "-273"
    assert history["Diagnosis_Delta"] == "-122"
    assert (history["Site_of_Onset"], history["Site_of_Onset___Limb"]) == ("Onset: Limb", "1")
    [visit] = _rows(files["alsfrs.csv"])
    assert (visit["ALSFRS_Delta"], visit["Q1_Speech"], visit["R_1_Dyspnea"]) == ("-30", "4", "3")
    assert visit["Q10_Respiratory"] == visit["ALSFRS_R_Total"] == ""
    [fvc] = _rows(files["Fvc.csv"])  # the supine test is not PRO-ACT's FVC
    assert (fvc["Subject_Liters_Trial_1"], fvc["pct_of_Normal_Trial_1"]) == ("3.2", "80")
    [people] = _rows(files["demographics.csv"])
    assert (people["Age"], people["Sex"], people["Demographics_Delta"]) == ("90", "Male", "0")
    [vitals] = _rows(files["VitalSigns.csv"])
    assert (vitals["Weight"], vitals["Weight_Units"], vitals["Vital_Signs_Delta"]) == (
        "70.5",
        "kg",
        "-30",
    )
    assert _rows(files["Riluzole.csv"])[0]["Riluzole_use_Delta"] == "-122"
    assert _rows(files["Treatment.csv"]) == [
        {"subject_id": "NORTH-00007", "Study_Arm": "MSC", "Treatment_Group_Delta": "0"}
    ]
    assert _rows(files["DeathData.csv"])[0]["Subject_Died"] == "No"


def test_a_patient_never_dosed_counts_from_the_first_assessment() -> None:
    untreated = _subject(doses=(), milestones=(MilestoneFacts("death", date(2026, 1, 1)),))
    assert baseline(untreated) == VISIT
    files = proact_files([untreated])
    assert _rows(files["alsfrs.csv"])[0]["ALSFRS_Delta"] == "0"
    assert _rows(files["DeathData.csv"]) == [
        {"subject_id": "NORTH-00007", "Subject_Died": "Yes", "Death_Days": "122"}
    ]
    assert _rows(files["Treatment.csv"])[0]["Study_Arm"] == "Natural history"
    assert baseline(_subject(doses=(), alsfrs=(), spirometry=(), body=())) == DIAGNOSIS
    bare = _subject(doses=(), alsfrs=(), spirometry=(), body=(), diagnosis_date=None)
    assert baseline(bare) == ONSET


@pytest.mark.parametrize(
    ("region", "text", "flag", "specify"),
    [
        ("bulbar", "Onset: Bulbar", "Bulbar", ""),
        ("lower_limb", "Onset: Limb", "Limb", ""),
        ("trunk", "Onset: Spine", "Spine", ""),
        ("respiratory", "Onset: Other", "Other", "Respiratory"),
        ("generalised", "Onset: Other", "Other", "Generalised"),
    ],
)
def test_each_onset_region_has_its_site_of_onset(
    region: str, text: str, flag: str, specify: str
) -> None:
    [row] = _rows(proact_files([_subject(onset_region=region)])["AlsHistory.csv"])
    assert row["Site_of_Onset"] == text
    assert [k for k, v in row.items() if k.startswith("Site_of_Onset___") and v == "1"] == [
        f"Site_of_Onset___{flag}"
    ]
    assert row["Site_of_Onset___Other_Specify"] == specify


def test_a_calendar_date_cannot_reach_a_cell() -> None:
    with pytest.raises(TypeError, match="calendar date"):
        cell(date(2025, 1, 1))
    assert [cell(v) for v in (None, True, 4.0, 3.5, 61000000.0, -3)] == [
        "", "true", "4", "3.5", "61000000", "-3"
    ]  # fmt: skip
