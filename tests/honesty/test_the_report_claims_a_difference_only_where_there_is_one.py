"""The issue's honesty test: on synthetic cohorts of 200 patients with no true change of slope
the report claims a difference in at most 7 of 100 seeds; with a true change of +0.5
points/month it finds it in at least 80 of 100.

The cohorts (honest_cohorts.py) are drawn for seeds 0-99, and each is read by the function the
report itself uses, ``estimate_slope_change``. In the loops it skips the bootstrap: a claim needs
every interval on one side of zero, so adding the bootstrap can only withdraw claims. The null
count therefore bounds the full report's; whether the bootstrap keeps the findings is checked
apart, on ten cohorts.
"""

from __future__ import annotations

from honest_cohorts import cohort

from alstrack.services.cohort_outcomes import SlopeChangeOut, estimate_slope_change

SEEDS = range(100)
NO_EVIDENCE = "no evidence of a difference in slope after the first dose"
DIFFERS = "the mean ALSFRS-R slope after the first dose differs from the slope before"


def claims(estimate: SlopeChangeOut) -> bool:
    """Anything but "no evidence" counts against the report (a fit left unread included)."""
    return not estimate.reading.startswith(NO_EVIDENCE)


def finds(estimate: SlopeChangeOut) -> bool:
    """Only a stated difference of the right sign counts for it."""
    return estimate.reading.startswith(DIFFERS) and "less decline after" in estimate.reading


def test_with_no_true_change_the_report_claims_a_difference_in_at_most_7_of_100_cohorts() -> None:
    readings = [
        estimate_slope_change(cohort(seed, slope_change=0.0), bootstrap_resamples=None)
        for seed in SEEDS
    ]
    claimed = [seed for seed, r in zip(SEEDS, readings, strict=True) if claims(r)]
    assert len(claimed) <= 7, f"claimed a difference in seeds {claimed}"
    assert all(r.n_patients == 200 for r in readings)


def test_with_a_true_change_of_half_a_point_a_month_it_finds_it_in_at_least_80_of_100() -> None:
    readings = [
        estimate_slope_change(cohort(seed, slope_change=0.5), bootstrap_resamples=None)
        for seed in SEEDS
    ]
    found = [r for r in readings if finds(r)]
    assert len(found) >= 80, f"found it in {len(found)} of 100"
    assert not [r for r in readings if "more decline after" in r.reading]


def test_the_bootstrap_keeps_the_findings_of_a_true_change() -> None:
    for seed in range(10):
        full = estimate_slope_change(
            cohort(seed, slope_change=0.5), bootstrap_resamples=100, seed=seed
        )
        assert full.bootstrap is not None
        assert full.bootstrap.low > 0, f"seed {seed}: {full.bootstrap}"
        assert finds(full)
        assert "(Wald, cluster-robust, bootstrap)" in full.reading
