"""Numbers as the clinical reports print them: a true minus sign, a dash for none, intervals
in words that cannot be misread.

>>> fixed(-1.25), signed(0.5), interval(-1.94, -0.4), percent(1 / 3), interval(None, 2.0)
('−1.2', '+0.50', '−1.94 to −0.40', '33%', 'no interval')
"""

from __future__ import annotations

__all__ = ["fixed", "interval", "percent", "percent_interval", "signed"]

_NONE = "—"


def fixed(value: float | None, digits: int = 1) -> str:
    """``value`` to ``digits`` decimals with a true minus sign; a dash when there is none."""
    if value is None:
        return _NONE
    return _minus(f"{value:.{digits}f}")


def signed(value: float | None, digits: int = 2) -> str:
    """A change or a difference, always with its sign."""
    if value is None:
        return _NONE
    return _minus(f"{value:+.{digits}f}")


def interval(low: float | None, high: float | None, digits: int = 2) -> str:
    """A 95% interval as "low to high" (a hyphen could read as a minus sign)."""
    if low is None or high is None:
        return "no interval"
    return f"{fixed(low, digits)} to {fixed(high, digits)}"


def percent(value: float | None, digits: int = 0) -> str:
    if value is None:
        return _NONE
    return f"{100 * value:.{digits}f}%"


def percent_interval(low: float | None, high: float | None, digits: int = 0) -> str:
    if low is None or high is None:
        return "no interval"
    return f"{100 * low:.{digits}f}% to {100 * high:.{digits}f}%"


def _minus(text: str) -> str:
    # "−0.0" reads as a change where there is none.
    text = text.replace("-", "−")
    return text[1:] if text.startswith("−") and not text.strip("−0.") else text
