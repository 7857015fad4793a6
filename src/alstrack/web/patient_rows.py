"""The rows of the patients page, gathered from the services: each visible patient with their
latest ALSFRS-R total and King's stage and whether they are living, searched and filtered.

Only service functions are called (the permission and site checks are theirs); no rule is made
here. The latest scores and deaths come from services.register in a few queries for the page's
patients (for every visible patient when the list is filtered by King's stage or status).
"""

from __future__ import annotations

from dataclasses import dataclass

from alstrack.services import patients, sites
from alstrack.services.context import Actor
from alstrack.services.patients import PatientOut
from alstrack.services.register import register_entries
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


def _rows(
    db: Database, actor: Actor, shown: list[PatientOut], labels: dict[int, str]
) -> list[PatientRow]:
    entries = register_entries(db, actor, [p.id for p in shown])
    return [
        PatientRow(
            id=p.id,
            study_id=p.study_id,
            site=labels.get(p.site_id, str(p.site_id)),
            sex=p.sex or "—",
            onset_region=(p.history.onset_region or "—") if p.history else "—",
            alsfrs_r_total=entries[p.id].alsfrs_r_total,
            alsfrs_r_on=str(entries[p.id].alsfrs_r_on or ""),
            kings_stage=entries[p.id].kings_stage,
            status="died" if entries[p.id].died else "living",
        )
        for p in shown
    ]


def patient_list(db: Database, actor: Actor, filters: Filters) -> PatientList:
    """One page of the patients the user's sites hold, searched and filtered."""
    labels = site_labels(db, actor)
    _, everyone = patients.list_patients(db, actor, site_id=filters.site_id, limit=_EVERYONE)
    wanted = filters.study_id.strip().casefold()
    found = [p for p in everyone if wanted in p.study_id.casefold()]
    if filters.kings_stage is not None or filters.status is not None:
        rows = _rows(db, actor, found, labels)
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
        shown = _rows(db, actor, window, labels)
    return PatientList(rows=shown, total=total, page=page, pages=pages)
