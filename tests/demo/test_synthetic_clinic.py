"""The synthetic clinic looks like untreated ALS natural history (prognosis.md figures)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from alstrack.analysis.synthetic import SyntheticPatient, simulate_clinic
from alstrack.domain import alsfrs

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def cohort() -> list[SyntheticPatient]:
    return simulate_clinic(400, seed=7, today=TODAY)


def _slopes(cohort: list[SyntheticPatient]) -> np.ndarray:
    out = []
    for p in cohort:
        if len(p.visits) >= 3:
            t = np.array([(v.visit_date - p.visits[0].visit_date).days / 30.4375 for v in p.visits])
            y = np.array([alsfrs.score(v.alsfrs_r).total for v in p.visits], dtype=float)
            out.append(np.polyfit(t, y, 1)[0])
    return np.array(out)


def test_the_same_seed_gives_the_same_clinic() -> None:
    a = simulate_clinic(5, seed=3, today=TODAY)
    b = simulate_clinic(5, seed=3, today=TODAY)
    assert a == b


def test_mean_decline_is_about_one_point_a_month_with_wide_spread(
    cohort: list[SyntheticPatient],
) -> None:
    slopes = _slopes(cohort)
    assert -1.4 < slopes.mean() < -0.6
    assert slopes.std() > 0.4


def test_some_patients_plateau_without_any_treatment(cohort: list[SyntheticPatient]) -> None:
    slopes = _slopes(cohort)
    assert 0.03 < np.mean(slopes > -0.1) < 0.35


def test_bulbar_and_spinal_onsets_both_occur(cohort: list[SyntheticPatient]) -> None:
    regions = {p.onset_region for p in cohort}
    assert {"bulbar", "upper_limb", "lower_limb"} <= regions


def test_vital_capacity_falls_over_time(cohort: list[SyntheticPatient]) -> None:
    changes = [
        p.visits[-1].fvc_percent_predicted - p.visits[0].fvc_percent_predicted
        for p in cohort
        if len(p.visits) >= 4
    ]
    assert np.median(changes) < -5


def test_milestones_and_deaths_happen_and_no_visit_follows_a_death(
    cohort: list[SyntheticPatient],
) -> None:
    kinds = [k for p in cohort for k, _ in p.milestones]
    for kind in ("gastrostomy", "niv_start", "death"):
        assert kind in kinds
    for p in cohort:
        death = dict(p.milestones).get("death")
        if death:
            assert all(v.visit_date < death for v in p.visits)


def test_every_visit_is_a_valid_alsfrs_r_with_q5b_only_after_gastrostomy(
    cohort: list[SyntheticPatient],
) -> None:
    for p in cohort:
        peg = dict(p.milestones).get("gastrostomy")
        for v in p.visits:
            alsfrs.validate_items(v.alsfrs_r)
            assert ("q5b" in v.alsfrs_r) == (peg is not None and v.visit_date >= peg)


def test_no_drug_course_or_milestone_follows_a_death(cohort: list[SyntheticPatient]) -> None:
    for p in cohort:
        death = dict(p.milestones).get("death")
        if death:
            assert all(start < death for _, start, _ in p.drugs)
            assert all(on <= death for _, on in p.milestones)
