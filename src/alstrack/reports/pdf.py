"""PDF of a rendered HTML document, by WeasyPrint: the same page a browser prints.

WeasyPrint needs Debian's Pango and a font (`make install` installs them when missing). The
documents hold everything inline, so the fetcher refuses every URL: rendering never reaches
for the network or the disk.
"""

from __future__ import annotations

import threading

__all__ = ["html_to_pdf"]

# The API serves requests on a pool of threads (8 on PostgreSQL), and crashes in Pango under
# concurrent rendering have been reported (WeasyPrint issue 1402). Labels and reports are
# printed one at a time by people, so rendering one PDF at a time costs little.
_LOCK = threading.Lock()


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html``; its @page rules set the paper (a label's size, A4 for reports)."""
    # Imported here: WeasyPrint loads Pango when imported, which every other command can skip.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    with _LOCK:
        pdf: bytes = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    return pdf
