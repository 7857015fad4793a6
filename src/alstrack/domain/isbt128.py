"""ISBT 128 Donation Identification Numbers (ICCBBA ST-001 §2.4.1): parsing and check characters.

A DIN names a donation, never a person: facility, year of assignment and a sequence number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_2

from alstrack.errors import InvalidInput

__all__ = [
    "Din",
    "check_character",
    "facility_problem",
    "flag",
    "format_din",
    "new_din",
    "parse_din",
    "year_code",
]

# ISO/IEC 7064 MOD 37-2 as ST-001 Appendix A maps it: 0–9 → 0–9, A–Z → 10–35, '*' → 36.
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
# ST-001 v6.2.2 §2.4.1: α is {A–N; P–Z; 1–9}; of pppp the first two are {A–N; P–Z; 0–9} (in use
# today: digits only) and the last two are digits. No letter O, which reads as a zero.
_FACILITY = re.compile(r"[A-NP-Z1-9][A-NP-Z0-9]{2}[0-9]{2}")
_FLAG_CHARACTERS = re.compile(r"[0-9A-HJ-NPR-Y]{2}")
# Flags 60–96 carry the check value (60 + checksum, ST-001 Table 3, type 3).
_CHECK_FLAGS = range(60, 97)


@dataclass(frozen=True, slots=True)
class Din:
    """The 13-character DIN: facility identification number, year code and sequence number."""

    facility: str
    year: str
    sequence: str

    def __post_init__(self) -> None:
        problem = facility_problem(self.facility)
        if problem:
            raise InvalidInput.for_field("din", problem)
        if not (len(self.year) == 2 and self.year.isascii() and self.year.isdigit()):
            raise InvalidInput.for_field("din", f"year {self.year!r} must be 2 digits")
        if not (len(self.sequence) == 6 and self.sequence.isascii() and self.sequence.isdigit()):
            raise InvalidInput.for_field("din", f"sequence {self.sequence!r} must be 6 digits")

    def __str__(self) -> str:
        return f"{self.facility}{self.year}{self.sequence}"


def facility_problem(facility: str) -> str | None:
    """Why ``facility`` is not an ISBT 128 facility identification number, or None if it is."""
    if _FACILITY.fullmatch(facility):
        return None
    return (
        f"facility identification number {facility!r} must be 5 characters: the first A–N, "
        "P–Z or 1–9, the next two A–N, P–Z or 0–9, the last two digits"
    )


def parse_din(text: str) -> Din:
    """The DIN in ``text``: 13 characters, 14 with the check character, or ``=`` bar-code data.

    Spaces are ignored and letters read as capitals. An appended check character, or flag
    characters 60–96, must match the DIN.

    >>> str(parse_din("G1234 17 654321 A"))
    'G123417654321'
    """
    code = "".join(text.split()).upper()
    if code.startswith("="):
        return _from_bar_code(code)
    if len(code) == 13:
        return _split(code)
    if len(code) == 14:
        din = _split(code[:13])
        _check_appended(din, code[13])
        return din
    raise InvalidInput.for_field(
        "din",
        f"must be 13 characters (as G1234 17 654321), or 14 with the check character; "
        f"got {len(code)}",
    )


def check_character(din: Din | str) -> str:
    """The keyboard-entry check character, printed boxed beside the DIN (ST-001 Appendix A).

    >>> check_character("G1234 17 654321")
    'A'
    """
    return mod_37_2.calc_check_digit(_code(din), alphabet=_ALPHABET)


def flag(din: Din | str) -> str:
    """Flag characters that carry the check: 60 + the checksum, two digits (ST-001 Table 3).

    >>> flag("G1234 17 654321")
    '70'
    """
    return f"{60 + _ALPHABET.index(check_character(din))}"


def format_din(din: Din) -> str:
    """The eye-readable DIN, as printed under the bar code: "G1234 17 654321"."""
    return f"{din.facility} {din.year} {din.sequence}"


def year_code(year: int) -> str:
    """The two-digit year code of a four-digit calendar year."""
    if not 1000 <= year <= 9999:
        raise InvalidInput.for_field("year", f"must be a four-digit calendar year, not {year}")
    return f"{year % 100:02d}"


def new_din(facility: str, year: int, sequence: int) -> Din:
    """The DIN a facility assigns as number ``sequence`` (1–999999) of calendar ``year``."""
    problem = facility_problem(facility)
    if problem:
        raise InvalidInput.for_field("facility", problem)
    if not 1 <= sequence <= 999_999:
        raise InvalidInput.for_field("sequence", f"must be between 1 and 999999, not {sequence}")
    return Din(facility, year_code(year), f"{sequence:06d}")


def _code(din: Din | str) -> str:
    return str(din if isinstance(din, Din) else parse_din(din))


def _split(code: str) -> Din:
    return Din(code[:5], code[5:7], code[7:])


def _check_appended(din: Din, given: str) -> None:
    # The right character is not named: a keyboard check that tells it would invite copying it.
    if given not in _ALPHABET:
        raise InvalidInput.for_field("din", f"check character {given!r} is not 0–9, A–Z or *")
    if not mod_37_2.is_valid(str(din) + given, alphabet=_ALPHABET):
        raise InvalidInput.for_field("din", f"check character {given} does not match this DIN")


def _from_bar_code(code: str) -> Din:
    # Data structure 001: "=" then the 13-character DIN and two flag characters.
    if len(code) != 16:
        raise InvalidInput.for_field(
            "din", f"bar-code data must be = and 15 characters (DIN and flags); got {len(code)}"
        )
    din, flags = _split(code[1:14]), code[14:]
    if not _FLAG_CHARACTERS.fullmatch(flags):
        raise InvalidInput.for_field("din", f"flag characters {flags!r} are not ISBT 128 flags")
    if flags.isdigit() and int(flags) in _CHECK_FLAGS and flags != flag(din):
        raise InvalidInput.for_field("din", f"flag characters {flags} do not match this DIN")
    return din
