"""Documents rendered as HTML (Jinja2) and PDF (WeasyPrint): product labels, chain-of-custody
reports, a patient's progress report, the safety report and the cohort outcomes report, the last
three with figures drawn by matplotlib (reports.plots, reports.cohort_plots).

Rendering is pure: a view from ``reports.views``, ``reports.patient_views``,
``reports.safety_views`` or ``reports.cohort_views`` in, a document out. The services gather the
views (``services.product_documents``, ``services.patient_documents``,
``services.safety_documents``, ``services.cohort_documents``); nothing here reads the database,
the settings or a clock.
"""

from alstrack.reports.barcodes import BAR_CODE_OPTIONS, code128_svg, din_bar_code_data
from alstrack.reports.cohort_views import CohortReportView
from alstrack.reports.patient_views import PatientReportView
from alstrack.reports.pdf import html_to_pdf
from alstrack.reports.render import (
    cohort_report_html,
    custody_report_html,
    label_html,
    patient_report_html,
    safety_report_html,
)
from alstrack.reports.safety_views import SafetyReportView
from alstrack.reports.views import (
    CustodyEvent,
    CustodyView,
    DeviationLine,
    LabelView,
    QcLine,
    SignatureLine,
)

__all__ = [
    "BAR_CODE_OPTIONS",
    "CohortReportView",
    "CustodyEvent",
    "CustodyView",
    "DeviationLine",
    "LabelView",
    "PatientReportView",
    "QcLine",
    "SafetyReportView",
    "SignatureLine",
    "code128_svg",
    "cohort_report_html",
    "custody_report_html",
    "din_bar_code_data",
    "html_to_pdf",
    "label_html",
    "patient_report_html",
    "safety_report_html",
]
