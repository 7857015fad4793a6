"""The bedside check: what each of two qualified people confirms before cells are given.

Each person scans or types the patient's identifier (the pseudonymous study id on the
wristband) and the product's DIN: a scan reads the ISBT 128 bar-code data (``=`` + DIN +
flags); a typed DIN must carry its check character, so a slip of one key is caught
(cell-products.md). ``bedside_refusals`` lists every reason the check is refused, from facts
the service gathers; an empty tuple lets it through. Nothing here reads a clock or a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from alstrack.domain.isbt128 import Din, parse_din
from alstrack.domain.plan_readiness import ProcedureCheck
from alstrack.domain.products.lifecycle import State
from alstrack.domain.products.specifications import Outcome, TestJudgement
from alstrack.errors import InvalidInput

__all__ = ["ENTRIES", "BedsideFacts", "Entry", "bedside_refusals", "read_din"]

Entry = Literal["scanned", "typed"]
ENTRIES: tuple[Entry, ...] = get_args(Entry)


def read_din(text: str, entry: Entry) -> Din:
    """The DIN as entered at the bedside; InvalidInput (field ``din``) says what is wrong.

    >>> str(read_din("=G123417654321 70", "scanned"))
    'G123417654321'
    >>> str(read_din("G1234 17 654321 A", "typed"))
    'G123417654321'
    """
    code = "".join(text.split()).upper()
    if entry == "scanned" and not code.startswith("="):
        raise InvalidInput.for_field(
            "din", "a scan reads the ISBT 128 bar-code data (= then the DIN and its flags)"
        )
    if entry == "scanned" and not (code[14:].isdigit() and 60 <= int(code[14:]) <= 96):
        # alstrack's labels carry the check in the flags (60 + checksum): a scan without it
        # could be typed by hand, and would skip the check character.
        raise InvalidInput.for_field(
            "din", "the scanned bar code must carry the check flags 60-96 that alstrack prints"
        )
    if entry == "typed" and len(code) != 14:
        raise InvalidInput.for_field(
            "din",
            "type the DIN with its check character, the boxed character after it "
            f"(14 characters, as G1234 17 654321 A); got {len(code)}",
        )
    return parse_din(code)


@dataclass(frozen=True)
class BedsideFacts:
    """What the service knows when one person confirms the patient and the product."""

    now: datetime
    actor_id: int
    state: State
    released: bool  # QA released the product (a release event is on record)
    expires_at: datetime | None
    product_patient_id: int | None  # whom it was collected for or allocated to
    patient_id: int  # the patient identified at the bedside
    open_deviations: tuple[str, ...]
    planned_route: str | None  # the route of the patient's approved plan; None: no plan
    dose_endotoxin: TestJudgement  # the endotoxin of this dose against K × weight
    lumbar_puncture: bool  # the route is given by lumbar puncture
    lp_checks: tuple[ProcedureCheck, ...] | None  # LP- criteria not passed; None: no screening
    lp_screening_unfit: str | None  # why the newest screening cannot judge the LP checks now
    confirmed_by: tuple[int, ...]  # users who confirmed already, in order
    first_volume_ml: float | None  # the volume the first confirmation was for
    volume_ml: float

    def __post_init__(self) -> None:
        for name in ("now", "expires_at"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise InvalidInput.for_field(name, "must be timezone-aware")


def bedside_refusals(facts: BedsideFacts) -> tuple[str, ...]:
    """Every reason the confirmation is refused, in the order a nurse would check them."""
    reasons: list[str] = []
    if facts.product_patient_id != facts.patient_id:
        reasons.append("the product is not allocated to this patient: stop and report the mismatch")
    if not facts.released:
        reasons.append("the product has not been released by QA")
    reasons += _state(facts)
    if facts.expires_at is None:
        reasons.append("the product's expiry is not recorded")
    elif facts.now >= facts.expires_at:
        reasons.append(f"the product expired at {facts.expires_at.isoformat()} (REL-EXP-001)")
    if facts.open_deviations:
        listed = ", ".join(facts.open_deviations)
        reasons.append(f"open deviation ({listed}) until QA records a disposition")
    if facts.planned_route is None:
        reasons.append("the patient has no approved treatment plan")
    elif facts.dose_endotoxin.outcome != Outcome.PASS:
        judged = facts.dose_endotoxin
        reasons.append(
            f"endotoxin in this dose {judged.outcome.value} for {facts.planned_route} "
            f"({judged.limit}): {judged.reason}"
        )
    if facts.lumbar_puncture:
        reasons += _lumbar_puncture(facts)
    reasons += _second_person(facts)
    return tuple(reasons)


def _state(facts: BedsideFacts) -> list[str]:
    if facts.state == State.THAWED:
        return []
    if facts.state == State.VERIFIED:
        return ["two people verified this product already: administer it"]
    return [f"the product is {facts.state.label}; it is checked at the bedside once thawed"]


def _lumbar_puncture(facts: BedsideFacts) -> list[str]:
    route = facts.planned_route or "this route"
    if facts.lp_checks is None:
        return [f"no screening judged the lumbar-puncture checks for the {route} dose"]
    if facts.lp_screening_unfit is not None:
        return [f"the lumbar-puncture checks cannot be read: {facts.lp_screening_unfit}"]
    return [
        f"{check.id} is {check.result}"
        + (f" ({check.reason})" if check.reason else "")
        + f": the lumbar puncture for the {route} dose is blocked"
        for check in facts.lp_checks
    ]


def _second_person(facts: BedsideFacts) -> list[str]:
    reasons = []
    if facts.actor_id in facts.confirmed_by:
        reasons.append("you confirmed this product already: a second qualified person must")
    if facts.first_volume_ml is not None and facts.first_volume_ml != facts.volume_ml:
        reasons.append(
            f"the first confirmation was for {facts.first_volume_ml:g} mL, "
            f"not {facts.volume_ml:g} mL"
        )
    return reasons
