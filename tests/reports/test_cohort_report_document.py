"""The cohort outcomes report as a document: the change of slope with its three intervals and
the reading generated from them, plotted with the model's mean line; exploratory groups,
responders, survival and safety with their caveats verbatim; and, with too few patients, the
model's own reason in place of an estimate while the rest still renders.

The cohort is that of tests/cohort (treated_cast.py: five patients at Northgate dosed on
1 Nov 2026 and followed for a year; the clock at 20 Nov 2027), its fixture loaded here under a
name of its own as conftest.py loads the product tests' fixtures. The small cohort is Maria
alone (conftest: dosed on 1 Nov 2026, followed to 10 May 2027).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from report_reading import figures, html_text, pdf_text, words

from alstrack import __version__
from alstrack.errors import InvalidInput, PermissionDenied
from alstrack.services import demo, external_cohorts, records, users
from alstrack.services.cohort_documents import cohort_report
from alstrack.services.cohort_outcomes import CAVEAT, GROUPS_NOTE, cohort_outcomes
from alstrack.services.cohort_responders import RESPONDER_CAVEAT
from alstrack.services.cohort_survival import CAVEAT as SURVIVAL_CAVEAT
from alstrack.services.external_comparison import CAVEAT as EXTERNAL_CAVEAT
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.safety_report import CAVEAT as SAFETY_CAVEAT

_TESTS = Path(__file__).resolve().parent.parent
for _folder in ("cohort", "honesty"):
    if str(_TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / _folder))
_spec = importlib.util.spec_from_file_location(
    "cohort_test_fixtures", _TESTS / "cohort/conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
_cohort = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cohort)
treated = _cohort.treated

# The words tests/honesty forbids in any text of the cohort analysis.
CLAIMS = importlib.import_module("test_the_reading_is_generated_from_the_numbers").CLAIMS

RESAMPLES = 100  # the least the analysis takes; the report's default is 1000
MONTH_3 = date(2027, 2, 1)  # Maria's cut-off with fewer visits after her dose


def report(clinic: Any, fmt: str = "html", by: str = "olga", **given: Any) -> Any:
    return cohort_report(
        clinic.db,
        clinic[by],
        fmt=fmt,  # type: ignore[arg-type]
        **({"bootstrap_resamples": RESAMPLES} | given),
    )


def test_the_html_shows_the_change_of_slope_with_its_intervals_and_the_generated_reading(
    clinic: Any, treated: Any
) -> None:
    expected = cohort_outcomes(clinic.db, clinic["olga"], bootstrap_resamples=RESAMPLES)
    e = expected.estimate
    text = html_text(report(clinic).content.decode())
    assert "Cohort outcomes report" in text
    assert "up to the data cut-off 2027-11-20" in text
    assert f"Reading: {e.reading}" in text
    assert (
        f"Change of slope after the first dose (β2) {e.slope_change:+.2f} ".replace("-", "−")
        + f"{fmt(e.wald.low)} to {fmt(e.wald.high)} Wald: model-based standard error"
    ) in text
    assert e.robust is not None
    assert e.bootstrap is not None
    assert f"{fmt(e.robust.low)} to {fmt(e.robust.high)} cluster-robust" in text
    assert (
        f"{fmt(e.bootstrap.low)} to {fmt(e.bootstrap.high)} bootstrap: 100 cluster resamples "
        f"of patients, seed 6; {e.bootstrap_failed} could not be fitted"
    ) in text
    assert f"Slope before the first dose (β1) {e.slope_before:+.2f}".replace("-", "−") in text
    assert "5 patients, 35 ALSFRS-R totals in the model" in text
    # The groups, each marked exploratory, and the responders beside untreated patients.
    assert words(GROUPS_NOTE) in text
    assert "cell source Allogeneic umbilical-cord MSC 3 21" in text
    assert "route Intravenous (IV)" in text
    assert "planned dose 1×10^6 cells/kg 4 28" in text
    assert "planned dose 2×10^6 cells/kg 1 7" in text
    assert "EXPLORATORY, not a finding:" in text
    assert "27.7% met this definition in the NurOwn phase 3" in text
    for caveat in (CAVEAT, RESPONDER_CAVEAT, SURVIVAL_CAVEAT, SAFETY_CAVEAT):
        assert words(caveat) in text
    assert "Every serious adverse event (0)" in text
    assert "synthetic" not in text.lower()


def test_each_figure_states_the_cut_off_n_the_model_and_its_version(
    clinic: Any, treated: Any
) -> None:
    # One event, so that the observed curve falls once: a tracheostomy on 1 Sep 2027.
    event = MilestoneIn(kind="tracheostomy", occurred_on=date(2027, 9, 1))
    records.add(clinic.db, clinic["alice"], MILESTONE, treated[0].patient_id, event)
    page = report(clinic).content.decode()
    slopes, survival, safety = figures(page)
    assert 'id="cohort-alsfrs-mean-line"' in slopes
    assert len(re.findall(r'id="cohort-alsfrs-patient-\d+"', slopes)) == 5
    assert 'id="cohort-alsfrs-first-dose"' in slopes
    assert "Data cut-off 2027-11-20 · n = 5 patients, 35 ALSFRS-R totals (15 on or before the " \
        "first dose, 20 after) · model alstrack.analysis.PiecewiseSlopeModel, version " \
        f"{__version__}: ALSFRS-R = β0" in svg_text(slopes)  # fmt: skip
    caption = html_text(page.split(slopes, 1)[1].split("</figcaption>", 1)[0])
    assert "Data cut-off 2027-11-20; n = 5 patients, 35 totals" in caption
    assert f"Model alstrack.analysis.PiecewiseSlopeModel, version {__version__}" in caption
    assert 'id="cohort-survival-observed"' in survival
    assert 'id="cohort-survival-observed-band"' in survival
    assert "Data cut-off 2027-11-20 · n = 5 patients, 1 event" in svg_text(survival)
    assert "model encals-survival 2018-public-code.1" in svg_text(survival)
    assert f"alstrack {__version__}" in svg_text(survival)
    caption = html_text(page.split(survival, 1)[1].split("</figcaption>", 1)[0])
    assert "Data cut-off 2027-11-20; n = 5 patients, 1 event; 0 with an ENCALS prediction" in (
        caption
    )
    assert 'id="safety-row-0"' in safety
    assert "Data cut-off 2027-11-20 · n = patients treated in each row" in svg_text(safety)


def test_with_one_treated_patient_the_report_says_why_there_is_no_estimate(
    clinic: Any, followed: Any
) -> None:
    with pytest.raises(InvalidInput) as refused:
        cohort_outcomes(clinic.db, clinic["olga"], bootstrap_resamples=RESAMPLES)
    page = report(clinic).content.decode()
    text = html_text(page)
    assert refused.value.message.endswith(
        "a mixed model needs at least 2 patients; the data have 1"
    )
    assert f"No estimate. {refused.value.message}." in text
    assert "Reading:" not in text
    assert "No groups: the cohort model was not fitted (above)." in text
    assert words(CAVEAT) in text
    # What needs no model is still shown: the patient's totals, responders, survival, safety.
    [slopes, *_] = figures(page)
    assert 'id="cohort-alsfrs-patient-0"' in slopes
    assert "mean-line" not in slopes
    assert "not fitted: The cohort model cannot be fitted to the 1 treated patient" in svg_text(
        slopes
    )
    assert "Definition: own slope after the first dose minus own slope before it" in text
    assert words(RESPONDER_CAVEAT) in text
    assert words(SURVIVAL_CAVEAT) in text
    assert "All treated patients 1 1" in text


def test_survival_counts_only_the_events_up_to_the_data_cut_off(clinic: Any, followed: Any) -> None:
    event = MilestoneIn(kind="tracheostomy", occurred_on=date(2027, 4, 1))
    records.add(clinic.db, clinic["alice"], MILESTONE, followed.patient_id, event)
    before = html_text(report(clinic, on=MONTH_3).content.decode())
    after = html_text(report(clinic).content.decode())
    assert "1 treated patient in the curves, 0 events" in before
    assert "1 treated patient in the curves, 1 event" in after
    assert words(SURVIVAL_CAVEAT) in before


def test_a_named_external_cohort_sets_maria_beside_matched_controls(
    clinic: Any, followed: Any, tmp_path: Path
) -> None:
    # Two limb-onset subjects like Maria at her baseline (40 points, 11 months from onset,
    # about 50 years old), losing a point a month: as in tests/products/test_external_comparison.
    items = ["Q1_Speech", "Q2_Salivation", "Q3_Swallowing", "Q4_Handwriting",
             "Q5a_Cutting_without_Gastrostomy", "Q6_Dressing_and_Hygiene", "Q7_Turning_in_Bed",
             "Q8_Walking", "Q9_Climbing_Stairs", "R_1_Dyspnea", "R_2_Orthopnea",
             "R_3_Respiratory_Insufficiency"]  # fmt: skip
    rows = ["subject_id," + ",".join(items) + ",ALSFRS_Delta"]
    for subject in ("c1", "c2"):
        for day, total in ((0, 40), (91, 37), (182, 34), (365, 28)):
            scores = [4 - (48 - total) // 12 - (k < (48 - total) % 12) for k in range(12)]
            rows.append(",".join([subject, *map(str, scores), str(day)]))
    (tmp_path / "alsfrs.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "AlsHistory.csv").write_text(
        "subject_id,Site_of_Onset,Onset_Delta\nc1,Onset: Limb,-330\nc2,Onset: Limb,-335\n"
    )
    (tmp_path / "demographics.csv").write_text("subject_id,Age,Sex\nc1,50,Female\nc2,52,Male\n")
    external_cohorts.import_proact(clinic.db, clinic["olga"], tmp_path, "pool")
    text = html_text(report(clinic, external_cohort="pool").content.decode())
    assert "Matched external controls" in text
    assert "pool 1 1 2" in text
    assert (
        "Reading: no interval (fewer than two patients compared): the difference cannot be "
        "judged" in text
    )
    assert "ALSFRS-R total at baseline: within ±3 points" in text
    assert words(EXTERNAL_CAVEAT) in text
    later = html_text(report(clinic, external_cohort="pool", on=MONTH_3).content.decode())
    assert "Not compared with 'pool': the external comparison takes no data cut-off" in later


def test_the_pdf_is_a_pdf_named_after_the_site_and_cut_off_and_holds_the_caveat(
    clinic: Any, followed: Any
) -> None:
    document = report(clinic, "pdf", site_code="NORTH")
    assert document.filename == "cohort-report-NORTH-2027-05-10.pdf"
    assert document.content.startswith(b"%PDF-")
    text = pdf_text(document.content)
    assert words(CAVEAT) in text
    assert "The cohort model cannot be fitted to the 1 treated patient" in text
    assert document.content == report(clinic, "pdf", site_code="NORTH").content


def test_no_sentence_of_the_report_says_the_therapy_works(clinic: Any, treated: Any) -> None:
    text = html_text(report(clinic).content.decode())
    assert not CLAIMS.search(text), CLAIMS.search(text)


def test_a_role_that_may_not_read_assessments_is_refused(clinic: Any, followed: Any) -> None:
    with pytest.raises(PermissionDenied, match=r"assessments\.read"):
        report(clinic, by="ben")
    with pytest.raises(PermissionDenied, match=r"assessments\.read"):
        report(clinic, by="adam")


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"site_code": "EAST"}, "site"),
        ({"responder_threshold": 0.0}, "responder_threshold"),
        ({"bootstrap_resamples": 5}, "bootstrap_resamples"),
        ({"external_cohort": "PRO-ACT"}, "external_cohort"),
    ],
)
def test_a_value_the_analysis_refuses_refuses_the_report_naming_it(
    clinic: Any, followed: Any, given: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        report(clinic, **given)
    assert [f.field for f in refused.value.fields] == [field]


def test_the_demo_clinics_report_says_synthetic_demo_data_and_why_there_is_no_estimate(
    db: Any, facility: str
) -> None:
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        system = users.system_actor(db)
        demo.load_demo(db, system, patients=60, seed=1, today=date(2026, 11, 26))
        page = cohort_report(db, system, fmt="html").content.decode()
        printed = cohort_report(db, system, fmt="pdf").content
    footer = re.search(r'@bottom-left \{ content: "([^"]*)"', page)
    assert footer is not None
    assert footer.group(1).endswith("· synthetic demo data")
    text = html_text(page)
    assert "SYNTHETIC DEMO DATA" in text
    assert (
        "No estimate. The cohort model cannot be fitted to the 1 treated patient with 3 ALSFRS-R "
        "totals on or before 2026-11-26: a mixed model needs at least 2 patients; the data have 1."
    ) in text
    assert "synthetic demo data" in pdf_text(printed)


def svg_text(figure: str) -> str:
    """The words a figure draws (its text stays text), in one line."""
    return words(" ".join(re.findall(r">([^<]*)</text>", figure)))


def fmt(value: float) -> str:
    return f"{value:.2f}".replace("-", "−")
