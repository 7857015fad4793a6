"""The DIN bar code of a label: Code 128 drawn as SVG by python-barcode.

The bar code carries ISBT 128 data structure 001: "=", the 13-character DIN and the two flag
characters that hold its check value (ICCBBA ST-001; "=G12341765432170" for G1234 17 654321).
"""

from __future__ import annotations

from typing import Any

from barcode.codex import Code128
from barcode.writer import SVGWriter

from alstrack.domain.isbt128 import Din, flag, parse_din

__all__ = ["BAR_CODE_OPTIONS", "code128_svg", "din_bar_code_data"]

# X (the narrowest bar) of 0.25 mm, and a quiet zone of ten X each side: the Code 128 minimum
# (ISO/IEC 15417). The DIN is printed by the label itself, so the writer prints no text.
BAR_CODE_OPTIONS: dict[str, Any] = {
    "module_width": 0.25,
    "module_height": 10.0,
    "quiet_zone": 2.5,
    "write_text": False,
    "foreground": "black",
    "background": "white",
}


def din_bar_code_data(din: Din | str) -> str:
    """The bar-code data of a DIN: "=" + the DIN + its check flags.

    >>> din_bar_code_data("G1234 17 654321")
    '=G12341765432170'
    """
    code = din if isinstance(din, Din) else parse_din(din)
    return f"={code}{flag(code)}"


def code128_svg(data: str) -> str:
    """``data`` as a Code 128 bar code: an <svg> element to put inline in HTML."""
    writer = SVGWriter()
    writer.with_doctype = False
    rendered: bytes = Code128(data, writer=writer).render(BAR_CODE_OPTIONS)
    svg = rendered.decode("utf-8").strip()
    # Inline SVG takes no XML declaration.
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1].strip()
    return svg
