"""What every printed document shares: its formats, and HTML made into the bytes to deliver.

The Document type is the one the product documents introduced (services.product_documents);
the clinical reports (services.patient_documents, services.safety_documents) use it too, so the
API and the command line deliver every document the same way.
"""

from __future__ import annotations

from alstrack.errors import InvalidInput
from alstrack.reports.pdf import html_to_pdf
from alstrack.services.product_documents import FORMATS, Document, Format

__all__ = ["FORMATS", "Document", "Format", "check_format", "document"]

_MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def check_format(fmt: str) -> None:
    """Refuse a format other than html or pdf, before any work is done."""
    if fmt not in FORMATS:
        raise InvalidInput.for_field("format", f"{fmt!r} is not a format; choose html or pdf")


def document(html: str, fmt: Format, name: str) -> Document:
    """``html`` as it is (UTF-8) or as a PDF, under the file name ``name``.html or .pdf."""
    content = html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    return Document(content=content, media_type=_MEDIA_TYPES[fmt], filename=f"{name}.{fmt}")
