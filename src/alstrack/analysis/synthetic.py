"""A synthetic ALS clinic with realistic, heterogeneous natural history (for demos and benchmarks).

Every number here is a modelling choice tuned to published natural-history figures
(shared domain page prognosis.md), not data from any patient:
- ALSFRS-R decline about 1 point/month on average with wide spread (Atassi 2014: 1.02, SD 2.3;
  Thakore 2018: 0.99), faster with bulbar onset, and a minority that plateaus (Bedlack 2016:
  no decline over 12 months in about 16%);
- vital capacity falling about 2.2 %-predicted/month (Atassi 2014);
- median survival from onset of a few years (Chiò 2009: 20–48 months).
No treatment effect is simulated: this is untreated natural history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from alstrack.domain.registry import Sex

DAYS_PER_MONTH = 30.4375

# Which ALSFRS-R items belong to which body region, for spreading decline from the onset region.
REGION_ITEMS: dict[str, tuple[str, ...]] = {
    "bulbar": ("q1", "q2", "q3"),
    "upper_limb": ("q4", "q5", "q6"),
    "lower_limb": ("q7", "q8", "q9"),
    "respiratory": ("q10", "q11", "q12"),
}
ONSET_REGIONS = ("bulbar", "upper_limb", "lower_limb", "respiratory", "trunk", "generalised")
ONSET_WEIGHTS = (0.30, 0.30, 0.33, 0.03, 0.02, 0.02)
GENETICS = ("c9orf72", "sod1", "fus", "tardbp", "none_found", "not_tested")
GENETICS_WEIGHTS = (0.08, 0.02, 0.005, 0.005, 0.39, 0.50)

GIVEN = (
    "Alex",
    "Maria",
    "John",
    "Aiko",
    "Omar",
    "Ingrid",
    "Pedro",
    "Fatima",
    "Liam",
    "Sofia",
    "Kwame",
    "Elena",
    "Ravi",
    "Hana",
    "Marek",
    "Chloe",
    "Tomas",
    "Leila",
    "Ivan",
    "Grace",
)
FAMILY = (
    "Synthetic",
    "Example",
    "Sample",
    "Testcase",
    "Placeholder-Free",
    "Demo",
    "Fictive",
    "Madeup",
    "Invented",
    "Modelled",
)


@dataclass
class SyntheticVisit:
    visit_date: date
    alsfrs_r: dict[str, int]
    fvc_percent_predicted: float
    weight_kg: float


@dataclass
class SyntheticPatient:
    given_name: str
    family_name: str
    date_of_birth: date
    sex: Sex
    onset_date: date
    onset_region: str
    diagnosis_date: date
    diagnostic_category: str
    genetics: list[str]
    ftd: str
    family_history: str
    height_cm: float
    fvc_percent_at_onset: float
    drugs: list[tuple[str, date, date | None]] = field(default_factory=list)
    milestones: list[tuple[str, date]] = field(default_factory=list)
    visits: list[SyntheticVisit] = field(default_factory=list)


def _months(a: date, b: date) -> float:
    return (b - a).days / DAYS_PER_MONTH


def _item_scores(
    t_months: float, lags: dict[str, float], speeds: dict[str, float], rng: np.random.Generator
) -> dict[str, float]:
    scores = {}
    for item, lag in lags.items():
        loss = max(0.0, t_months - lag) * speeds[item] + rng.normal(0, 0.25)
        scores[item] = float(np.clip(4.0 - loss, 0.0, 4.0))
    return scores


def simulate_patient(rng: np.random.Generator, index: int, today: date) -> SyntheticPatient:
    sex: Sex = "male" if rng.random() < 0.6 else "female"
    age_onset = float(np.clip(rng.normal(60, 10), 30, 85))
    region = str(rng.choice(ONSET_REGIONS, p=ONSET_WEIGHTS))
    # Onset spread over the last six years so some patients are early and some late in disease.
    onset = today - timedelta(days=int(rng.uniform(6, 72) * DAYS_PER_MONTH))
    dob = onset - timedelta(days=int(age_onset * 365.25))
    delay = float(np.clip(rng.lognormal(np.log(11), 0.45), 2, 48))
    diagnosis = min(onset + timedelta(days=int(delay * DAYS_PER_MONTH)), today - timedelta(days=30))
    # Progression rate in ALSFRS-R points per month: log-normal, mean about 1; faster if bulbar.
    rate = float(rng.lognormal(np.log(0.8), 0.6)) * (1.25 if region == "bulbar" else 1.0)
    plateau = rng.random() < 0.12
    if plateau:
        rate *= 0.08
    # Each item starts to decline when the disease reaches its region; the onset region first.
    lags: dict[str, float] = {}
    speeds: dict[str, float] = {}
    spread = {
        r: (0.0 if r == region else float(rng.uniform(4, 30)) / max(rate, 0.3))
        for r in REGION_ITEMS
    }
    if region in ("trunk", "generalised"):
        spread = {r: float(rng.uniform(0, 8)) for r in REGION_ITEMS}
    for r, region_items in REGION_ITEMS.items():
        for item in region_items:
            lags[item] = spread[r] + float(rng.uniform(0, 4))
            speeds[item] = rate * float(rng.uniform(0.15, 0.55))
    fvc_pct0 = float(np.clip(rng.normal(95, 12), 60, 130))
    fvc_rate = 2.24 * rate * float(rng.uniform(0.5, 1.5))
    height = float(np.clip(rng.normal(177 if sex == "male" else 164, 7), 145, 205))
    weight0 = float(np.clip(rng.normal(80 if sex == "male" else 66, 12), 42, 140))
    genetics = [str(rng.choice(GENETICS, p=GENETICS_WEIGHTS))]
    p = SyntheticPatient(
        given_name=str(rng.choice(GIVEN)),
        family_name=f"{rng.choice(FAMILY)}-{index:04d}",
        date_of_birth=dob,
        sex=sex,
        onset_date=onset,
        onset_region=region,
        diagnosis_date=diagnosis,
        diagnostic_category=str(
            rng.choice(
                ["definite", "probable", "probable_laboratory_supported", "possible"],
                p=[0.3, 0.35, 0.15, 0.2],
            )
        ),
        genetics=genetics,
        ftd="yes" if rng.random() < 0.1 else "no",
        family_history="yes" if rng.random() < 0.1 else "no",
        height_cm=round(height, 1),
        fvc_percent_at_onset=fvc_pct0,
    )
    if rng.random() < 0.8:
        p.drugs.append(("riluzole", diagnosis + timedelta(days=int(rng.uniform(7, 60))), None))
    if rng.random() < 0.15:
        p.drugs.append(("edaravone", diagnosis + timedelta(days=int(rng.uniform(30, 200))), None))
    if "sod1" in genetics:
        p.drugs.append(("tofersen", diagnosis + timedelta(days=int(rng.uniform(30, 120))), None))
    p.drugs = [(d, s, e) for d, s, e in p.drugs if s < today]

    first_visit = diagnosis + timedelta(days=int(rng.uniform(0, 45)))
    visit = first_visit
    dead_on: date | None = None
    # Hazard of death rises as function is lost (roughly: median survival a few years from onset).
    while visit < today:
        t = _months(onset, visit)
        s = _item_scores(t, lags, speeds, rng)
        fvc_pct = max(12.0, fvc_pct0 - fvc_rate * t + float(rng.normal(0, 4)))
        total = sum(s.values())
        if dead_on is None and rng.random() < 0.02 + max(0.0, (30 - total) / 30) * 0.25:
            dead_on = visit - timedelta(days=int(rng.uniform(10, 60)))
            break
        scores = {k: round(v) for k, v in s.items()}
        _milestones(p, scores, fvc_pct, visit)
        has_peg = any(k == "gastrostomy" for k, _ in p.milestones)
        alsfrs = {k: v for k, v in scores.items() if k != "q5"}
        alsfrs["q5b" if has_peg else "q5a"] = scores["q5"]
        weight = weight0 * (1 - 0.004 * t * max(rate, 0.2)) + float(rng.normal(0, 0.8))
        p.visits.append(
            SyntheticVisit(visit, alsfrs, round(fvc_pct, 1), round(max(weight, 35.0), 1))
        )
        visit = visit + timedelta(days=int(rng.normal(91, 12)))
    if dead_on is not None and dead_on > first_visit and p.visits:
        death = max(
            dead_on, p.visits[-1].visit_date + timedelta(days=1), *(on for _, on in p.milestones)
        )
        p.milestones.append(("death", death))
        p.drugs = [(d, s, e) for d, s, e in p.drugs if s < death]
    return p


def _milestones(p: SyntheticPatient, items: dict[str, int], fvc_pct: float, on: date) -> None:
    have = {k for k, _ in p.milestones}
    if "gastrostomy" not in have and items["q3"] <= 1:
        p.milestones.append(("gastrostomy", on - timedelta(days=14)))
    if "niv_start" not in have and (items["q10"] <= 2 or fvc_pct < 50):
        p.milestones.append(("niv_start", on - timedelta(days=7)))
        items["q12"] = min(items["q12"], 3)
    if "niv_start" in have and "niv_over_23h" not in have and items["q12"] <= 1:
        p.milestones.append(("niv_over_23h", on - timedelta(days=7)))
    if "niv_over_23h" in have and "tracheostomy" not in have and items["q12"] == 0:
        p.milestones.append(("tracheostomy", on - timedelta(days=7)))
    if "niv_start" not in have and "niv_start" not in {k for k, _ in p.milestones}:
        items["q12"] = 4  # no ventilatory support yet


def simulate_clinic(n_patients: int, seed: int, today: date) -> list[SyntheticPatient]:
    """``n_patients`` synthetic patients, reproducible from ``seed``, visits up to ``today``."""
    rng = np.random.default_rng(seed)
    return [simulate_patient(rng, i + 1, today) for i in range(n_patients)]
