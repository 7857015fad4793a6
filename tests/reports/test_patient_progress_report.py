"""A patient's progress report shows the numbers of her outcomes, plotted beside the course
expected without treatment with her dose marked, says what it cannot show, and is the same
document every time for the same data.

Maria (conftest): ALSFRS-R 44, 41, 40 before her dose on 1 Nov 2026, 38 at month 3 and 36 at
month 6; the data cut-off is 10 May 2027.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from report_reading import figures, html_text, pdf_text, words

from alstrack.errors import NotFound, PermissionDenied
from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT, SPIROMETRY, SpirometryIn
from alstrack.services.outcomes import CAVEAT
from alstrack.services.patient_documents import patient_report
from alstrack.services.patients import PatientIn, register_patient


def report(clinic: Any, patient_id: int, fmt: str = "html", by: str = "chen") -> Any:
    return patient_report(clinic.db, clinic[by], patient_id, fmt=fmt)  # type: ignore[arg-type]


def test_the_html_holds_the_key_numbers_the_readings_and_the_caveat(
    clinic: Any, followed: Any
) -> None:
    page = report(clinic, followed.patient_id).content.decode()
    text = html_text(page)
    assert "Patient progress report" in text
    assert "Data cut-off 2027-05-10" in text
    # The slopes, with their intervals and the visits behind them.
    assert "Before the first dose −1.09 −5.47 to 3.29 3 least squares over 3 visits" in text
    assert "After the first dose −0.67 no interval 2 least squares over 2 visits" in text
    assert "Before, from onset −0.73 no interval 1 ΔFS from onset" in text
    # Observed minus expected at month 3, with its reading; month 12 says why it is missing.
    assert (
        "3 38.0 at month 3.0 36.3 10.9 to 48.0 +1.7 −10.0 to 27.1 no evidence of a difference "
        "from the expected course (the interval covers zero)" in text
    )
    assert "cannot be compared: no visit within 1.5 months of month 12" in text
    assert "2 doses" not in text
    assert "1 dose: 2026-11-01" in text
    assert words(CAVEAT) in text
    # What the ENCALS model would need, instead of a guess, with the model's version.
    assert "Not predicted: the record lacks an FVC % predicted within 90 days of diagnosis" in text
    assert "Model encals-survival 2018-public-code.1" in text
    assert "synthetic" not in text.lower()


def test_the_figure_is_inline_svg_with_the_dose_and_the_expected_course_drawn(
    clinic: Any, followed: Any
) -> None:
    page = report(clinic, followed.patient_id).content.decode()
    [alsfrs, fvc, weight, subscores, stages] = figures(page)
    assert 'id="alsfrs_r_total-dose-1"' in alsfrs
    assert 'id="alsfrs_r_total-observed"' in alsfrs
    assert 'id="alsfrs_r_total-expected-course"' in alsfrs
    assert 'id="alsfrs_r_total-prediction-band"' in alsfrs  # three visits before: a line
    assert 'id="fvc_percent_predicted-dose-1"' in fvc
    assert 'id="weight_kg-dose-1"' in weight
    assert 'id="alsfrs_r_subscores-dose-1"' in subscores
    assert 'id="stages-kings-dose-1"' in stages
    caption = html_text(page.split(alsfrs, 1)[1].split("</figcaption>", 1)[0])
    assert caption.startswith(
        "ALSFRS-R total (points). Data cut-off 2027-05-10; n = 5 values (3 on or before the "
        "first dose, 2 after). Expected course without treatment: the line of 3 visits before "
        "the first dose, with 95% prediction intervals."
    )
    assert "alstrack 0.1.0" in caption
    # Ids are unique across the figures sharing the page; nothing is fetched.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert re.search(r"""(src|href)=["'](?!#)|url\((?!#)|@import""", page) is None


