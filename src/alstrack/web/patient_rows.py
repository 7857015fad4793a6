"""The rows of the patients page, gathered from the services: each visible patient with their
latest ALSFRS-R total and King's stage and whether they are living, searched and filtered.

Only service functions are called (the permission and site checks are theirs); no rule is made
here. It asks once per patient shown, and once per visible patient when the list is filtered by
King's stage or status: a register query in services/ should replace it when the clinic grows.
"""

from __future__ import annotations

from dataclasses import dataclass

from alstrack.services import patients, records, sites
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.context import Actor
from alstrack.services.milestones import MILESTONE
from alstrack.services.patients import PatientOut
from alstrack.store.db import Database

PAGE_SIZE = 25
STATUSES = ("living", "died")
KINGS_STAGES = (1, 2, 3, 4)
_EVERYONE = 1_000_000


@dataclass(frozen=True)
class PatientRow:
    id: int
    study_id: str
    site: str
    sex: str
    onset_region: str
    alsfrs_r_total: float | None
    alsfrs_r_on: str
    kings_stage: int | None
    status: str


@dataclass(frozen=True)
class Filters:
    study_id: str = ""
    site_id: int | None = None
    kings_stage: int | None = None
    status: str | None = None
    page: int = 1


@dataclass(frozen=True)
class PatientList:
    rows: list[PatientRow]
    total: int
    page: int
    pages: int


def site_labels(db: Database, actor: Actor) -> dict[int, str]:
    """The sites the user may see, by id: code and name."""
    return {s.id: s.code for s in sites.list_sites(db, actor) if actor.sees_site(s.id)}


def _row(db: Database, actor: Actor, p: PatientOut, labels: dict[int, str]) -> PatientRow:
    total: float | None = None
    stage: int | None = None
    on = ""
    if actor.can(INSTRUMENT_ASSESSMENT.permission_read):
        scored = [
            (a.alsfrs_r, a.assessed_on)
            for a in records.list_for_patient(db, actor, INSTRUMENT_ASSESSMENT, p.id)
            if a.alsfrs_r is not None and a.alsfrs_r.total is not None
        ]
        if scored:
            derived, assessed_on = scored[-1]  # the list is in date order
            total, stage, on = derived.total, derived.kings_stage, str(assessed_on)
    died = any(m.kind == "death" for m in records.list_for_patient(db, actor, MILESTONE, p.id))
    return PatientRow(
        id=p.id,
        study_id=p.study_id,
        site=labels.get(p.site_id, str(p.site_id)),
        sex=p.sex or "—",
        onset_region=(p.history.onset_region or "—") if p.history else "—",
        alsfrs_r_total=total,
        alsfrs_r_on=on,
        kings_stage=stage,
        status="died" if died else "living",
    )


def patient_list(db: Database, actor: Actor, filters: Filters) -> PatientList:
    """One page of the patients the user's sites hold, searched and filtered."""
    labels = site_labels(db, actor)
    _, everyone = patients.list_patients(db, actor, site_id=filters.site_id, limit=_EVERYONE)
    wanted = filters.study_id.strip().casefold()
    found = [p for p in everyone if wanted in p.study_id.casefold()]
    if filters.kings_stage is not None or filters.status is not None:
        rows = [_row(db, actor, p, labels) for p in found]
        rows = [
            r
            for r in rows
            if (filters.kings_stage is None or r.kings_stage == filters.kings_stage)
            and (filters.status is None or r.status == filters.status)
        ]
        total = len(rows)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(filters.page, pages)
        shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    else:
        total = len(found)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(filters.page, pages)
        window = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        shown = [_row(db, actor, p, labels) for p in window]
    return PatientList(rows=shown, total=total, page=page, pages=pages)
