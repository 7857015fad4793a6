"""Chain of identity: one identifier per patient therapy links every DIN made or allocated for it.

The therapy is the patient's treatment plan. Its identifier is assigned the first time a product
joins it (an autologous product registered from the plan's collection order, an allogeneic lot
allocated under the plan), from the program's facility number with the year and its own
sequence (ISBT 128 ST-028), so it holds no name, birth date or record number (21 CFR 1271.290).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.isbt128 import format_din, parse_din
from alstrack.services.context import Actor, audited, now, today
from alstrack.services.dins import next_number
from alstrack.store.models import ChainOfIdentity, Patient, TreatmentPlan

__all__ = ["CHAIN_PREFIX", "chain_data", "chain_for_plan", "eye_readable_chain"]


def chain_for_plan(
    session: Session, actor: Actor, plan: TreatmentPlan, entries: list[dict[str, Any]]
) -> ChainOfIdentity:
    """The plan's chain of identity, assigned now if it has none (its audit entry appended)."""
    chain = session.scalars(
        select(ChainOfIdentity).where(ChainOfIdentity.plan_id == plan.id)
    ).one_or_none()
    if chain is not None:
        return chain
    _, code, sequence = next_number(session, "coi", today().year)
    at = now()
    chain = ChainOfIdentity(
        code=str(code),
        patient_id=plan.patient_id,
        plan_id=plan.id,
        assigned_by=actor.user_id,
        assigned_at=at,
    )
    session.add(chain)
    session.flush()
    entries.append(
        audited(
            actor,
            at=at,
            action="assign",
            entity="chain_of_identity",
            entity_id=chain_data(chain.code),
            patient_id=plan.patient_id,
            site_id=session.get_one(Patient, plan.patient_id).site_id,
            new={"code": chain.code, "plan_id": plan.id, "sequence": sequence},
        )
    )
    return chain


# ST-028 data structure 040 (cell-products.md): the data identifier keeps the chain's
# identifier apart from a DIN of the same facility, year and sequence number.
CHAIN_PREFIX = "&/CH"


def chain_data(code: str) -> str:
    """The identifier with its data identifier, as the API gives it: "&/CHG123426000001"."""
    return CHAIN_PREFIX + code


def eye_readable_chain(data: str) -> str:
    """The identifier as printed: "&/CH G1234 26 000001", never mistaken for a DIN."""
    code = data.removeprefix(CHAIN_PREFIX)
    return f"{CHAIN_PREFIX} {format_din(parse_din(code))}"
