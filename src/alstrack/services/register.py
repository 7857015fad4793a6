"""The register's view of many patients at once: each one's latest scored ALSFRS-R (total and
King's stage, derived as the timeline derives them) and whether a death is recorded.

For the patients page and any list like it: a handful of queries whatever the number of
patients (their contexts, their current ALSFRS-R assessments), where asking the record services
patient by patient took two queries each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from sqlalchemy import select

from alstrack.services.assessments import ALSFRS_R, INSTRUMENT_ASSESSMENT, present_instruments
from alstrack.services.context import Actor
from alstrack.services.milestones import MILESTONE
from alstrack.services.records import contexts_of
from alstrack.store.db import Database
from alstrack.store.models import InstrumentAssessment

__all__ = ["RegisterEntry", "register_entries"]

# Patients per IN (...) list: well inside every database's limit on bound values.
_CHUNK = 500


@dataclass(frozen=True)
class RegisterEntry:
    patient_id: int
    died: bool
    alsfrs_r_total: float | None  # None: no ALSFRS-R with a total, or none the actor may read
    alsfrs_r_on: date | None
    kings_stage: int | None


def register_entries(
    db: Database, actor: Actor, patient_ids: Sequence[int]
) -> dict[int, RegisterEntry]:
    """The entries of ``patient_ids`` (each one the actor may see, or NotFound)."""
    actor.require(MILESTONE.permission_read)
    reads_scores = actor.can(INSTRUMENT_ASSESSMENT.permission_read)
    with db.read() as session:
        contexts = contexts_of(session, actor, set(patient_ids))
        latest: dict[int, tuple[float, date, int | None]] = {}
        ordered = sorted(contexts)
        for start in range(0, len(ordered) if reads_scores else 0, _CHUNK):
            rows = session.scalars(
                select(InstrumentAssessment)
                .where(
                    InstrumentAssessment.patient_id.in_(ordered[start : start + _CHUNK]),
                    InstrumentAssessment.instrument == ALSFRS_R,
                    InstrumentAssessment.status == "current",
                )
                .order_by(
                    InstrumentAssessment.patient_id,
                    InstrumentAssessment.assessed_on,
                    InstrumentAssessment.id,
                )
            )
            for patient_id, group in groupby(rows, key=lambda r: r.patient_id):
                scored = [
                    (out.alsfrs_r.total, out.assessed_on, out.alsfrs_r.kings_stage)
                    for out in present_instruments(list(group), contexts[patient_id])
                    if out.alsfrs_r is not None and out.alsfrs_r.total is not None
                ]
                if scored:
                    latest[patient_id] = scored[-1]  # date order
    return {
        pid: RegisterEntry(
            patient_id=pid,
            died=ctx.death_date is not None,
            alsfrs_r_total=latest[pid][0] if pid in latest else None,
            alsfrs_r_on=latest[pid][1] if pid in latest else None,
            kings_stage=latest[pid][2] if pid in latest else None,
        )
        for pid, ctx in contexts.items()
    }
