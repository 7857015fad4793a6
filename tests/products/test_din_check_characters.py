"""DIN check characters and flags match ST-001 Appendix A; keyboard entry is checked with them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.iso7064 import mod_37_2

from alstrack.domain.isbt128 import Din, check_character, flag, format_din, parse_din
from alstrack.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"


def st_001_check_value(din: str) -> int:
    """The checksum as ST-001 Appendix A spells it out (cell-products.md), as an oracle."""
    s = 0
    for character in din:
        s = ((s + ALPHABET.index(character)) * 2) % 37
    return (38 - s) % 37


def reason(text: str) -> str:
    with pytest.raises(InvalidInput) as refused:
        parse_din(text)
    [problem] = refused.value.fields
    assert problem.field == "din"
    return problem.message


def test_the_published_example_g1234_17_654321_has_check_character_a_and_flag_70() -> None:
    assert check_character("G1234 17 654321") == "A"
    assert flag("G1234 17 654321") == "70"


def test_the_figure_2_example_a9999_21_123456_has_check_character_3() -> None:
    # ST-001 v6.2.2 Figure 2 (Donation Numbering).
    assert check_character("A999921123456") == "3"
    assert flag("A999921123456") == "63"


@pytest.mark.parametrize(
    "din",
    ["G123417654321", "A999921123456", "W000024000001", "J987699999999", "GAB1226000042"],
)
def test_check_characters_follow_the_st_001_arithmetic_and_stdnum_accepts_them(din: str) -> None:
    value = st_001_check_value(din)
    assert check_character(din) == ALPHABET[value]
    assert flag(din) == f"{60 + value}"
    assert mod_37_2.is_valid(din + check_character(din), alphabet=ALPHABET)


def test_check_value_36_is_the_star_and_flag_96() -> None:
    din = next(
        f"G123426{n:06d}" for n in range(1, 1000) if st_001_check_value(f"G123426{n:06d}") == 36
    )
    assert check_character(din) == "*"
    assert flag(din) == "96"
    assert str(parse_din(din + "*")) == din


def test_the_printed_form_with_spaces_and_small_letters_is_read() -> None:
    din = parse_din(" g1234 17 654321 ")
    assert din == Din("G1234", "17", "654321")
    assert str(din) == "G123417654321"
    assert format_din(din) == "G1234 17 654321"


def test_a_din_with_its_check_character_appended_is_verified() -> None:
    assert str(parse_din("G123417654321A")) == "G123417654321"
    assert str(parse_din("G1234 17 654321 A")) == "G123417654321"


def test_a_wrong_check_character_is_refused_without_naming_the_right_one() -> None:
    assert reason("G123417654321B") == "check character B does not match this DIN"


def test_a_check_character_outside_the_alphabet_is_refused() -> None:
    assert reason("G123417654321#") == "check character '#' is not 0–9, A–Z or *"


def test_bar_code_data_is_read_and_check_flags_are_verified() -> None:
    assert str(parse_din("=G12341765432170")) == "G123417654321"
    assert str(parse_din("=G12341765432100")) == "G123417654321"
    assert reason("=G12341765432171") == "flag characters 71 do not match this DIN"
    assert reason("=G123417654321IO") == "flag characters 'IO' are not ISBT 128 flags"


@pytest.mark.parametrize(
    ("text", "at_fault"),
    [
        ("O123417654321", "facility identification number 'O1234'"),
        ("0123417654321", "facility identification number '01234'"),
        ("G12AB17654321", "facility identification number 'G12AB'"),
        ("G12341X654321", "year '1X' must be 2 digits"),
        ("G12341765432Z", "sequence '65432Z' must be 6 digits"),
        ("G12341765432", "must be 13 characters (as G1234 17 654321), or 14 with the check"),
        ("G123417654321AB", "got 15"),
    ],
)
def test_a_malformed_din_is_refused_with_the_part_at_fault(text: str, at_fault: str) -> None:
    assert at_fault in reason(text)


FACILITIES = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from("ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"),
    st.text("ABCDEFGHIJKLMNPQRSTUVWXYZ0123456789", min_size=2, max_size=2),
    st.text("0123456789", min_size=2, max_size=2),
)
DINS = st.builds(
    lambda facility, year, sequence: f"{facility}{year:02d}{sequence:06d}",
    FACILITIES,
    st.integers(0, 99),
    st.integers(0, 999_999),
)


@given(DINS)
def test_every_valid_din_with_its_check_character_is_accepted(din: str) -> None:
    assert str(parse_din(din + check_character(din))) == din


@given(DINS, st.data())
def test_changing_any_one_character_is_detected(din: str, data: st.DataObject) -> None:
    entry = din + check_character(din)
    position = data.draw(st.integers(0, len(entry) - 1))
    other = data.draw(st.sampled_from(ALPHABET.replace(entry[position], "")))
    with pytest.raises(InvalidInput):
        parse_din(entry[:position] + other + entry[position + 1 :])


@given(DINS, st.data())
def test_swapping_two_neighbouring_characters_is_detected(din: str, data: st.DataObject) -> None:
    entry = din + check_character(din)
    position = data.draw(
        st.sampled_from([i for i in range(len(entry) - 1) if entry[i] != entry[i + 1]])
    )
    swapped = entry[:position] + entry[position + 1] + entry[position] + entry[position + 2 :]
    with pytest.raises(InvalidInput):
        parse_din(swapped)