def test_the_pdf_parses_and_holds_the_caveat_and_the_numbers(clinic: Any, followed: Any) -> None:
    document = report(clinic, followed.patient_id, "pdf")
    assert (document.media_type, document.content[:5]) == ("application/pdf", b"%PDF-")
    text = pdf_text(document.content)
    assert words(CAVEAT) in text
    assert "no evidence of a difference from the expected course" in text
    assert "Data cut-off 2027-05-10" in text
    assert document.filename.endswith("-progress-report.pdf")


def test_the_same_data_give_the_same_pdf_bytes(clinic: Any, followed: Any) -> None:
    first = report(clinic, followed.patient_id, "pdf").content
    assert report(clinic, followed.patient_id, "pdf").content == first


def test_another_sites_user_finds_no_such_patient(clinic: Any, followed: Any) -> None:
    with pytest.raises(NotFound):
        report(clinic, followed.patient_id, by="sami")


@pytest.mark.parametrize("role_user", ["ben", "adam"])
def test_a_role_that_may_not_read_assessments_is_refused(
    clinic: Any, followed: Any, role_user: str
) -> None:
    with pytest.raises(PermissionDenied, match=r"assessments\.read"):
        report(clinic, followed.patient_id, by=role_user)


def test_a_format_other_than_html_or_pdf_is_refused(clinic: Any, followed: Any) -> None:
    with pytest.raises(Exception, match="not a format"):
        report(clinic, followed.patient_id, "docx")


def test_a_synthetic_patient_without_a_dose_says_so_and_compares_nothing(
    clinic: Any, alsfrs: Any
) -> None:
    patient = register_patient(
        clinic.db, clinic["alice"], PatientIn(site_id=clinic.sites["NORTH"], synthetic=True)
    )
    for day in (date(2025, 3, 1), date(2025, 6, 1)):
        records.add(clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, patient.id, alsfrs(day))
    page = report(clinic, patient.id).content.decode()
    text = html_text(page)
    assert "SYNTHETIC DEMO DATA" in text
    assert "synthetic demo data" in page.split("@bottom-left", 1)[1].split("}", 1)[0]
    assert "No dose recorded" in text
    assert "Not compared: no dose given: nothing to compare." in text
    assert "months from the first recorded value (2025-03-01)" in text
    # FVC and weight have no values, so no figure; the subscores and the stages have theirs.
    [alsfrs_figure, subscores, stages] = figures(page)
    assert "dose-1" not in alsfrs_figure
    assert "expected-course" not in alsfrs_figure
    assert 'id="alsfrs_r_subscores-bulbar"' in subscores
    assert "dose-1" not in subscores
    assert 'id="stages-kings"' in stages


def test_the_encals_prognosis_is_shown_with_its_model_provenance_and_curve(
    clinic: Any, pat: Any, alsfrs: Any
) -> None:
    """Pat (bulbar onset January 2023, probable ALS, C9orf72, no FTD) has an ALSFRS-R and an FVC
    at his diagnosis on 4 September 2023: everything the model needs."""
    records.add(clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(date(2023, 9, 4)))
    spirometry = SpirometryIn(
        assessed_on=date(2023, 9, 4), assessed_by="Nina Okafor", fvc_l=3.4, height_cm=178
    )
    records.add(clinic.db, clinic["alice"], SPIROMETRY, pat.id, spirometry)
    page = report(clinic, pat.id).content.decode()
    text = html_text(page)
    assert "Linear predictor" in text
    assert "Event-free at 12 months from onset" in text
    assert "C9orf72 repeat expansion yes" in text
    assert "Westeneng" in text  # the provenance
    assert "Status: not verified." in text
    survival = [f for f in figures(page) if 'id="encals-curve"' in f]
    assert len(survival) == 1
    assert "model encals-survival 2018-public-code.1" in text
    assert "says nothing of any treatment" in text


CLAIMS = ("effective", "efficacy", "improve", "benefit", "works", "halt", "slowed", "stopped")


def test_no_word_of_the_report_claims_a_benefit(clinic: Any, followed: Any) -> None:
    text = html_text(report(clinic, followed.patient_id).content.decode()).lower()
    assert not [claim for claim in CLAIMS if claim in text]
