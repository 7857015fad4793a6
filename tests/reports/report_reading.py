"""Reading a report back as a person would: the HTML's words, the PDF's text, its figures."""

from __future__ import annotations

import html
import io
import re

from pypdf import PdfReader


def words(text: str) -> str:
    """Whitespace collapsed, so a sentence matches across line breaks."""
    return " ".join(text.split())


def html_text(page: str) -> str:
    """What a browser shows of the page: tags and the inline figures left out, entities read."""
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return words(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def pdf_text(content: bytes) -> str:
    return words(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


def figures(page: str) -> list[str]:
    """The inline <svg> elements of the page."""
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.DOTALL)
