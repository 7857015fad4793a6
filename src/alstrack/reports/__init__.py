"""Product labels and chain-of-custody reports, rendered as HTML (Jinja2) and PDF (WeasyPrint).

Rendering is pure: a view from ``reports.views`` in, a document out. The services gather the
views (``services.product_documents``); nothing here reads the database, the settings or a clock.
"""

from alstrack.reports.barcodes import BAR_CODE_OPTIONS, code128_svg, din_bar_code_data
from alstrack.reports.pdf import html_to_pdf
from alstrack.reports.render import custody_report_html, label_html
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
    "CustodyEvent",
    "CustodyView",
    "DeviationLine",
    "LabelView",
    "QcLine",
    "SignatureLine",
    "code128_svg",
    "custody_report_html",
    "din_bar_code_data",
    "html_to_pdf",
    "label_html",
]
