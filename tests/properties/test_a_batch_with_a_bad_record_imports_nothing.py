"""A batch of records (`records.add_many`, the import path the demo clinic loads through) is
stored whole, each record with its audit entry, or refused with alstrack's own error naming the
record and the field, and then nothing of it is stored.

Batches of each dated kind (ALSFRS-R and other instruments, spirometry, body measurements,
milestones, drug courses) whose records may be out of their patient's life (before birth, after
death, in the future), of a patient not there (or past what an id can be), twice where once
is allowed, or hold values of the wrong type or out of range; input models refuse what they can
when they are built (as the API does), and the service refuses the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st
from properties_cast import ODD_TEXT, PROPERTIES, outcome, show
from pydantic import BaseModel, ValidationError

from alstrack.errors import AlstrackError, InvalidInput
from alstrack.services import records
from alstrack.services.assessments import BODY_MEASUREMENT, INSTRUMENT_ASSESSMENT, SPIROMETRY
from alstrack.services.milestones import DRUG_COURSE, MILESTONE
from alstrack.services.patients import PatientOut
from alstrack.services.records import RecordKind

# Pat was born on 1958-04-02, his symptoms began on 2023-01-16.
GOOD_DAYS = st.dates(min_value=date(2023, 1, 16), max_value=date.today())
ODD_DAYS = st.one_of(
    st.sampled_from([date(1958, 4, 1), date(1900, 1, 1), date(9999, 12, 31)]),
    st.just(date.today() + timedelta(days=1)),
)
ODD_NUMBERS = st.one_of(
    st.integers(min_value=-1, max_value=5),
    st.sampled_from([2.5, 3.0, -0.0, 1e308, 2**63, True]),
    st.floats(),
    st.text(max_size=3),
    st.none(),
)
ITEMS = ["q1", "q2", "q3", "q4", "q5a", "q6", "q7", "q8", "q9", "q10", "q11", "q12"]
RATER = "Dr Wei Chen"


def _alsfrs() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "instrument": st.sampled_from(["alsfrs_r"]),
        "assessed_on": GOOD_DAYS,
        "assessed_by": st.just(RATER),
        "responses": st.fixed_dictionaries({item: st.integers(0, 4) for item in ITEMS}),
    }


def _odd_alsfrs() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "instrument": st.sampled_from(["mas", "als_symptoms", "x"]),
        "assessed_on": ODD_DAYS,
        "assessed_by": ODD_TEXT,
        "responses": st.dictionaries(st.sampled_from([*ITEMS, "q5b", "q13"]), ODD_NUMBERS),
    }


def _spirometry() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "assessed_on": GOOD_DAYS,
        "assessed_by": st.just(RATER),
        "fvc_l": st.floats(1, 6),
        "height_cm": st.just(172.0),
        "equation": st.sampled_from([None, "GLI-2012", "GLI-Global"]),
    }


def _odd_spirometry() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "assessed_on": ODD_DAYS,
        "assessed_by": ODD_TEXT,
        "fvc_l": ODD_NUMBERS,
        "height_cm": ODD_NUMBERS,
        "equation": st.one_of(st.just("GLI-1900"), ODD_TEXT),
    }


def _body() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "assessed_on": GOOD_DAYS,
        "assessed_by": st.just(RATER),
        "weight_kg": st.floats(40, 120),
        "height_cm": st.just(172.0),
    }


def _odd_body() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "assessed_on": ODD_DAYS,
        "assessed_by": ODD_TEXT,
        "weight_kg": ODD_NUMBERS,
        "height_cm": ODD_NUMBERS,
    }


def _milestone() -> dict[str, st.SearchStrategy[Any]]:
    kinds = ["niv_start", "niv_over_23h", "tracheostomy"]
    return {"kind": st.sampled_from(kinds), "occurred_on": GOOD_DAYS}


def _odd_milestone() -> dict[str, st.SearchStrategy[Any]]:
    # A death or a gastrostomy, stored, changes what every later example may record: odd here.
    kinds = ["death", "gastrostomy", "onset", "Death", ""]
    return {"kind": st.sampled_from(kinds), "occurred_on": ODD_DAYS}


def _drug_course() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "drug": st.sampled_from(["riluzole", "edaravone", "tofersen"]),
        "drug_name": st.none(),
        "start_date": GOOD_DAYS,
        "stop_date": st.one_of(st.none(), st.just(date.today())),
    }


def _odd_drug_course() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "drug": st.sampled_from(["other", "aspirin"]),
        "drug_name": st.one_of(st.none(), ODD_TEXT),
        "start_date": ODD_DAYS,
        "stop_date": st.one_of(GOOD_DAYS, ODD_DAYS),
    }


Fields = Callable[[], dict[str, st.SearchStrategy[Any]]]
# Each kind: its record kind, the fields of a good record, odd values for them.
KINDS: dict[str, tuple[RecordKind[Any, Any], Fields, Fields]] = {
    "instrument_assessment": (INSTRUMENT_ASSESSMENT, _alsfrs, _odd_alsfrs),
    "spirometry": (SPIROMETRY, _spirometry, _odd_spirometry),
    "body_measurement": (BODY_MEASUREMENT, _body, _odd_body),
    "milestone": (MILESTONE, _milestone, _odd_milestone),
    "drug_course": (DRUG_COURSE, _drug_course, _odd_drug_course),
}


@st.composite
def batches(draw: st.DrawFn) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """A kind and one to six of its records: most good, some with a field odd or dropped, each
    for Pat or now and then for a patient who is not there."""
    kind = draw(st.sampled_from(sorted(KINDS)))
    _, good, odd = KINDS[kind]
    records_: list[tuple[str, dict[str, Any]]] = []
    for _ in range(draw(st.integers(1, 6))):
        data = {name: draw(values) for name, values in good().items()}
        if draw(st.integers(0, 3)) == 0:
            name = draw(st.sampled_from(sorted(data)))
            if draw(st.integers(0, 4)) == 0:
                del data[name]
            else:
                data[name] = draw(odd()[name])
        whose = draw(st.sampled_from(["pat"] * 20 + ["missing", "past any id"]))
        records_.append((whose, data))
    return kind, records_


def _built(model: type[BaseModel], data: dict[str, Any]) -> BaseModel | None:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None  # refused as the API refuses such a body, before any service sees it


PATIENT_IDS = {"missing": 999_999, "past any id": 2**31}


@PROPERTIES
@given(batch=batches())
def test_a_batch_is_stored_whole_or_not_at_all(
    clinic: Any,
    pat: PatientOut,
    stored: Callable[[], dict[str, int]],
    batch: tuple[str, list[tuple[str, dict[str, Any]]]],
) -> None:
    name, items = batch
    kind = KINDS[name][0]
    note(f"{name}: {[(who, {k: show(v) for k, v in data.items()}) for who, data in items]}")
    built = [(PATIENT_IDS.get(who, pat.id), _built(kind.input_model, data)) for who, data in items]
    inputs = [(patient_id, record) for patient_id, record in built if record is not None]
    if not inputs:
        return
    before = stored()
    added = outcome(lambda: records.add_many(clinic.db, clinic.system, kind, inputs))
    after = stored()
    event(type(added).__name__)
    if isinstance(added, AlstrackError):
        note(str(added))
        assert added.message.strip()
        assert after == before
        return
    grown = {table: after[table] - before[table] for table in after}
    table = kind.model.__tablename__
    assert {t: n for t, n in grown.items() if n} == {table: len(inputs), "audit_log": len(inputs)}


@PROPERTIES
@given(
    count=st.integers(1, 4),
    at=st.integers(0, 3),
    rater=st.one_of(st.text(min_size=1, max_size=200), st.from_regex(r"\A.{0,20}\x00.{0,20}\Z")),
)
def test_a_rater_the_database_cannot_store_refuses_the_batch_naming_the_record(
    clinic: Any,
    pat: PatientOut,
    stored: Callable[[], dict[str, int]],
    count: int,
    at: int,
    rater: str,
) -> None:
    visits = [
        {
            "instrument": "alsfrs_r",
            "assessed_on": date(2024, 1, 5) + timedelta(days=k),
            "assessed_by": RATER,
            "responses": dict.fromkeys(ITEMS, 3),
        }
        for k in range(count)
    ]
    visits[at % count]["assessed_by"] = rater
    inputs = [(pat.id, INSTRUMENT_ASSESSMENT.input_model.model_validate(v)) for v in visits]
    before = stored()
    added = outcome(
        lambda: records.add_many(clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, inputs)
    )
    if "\x00" in rater:
        assert isinstance(added, InvalidInput), added
        assert added.message.startswith(f"Record {at % count + 1}: assessed_by")
        assert stored() == before
    else:
        assert added == count, added


def test_an_item_score_past_any_float_is_refused_as_invalid_input(
    clinic: Any, pat: PatientOut, stored: Callable[[], dict[str, int]]
) -> None:
    responses = dict.fromkeys(ITEMS, 3) | {"q1": 10**400}
    record = INSTRUMENT_ASSESSMENT.input_model.model_validate(
        {"instrument": "alsfrs_r", "assessed_on": date(2024, 1, 5), "assessed_by": RATER,
         "responses": responses}
    )  # fmt: skip
    before = stored()
    with pytest.raises(InvalidInput, match="q1"):
        records.add_many(clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, [(pat.id, record)])
    assert stored() == before
