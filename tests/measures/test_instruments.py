"""Instruments as data: the shipped files load, broken files are refused, answers are checked."""

from pathlib import Path

import pytest

from alstrack.domain.instruments import Instrument, builtin_instruments, load_instrument
from alstrack.errors import InvalidInput

GOOD_FILE = """\
code: grip
version: "1.0"
name: Grip test
source: Test fixture
validated: false
items:
  - key: left
    label: Left hand
    choices:
      - {value: 1, label: Weak}
      - {value: 0, label: None}
"""


@pytest.fixture
def alsfrs_r() -> Instrument:
    return builtin_instruments()["alsfrs_r"]


@pytest.fixture
def mas() -> Instrument:
    return builtin_instruments()["mas"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(InvalidInput) as caught:
        load_instrument(path)
    assert caught.value.fields[0].field == str(path)
    return caught.value.fields[0].message


def test_it_ships_alsfrs_r_mas_and_the_symptom_rating() -> None:
    assert set(builtin_instruments()) == {"alsfrs_r", "mas", "als_symptoms"}


def test_alsfrs_r_has_its_thirteen_answerable_items_scored_4_to_0(alsfrs_r: Instrument) -> None:
    keys = [item.key for item in alsfrs_r.items]
    assert keys == ["q1", "q2", "q3", "q4", "q5a", "q5b", *(f"q{n}" for n in range(6, 13))]
    for item in alsfrs_r.items:
        assert [choice.value for choice in item.choices] == [4, 3, 2, 1, 0]
    assert alsfrs_r.validated
    assert "Cedarbaum" in alsfrs_r.source


def test_alsfrs_r_groups_are_the_four_subscores(alsfrs_r: Instrument) -> None:
    assert alsfrs_r.groups == {
        "bulbar": ("q1", "q2", "q3"),
        "fine_motor": ("q4", "q5a", "q5b", "q6"),
        "gross_motor": ("q7", "q8", "q9"),
        "respiratory": ("q10", "q11", "q12"),
    }


def test_alsfrs_r_q12_has_the_respiratory_insufficiency_wording(alsfrs_r: Instrument) -> None:
    labels = {choice.value: choice.label for choice in alsfrs_r.item("q12").choices}
    assert labels == {
        4: "None",
        3: "Intermittent use of BiPAP",
        2: "Continuous use of BiPAP during the night",
        1: "Continuous use of BiPAP during the night and day",
        0: "Invasive mechanical ventilation by intubation or tracheostomy",
    }


def test_mas_scores_1_plus_as_one_and_a_half(mas: Instrument) -> None:
    choices = mas.item("left_lower_limb").choices
    assert [c.value for c in choices] == ["0", "1", "1+", "2", "3", "4"]
    assert [c.numeric_score for c in choices] == [0, 1, 1.5, 2, 3, 4]
    assert "Bohannon" in mas.source


def test_the_symptom_rating_says_it_is_not_validated() -> None:
    symptoms = builtin_instruments()["als_symptoms"]
    assert symptoms.validated is False
    assert "not a validated" in symptoms.source
    assert [item.key for item in symptoms.items] == [
        "stiffness", "cramps", "fasciculations", "tremor", "fatigue",
        "pain", "sialorrhoea", "dysphagia", "dysarthria", "dyspnoea",
    ]  # fmt: skip


def test_builtin_instruments_cannot_be_changed_through_the_returned_dict() -> None:
    builtin_instruments().pop("mas")
    assert "mas" in builtin_instruments()


def test_it_loads_a_good_file(tmp_path: Path) -> None:
    instrument = load_instrument(write(tmp_path, GOOD_FILE))
    assert instrument.code == "grip"
    assert instrument.groups == {}


LEFT_ITEM = GOOD_FILE[GOOD_FILE.index("  - key: left") :]
CHOICES = "      - {value: 1, label: Weak}\n      - {value: 0, label: None}\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GOOD_FILE + LEFT_ITEM, "duplicate item keys: left"),
        (GOOD_FILE.replace("{value: 0,", "{value: 1,"), "duplicate choice value '1'"),
        (GOOD_FILE.replace("{value: 0,", '{value: "1", score: 0,'), "duplicate choice value '1'"),
        (GOOD_FILE.replace(LEFT_ITEM, "  []\n"), "the instrument has no items"),
        (GOOD_FILE.replace(CHOICES, "      []\n"), "item left has no choices"),
        (GOOD_FILE.replace("{value: 1,", '{value: "1+",'), "'1+' is not a number"),
        (GOOD_FILE.replace("{value: 1,", "{value: true,"), "items.0.choices.0.value"),
        (GOOD_FILE.replace("validated: false\n", ""), "validated: Field required"),
        (GOOD_FILE.replace("source:", "sauce:"), "sauce: Extra inputs are not permitted"),
        (GOOD_FILE + "groups:\n  hands: [left, right]\n", "group hands names unknown items: right"),
        (GOOD_FILE + "groups:\n  hands: []\n", "group hands has no items"),
        ("code: [unclosed", "cannot be read as YAML"),
        ("- just\n- a list\n", "must hold a mapping"),
    ],
)
def test_it_refuses_a_broken_file_naming_the_file_and_the_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    assert reason in refusal(write(tmp_path, text))


