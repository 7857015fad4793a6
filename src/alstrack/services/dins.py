"""Donation Identification Numbers: the program assigns each from its ISBT 128 facility number."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from alstrack.config import get_settings
from alstrack.domain.isbt128 import Din, check_character, flag, format_din, new_din, year_code
from alstrack.errors import StepRefused
from alstrack.services.context import Actor, audited, now, today
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import Product, SequenceCounter

__all__ = ["DinOut", "assign_din", "din_counter", "next_din", "next_number"]

_LAST_SEQUENCE = 999_999


class DinOut(BaseModel):
    din: str
    eye_readable: str
    check_character: str
    flag: str
    facility: str
    year: int
    sequence: int
    assigned_at: datetime


def din_counter(facility: str, year: int) -> str:
    """The name of the counter that numbers a facility's DINs of one year."""
    return f"din:{facility}:{year_code(year)}"


def assign_din(db: Database, actor: Actor, *, year: int | None = None) -> DinOut:
    """The next DIN of ALSTRACK_FACILITY_ID in ``year`` (default: this year at the clinics)."""
    actor.require("products.write")
    with db.transaction() as session:
        return next_din(session, actor, year=year)


def next_din(session: Session, actor: Actor, *, year: int | None = None) -> DinOut:
    """Assign the next DIN in the caller's transaction, with its audit entry.

    A product registered without a DIN takes its number here, so a refused registration
    uses none.
    """
    actor.require("products.write")
    year = today().year if year is None else year
    facility, din, sequence = next_number(session, "din", year)
    # A DIN given by hand (a label printed elsewhere) may already hold the counter's next
    # number: skip the numbers products carry rather than assign one twice.
    while session.scalars(select(Product.id).where(Product.din == str(din))).first() is not None:
        facility, din, sequence = next_number(session, "din", year)
    at = now()
    out = DinOut(
        din=str(din),
        eye_readable=format_din(din),
        check_character=check_character(din),
        flag=flag(din),
        facility=facility,
        year=year,
        sequence=sequence,
        assigned_at=at,
    )
    new = out.model_dump(include={"din", "check_character", "facility", "year", "sequence"})
    audit.record(
        session,
        [audited(actor, at=at, action="assign", entity="din", entity_id=out.din, new=new)],
    )
    return out


def next_number(session: Session, counter: str, year: int) -> tuple[str, Din, int]:
    """The facility, the next identifier of ``counter`` in ``year`` and its sequence number.

    DINs (ST-001) and chain-of-identity identifiers (ST-028) share one shape: the program's
    facility identification number, the year code and a six-digit sequence, each counter its own.
    """
    facility = get_settings().facility_id
    if facility is None:
        raise StepRefused(
            "No ISBT 128 facility identification number is configured: set "
            "ALSTRACK_FACILITY_ID to the one ICCBBA assigned to the program."
        )
    sequence = _next_value(session, f"{counter}:{facility}:{year_code(year)}")
    if sequence > _LAST_SEQUENCE:
        what = "DINs" if counter == "din" else "chain-of-identity identifiers"
        raise StepRefused(f"Facility {facility} has assigned all {_LAST_SEQUENCE} {what} of {year}")
    return facility, new_din(facility, year, sequence), sequence


def _next_value(session: Session, name: str) -> int:
    # One atomic statement: the first DIN of a year creates the counter at 1, every later one
    # adds 1, and concurrent callers each get their own number (ON CONFLICT waits for the row).
    dialect = session.get_bind().dialect.name
    stmt: Insert
    if dialect == "postgresql":
        pg = postgresql.insert(SequenceCounter).values(name=name, value=1)
        stmt = pg.on_conflict_do_update(
            index_elements=[SequenceCounter.name], set_={"value": SequenceCounter.value + 1}
        )
    else:
        lite = sqlite.insert(SequenceCounter).values(name=name, value=1)
        stmt = lite.on_conflict_do_update(
            index_elements=[SequenceCounter.name], set_={"value": SequenceCounter.value + 1}
        )
    return session.execute(stmt.returning(SequenceCounter.value)).scalar_one()
