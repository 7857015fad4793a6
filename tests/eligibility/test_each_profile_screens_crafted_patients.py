"""The built-in rule set on crafted patients, profile by profile."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from eligibility_cast import AS_OF, dated

from alstrack.domain.eligibility import (
    Result,
    Screening,
    builtin_ruleset,
    read_observations,
    screen,
)

PROFILES = ("nurown_p3_like", "alsummit_like", "brazil_it_msc_like")
# Thresholds the draft does not know for a profile: always REVIEW, never a guessed PASS.
UNKNOWN_THRESHOLDS = {
    "nurown_p3_like": {"INC-PROG-001"},
    "alsummit_like": {"EXC-IMSUP-001"},
    "brazil_it_msc_like": {"INC-DUR-001", "INC-PROG-001", "INC-RILU-001"},
}


def run(data: dict[str, Any], profile: str | None = None) -> Screening:
    ruleset = builtin_ruleset()
    return screen(ruleset, read_observations(ruleset, data), as_of=AS_OF, profile=profile)


def results(screening: Screening) -> dict[str, Result]:
    return {c.id: c.result for c in screening.criteria}


@pytest.mark.parametrize("profile", PROFILES)
def test_maria_needs_review_only_where_the_draft_has_no_threshold(
    maria: dict[str, Any], profile: str
) -> None:
    screening = run(maria, profile)
    not_passed = {i for i, r in results(screening).items() if r is not Result.PASS}
    assert not_passed == UNKNOWN_THRESHOLDS[profile]
    assert screening.verdict == "needs_review"
    assert screening.profile == profile


def test_the_default_profile_is_nurown_p3_like(maria: dict[str, Any]) -> None:
    assert run(maria).profile == "nurown_p3_like"


def test_screening_leaves_out_donor_release_and_bedside_rules(maria: dict[str, Any]) -> None:
    groups = {c.group for c in run(maria).criteria}
    assert groups == {"INC", "EXC", "LP"}


def test_edaravone_rule_belongs_to_nurown_only(maria: dict[str, Any]) -> None:
    assert "EXC-EDAR-001" in results(run(maria, "nurown_p3_like"))
    assert "EXC-EDAR-001" not in results(run(maria, "alsummit_like"))


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("inf.active_systemic_infection", dated(True), "EXC-INF-001"),
        ("hx.prior_cell_or_stem_cell_therapy", True, "EXC-CELL-001"),
        ("hx.active_malignancy", True, "EXC-MAL-001"),
        ("hx.hematologic_malignancy_or_mds_or_mpn", True, "EXC-MAL-001"),
        ("hx.autoimmune_disease", True, "EXC-IMM-001"),
        ("hx.immunodeficiency", True, "EXC-IMM-001"),
        ("hx.other_neurological_disease", True, "EXC-NEURO-001"),
        ("csf.baseline_inflammation", True, "EXC-CSF-001"),
        ("repro.pregnant", True, "EXC-REPRO-001"),
        ("resp.tracheostomy", True, "EXC-RESP-001"),
        ("lab.ast_x_uln", dated(3.5), "EXC-LIVER-001"),
        ("lab.creatinine_x_uln", dated(2.01), "EXC-RENAL-001"),
    ],
)
def test_a_seed_contraindication_makes_the_patient_not_eligible(
    maria: dict[str, Any], profile: str, field: str, value: Any, rule: str
) -> None:
    screening = run(maria | {field: value}, profile)
    assert results(screening)[rule] is Result.FAIL
    assert screening.verdict == "not_eligible"


def test_an_exclusion_outweighs_missing_data(maria: dict[str, Any]) -> None:
    data = maria | {"hx.prior_cell_or_stem_cell_therapy": True}
    del data["patient.age_years"]
    assert run(data).verdict == "not_eligible"


@pytest.mark.parametrize("profile", PROFILES)
def test_missing_data_never_passes(maria: dict[str, Any], profile: str) -> None:
    data = dict(maria)
    del data["inf.active_systemic_infection"]
    screening = run(data, profile)
    assert results(screening)["EXC-INF-001"] is Result.MISSING
    assert screening.verdict == "incomplete"


def test_a_null_value_is_missing(maria: dict[str, Any]) -> None:
    screening = run(maria | {"hx.autoimmune_disease": None})
    assert results(screening)["EXC-IMM-001"] is Result.MISSING


@pytest.mark.parametrize("profile", PROFILES)
def test_a_stale_infection_status_counts_as_missing(maria: dict[str, Any], profile: str) -> None:
    # EXC-INF-001 allows 7 days; 2026-10-20 is 12 days before the screening.
    screening = run(maria | {"inf.active_systemic_infection": dated(False, "2026-10-20")}, profile)
    criterion = next(c for c in screening.criteria if c.id == "EXC-INF-001")
    assert criterion.result is Result.MISSING
    assert "12 days old" in criterion.reason
    assert screening.verdict == "incomplete"


def test_a_value_exactly_max_age_days_old_is_current(maria: dict[str, Any]) -> None:
    screening = run(maria | {"inf.active_systemic_infection": dated(False, "2026-10-25")})
    assert results(screening)["EXC-INF-001"] is Result.PASS


def test_an_undated_value_counts_as_missing_where_its_age_matters(
    maria: dict[str, Any],
) -> None:
    screening = run(maria | {"fn.alsfrs_r_total": 40})
    assert results(screening)["INC-FRS-001"] is Result.MISSING


def test_a_value_dated_after_the_screening_counts_as_missing(maria: dict[str, Any]) -> None:
    screening = run(maria | {"hx.autoimmune_disease": dated(False, "2026-11-02")})
    assert results(screening)["EXC-IMM-001"] is Result.MISSING


@pytest.mark.parametrize(
    ("profile", "field", "value", "expected"),
    [
        ("nurown_p3_like", "patient.age_years", 18, Result.PASS),
        ("nurown_p3_like", "patient.age_years", 60, Result.PASS),
        ("nurown_p3_like", "patient.age_years", 61, Result.FAIL),
        ("nurown_p3_like", "patient.age_years", 17, Result.FAIL),
        ("brazil_it_msc_like", "patient.age_years", 70, Result.PASS),
        ("brazil_it_msc_like", "patient.age_years", 71, Result.FAIL),
        ("nurown_p3_like", "fn.alsfrs_r_total", dated(25), Result.PASS),
        ("nurown_p3_like", "fn.alsfrs_r_total", dated(24), Result.FAIL),
        ("alsummit_like", "fn.alsfrs_r_total", dated(31), Result.PASS),
        ("alsummit_like", "fn.alsfrs_r_total", dated(46), Result.PASS),
        ("alsummit_like", "fn.alsfrs_r_total", dated(47), Result.FAIL),
        ("alsummit_like", "fn.alsfrs_r_total", dated(30), Result.FAIL),
    ],
)
def test_inclusion_boundaries_are_inclusive(
    maria: dict[str, Any], profile: str, field: str, value: Any, expected: Result
) -> None:
    rule = "INC-AGE-001" if field == "patient.age_years" else "INC-FRS-001"
    assert results(run(maria | {field: value}, profile))[rule] is expected


@pytest.mark.parametrize(
    ("fvc", "expected"), [(40.0, Result.FAIL), (40.0001, Result.PASS), (41, Result.PASS)]
)
def test_alsummit_needs_fvc_above_40_percent(
    maria: dict[str, Any], fvc: float, expected: Result
) -> None:
    screening = run(maria | {"resp.fvc_percent_predicted": dated(fvc)}, "alsummit_like")
    assert results(screening)["INC-RESP-001"] is expected


@pytest.mark.parametrize(("days", "expected"), [(730, Result.PASS), (731, Result.FAIL)])
def test_nurown_counts_disease_duration_from_symptom_onset(
    maria: dict[str, Any], days: int, expected: Result
) -> None:
    onset = AS_OF.date() - timedelta(days=days)
    data = maria | {"dx.symptom_onset_date": onset.isoformat()}
    assert results(run(data, "nurown_p3_like"))["INC-DUR-001"] is expected


def test_a_flag_rule_that_fails_asks_a_physician(maria: dict[str, Any]) -> None:
    # Gastrostomy excludes in ALSUMMIT but is only flagged under the NurOwn-like profile.
    screening = run(maria | {"gi.gastrostomy": True}, "nurown_p3_like")
    criterion = next(c for c in screening.criteria if c.id == "EXC-GI-001")
    assert criterion.result is Result.REVIEW
    assert "physician" in criterion.reason
    assert run(maria | {"gi.gastrostomy": True}, "alsummit_like").verdict == "not_eligible"


def test_riluzole_stability_does_not_apply_without_riluzole(maria: dict[str, Any]) -> None:
    data = maria | {"meds.riluzole": False}
    del data["meds.riluzole_stable_since"]
    assert results(run(data, "brazil_it_msc_like"))["INC-RILU-001"] is Result.PASS


def test_riluzole_stability_is_missing_when_riluzole_use_is_unknown(
    maria: dict[str, Any],
) -> None:
    data = dict(maria)
    del data["meds.riluzole"]
    assert results(run(data))["INC-RILU-001"] is Result.MISSING


def test_a_recent_investigational_agent_excludes(maria: dict[str, Any]) -> None:
    data = maria | {"meds.investigational_agent_last_date": "2026-10-15"}
    assert results(run(data))["EXC-INV-001"] is Result.FAIL


def test_a_failed_lumbar_puncture_check_does_not_change_the_verdict(
    maria: dict[str, Any],
) -> None:
    screening = run(maria | {"lab.platelets_10e9_per_l": dated(40.0)}, "alsummit_like")
    assert results(screening)["LP-PLT-001"] is Result.FAIL
    assert screening.verdict == "needs_review"


def test_each_criterion_carries_its_source_and_certainty(maria: dict[str, Any]) -> None:
    criterion = next(c for c in run(maria).criteria if c.id == "LP-ANTITHROMB-001")
    assert criterion.sources == ("ABN_LP_2018", "NUROWN_P3_REG")
    assert criterion.certainty == "secondary"