def test_it_refuses_a_file_that_does_not_exist(tmp_path: Path) -> None:
    assert "cannot be read" in refusal(tmp_path / "missing.yaml")


def test_unanswered_items_are_none(alsfrs_r: Instrument) -> None:
    answers = alsfrs_r.validate_responses({"q1": 4, "q5a": 2})
    assert answers["q1"] == 4
    assert answers["q5a"] == 2
    assert answers["q5b"] is None
    assert set(answers) == {item.key for item in alsfrs_r.items}


def test_it_accepts_answers_as_form_text(alsfrs_r: Instrument, mas: Instrument) -> None:
    assert alsfrs_r.validate_responses({"q1": "3"})["q1"] == 3
    assert mas.validate_responses({"left_upper_limb": "1+"})["left_upper_limb"] == "1+"
    assert mas.validate_responses({"left_upper_limb": 2})["left_upper_limb"] == "2"


@pytest.mark.parametrize("answer", [5, -1, "4.0", 3.5, True, "", "three"])
def test_it_refuses_an_answer_that_is_not_a_choice(alsfrs_r: Instrument, answer: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        alsfrs_r.validate_responses({"q3": answer})
    [error] = caught.value.fields
    assert error.field == "q3"
    assert "choose 4, 3, 2, 1, 0" in error.message


def test_it_refuses_an_unknown_item_naming_the_items(alsfrs_r: Instrument) -> None:
    with pytest.raises(InvalidInput) as caught:
        alsfrs_r.validate_responses({"q13": 4})
    [error] = caught.value.fields
    assert error.field == "q13"
    assert "items are q1, q2" in error.message


def test_it_reports_every_bad_answer_at_once(mas: Instrument) -> None:
    with pytest.raises(InvalidInput) as caught:
        mas.validate_responses({"left_upper_limb": "5", "right_upper_limb": "2+", "neck": "1"})
    assert {f.field for f in caught.value.fields} == {"left_upper_limb", "right_upper_limb", "neck"}
    assert "choose 0, 1, 1+, 2, 3, 4" in caught.value.fields[1].message


def test_scores_are_numbers_per_item(mas: Instrument, alsfrs_r: Instrument) -> None:
    assert mas.scores({"left_upper_limb": "1+", "right_upper_limb": "0"}) == {
        "left_upper_limb": 1.5,
        "right_upper_limb": 0.0,
        "left_lower_limb": None,
        "right_lower_limb": None,
    }
    assert alsfrs_r.scores({"q12": "3"})["q12"] == 3.0


def test_scores_refuse_bad_answers_too(mas: Instrument) -> None:
    with pytest.raises(InvalidInput):
        mas.scores({"left_upper_limb": "1.5"})


def test_an_unknown_group_is_refused_naming_the_groups(alsfrs_r: Instrument) -> None:
    with pytest.raises(InvalidInput) as caught:
        alsfrs_r.group_items("axial")
    assert "bulbar, fine_motor, gross_motor, respiratory" in caught.value.fields[0].message
