"""External natural-history cohorts: a PRO-ACT data set imported as a comparator, apart from
the clinic's patients.

Every row is read alone (domain/proact.py): a row that cannot be taken is reported with its
file, line and reason, and the rest is imported — in one transaction, with one audit entry. A
folder that cannot be read (no ALSFRS file, a file that is not CSV text) stores nothing. The
data hold no identifiers beyond the source's pseudonymous subject ids and day offsets; they are
never copied into the repository.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import insert, select

from alstrack.domain.proact import (
    FILES,
    AlsfrsRow,
    DeathRow,
    DemographicsRow,
    FvcRow,
    HistoryRow,
    RowRefused,
    read_alsfrs,
    read_death,
    read_demographics,
    read_fvc,
    read_history,
)
from alstrack.errors import Conflict, InvalidInput
from alstrack.services.context import Actor, audited, now
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import (
    ExternalAlsfrs,
    ExternalCohort,
    ExternalFvc,
    ExternalSubject,
)

__all__ = ["CohortOut", "ImportReport", "RefusedRow", "count_rows", "import_proact", "list_cohorts"]

CohortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Progress = Callable[[int], None]
T = TypeVar("T")


class RefusedRow(BaseModel):
    file: str
    line: int = Field(description="Line in the file (the header is line 1)")
    subject: str | None
    reason: str


class ImportReport(BaseModel):
    cohort_id: int
    name: str
    files: list[str]
    subjects: int
    imported: dict[str, int] = Field(description="Rows taken, by table")
    refused: list[RefusedRow]


class CohortOut(BaseModel):
    id: int
    name: str
    format: str
    source: str
    subjects: int
    rows_imported: int
    rows_refused: int
    imported_by: int
    imported_at: Any


@dataclass
class _Read:
    alsfrs: list[AlsfrsRow]
    fvc: list[FvcRow]
    history: dict[str, HistoryRow]
    death: dict[str, DeathRow]
    demographics: dict[str, DemographicsRow]
    refused: list[RefusedRow]


def find_files(folder: Path) -> dict[str, Path]:
    """The PRO-ACT tables found in ``folder`` (file names matched without regard to case)."""
    if not folder.is_dir():
        raise InvalidInput.for_field("folder", f"{folder} is not a folder")
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    found = {
        table: present[name.lower()]
        for table, names in FILES.items()
        for name in names
        if name.lower() in present
    }
    if "alsfrs" not in found:
        raise InvalidInput.for_field(
            "folder", f"{folder} holds no ALSFRS table ({' or '.join(FILES['alsfrs'])})"
        )
    return found


def count_rows(folder: Path) -> int:
    """How many data rows the tables of ``folder`` hold (for a progress bar)."""
    return sum(max(0, _lines(path) - 1) for path in find_files(folder).values())


def import_proact(
    db: Database,
    actor: Actor,
    folder: Path,
    name: str,
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a PRO-ACT folder as the external cohort ``name``: every row that can be taken, in
    one transaction; each refused row reported with its reason."""
    actor.require("external_cohorts.write")
    name = _name(name)
    files = find_files(folder)
    read = _read_all(files, progress)
    subjects = sorted(
        {r.subject for r in read.alsfrs}
        | {r.subject for r in read.fvc}
        | set(read.history)
        | set(read.death)
        | set(read.demographics)
    )
    with db.transaction() as session:
        taken = session.scalar(select(ExternalCohort.id).where(ExternalCohort.name == name))
        if taken is not None:
            raise Conflict(f"An external cohort is named {name} already ({taken}); choose another.")
        at = now()
        rows_imported = len(subjects) + len(read.alsfrs) + len(read.fvc)
        cohort = ExternalCohort(
            name=name,
            format="proact",
            source=f"{folder.name}: {', '.join(sorted(p.name for p in files.values()))}",
            subjects=len(subjects),
            rows_imported=rows_imported,
            rows_refused=len(read.refused),
            imported_by=actor.user_id,
            imported_at=at,
        )
        session.add(cohort)
        session.flush()
        ids = _insert_subjects(session, cohort.id, subjects, read)
        if read.alsfrs:
            session.execute(
                insert(ExternalAlsfrs),
                [
                    {"subject_id": ids[r.subject], "delta_days": r.delta_days, "items": r.items,
                     "total": r.total}
                    for r in read.alsfrs
                ],
            )  # fmt: skip
        if read.fvc:
            session.execute(
                insert(ExternalFvc),
                [
                    {"subject_id": ids[r.subject], "delta_days": r.delta_days,
                     "percent_predicted": r.percent_predicted, "litres": r.litres}
                    for r in read.fvc
                ],
            )  # fmt: skip
        imported = {
            "subjects": len(subjects),
            "alsfrs": len(read.alsfrs),
            "fvc": len(read.fvc),
            "alshistory": len(read.history),
            "deathdata": len(read.death),
            "demographics": len(read.demographics),
        }
        audit.record(
            session,
            [
                audited(
                    actor, at=at, action="import", entity="external_cohort",
                    entity_id=cohort.id,
                    new={"name": name, "format": "proact", "source": cohort.source,
                         "imported": imported, "refused": len(read.refused)},
                )
            ],
        )  # fmt: skip
        return ImportReport(
            cohort_id=cohort.id,
            name=name,
            files=sorted(p.name for p in files.values()),
            subjects=len(subjects),
            imported=imported,
            refused=read.refused,
        )


def list_cohorts(db: Database, actor: Actor) -> list[CohortOut]:
    """The external cohorts imported, oldest first."""
    actor.require("assessments.read")
    with db.read() as session:
        rows = session.scalars(select(ExternalCohort).order_by(ExternalCohort.id))
        return [CohortOut.model_validate(row, from_attributes=True) for row in rows]


def _name(name: str) -> str:
    cleaned = name.strip()
    if not 1 <= len(cleaned) <= 80:
        raise InvalidInput.for_field("name", "give the cohort a name of 1 to 80 characters")
    return cleaned


def _read_all(files: dict[str, Path], progress: Progress | None) -> _Read:
    read = _Read([], [], {}, {}, {}, [])
    seen_visits: dict[tuple[str, str, int], int] = {}
    for table, path in sorted(files.items()):
        for line, row in _rows(path, progress):
            subject = (row.get("subject_id") or row.get("SubjectID") or "").strip() or None
            try:
                if table in ("alsfrs", "fvc"):
                    visit: AlsfrsRow | FvcRow = (
                        read_alsfrs(row) if table == "alsfrs" else read_fvc(row)
                    )
                    key = (table, visit.subject, visit.delta_days)
                    if key in seen_visits:
                        raise RowRefused(
                            f"a second visit of the subject on day {visit.delta_days} "
                            f"(line {seen_visits[key]} kept)"
                        )
                    seen_visits[key] = line
                    if isinstance(visit, AlsfrsRow):
                        read.alsfrs.append(visit)
                    else:
                        read.fvc.append(visit)
                else:
                    _one_per_subject(read, table, row)
            except RowRefused as refused:
                read.refused.append(RefusedRow(file=path.name, line=line, subject=subject,
                                               reason=str(refused)))  # fmt: skip
    return read


def _one_per_subject(read: _Read, table: str, row: dict[str, str]) -> None:
    if table == "alshistory":
        _once(read.history, read_history(row), table)
    elif table == "deathdata":
        _once(read.death, read_death(row), table)
    else:
        _once(read.demographics, read_demographics(row), table)


def _once(target: dict[str, T], item: T, table: str) -> None:
    subject: str = getattr(item, "subject")  # noqa: B009  (every row type has one)
    if subject in target:
        raise RowRefused(f"a second {table} row of the subject")
    target[subject] = item


def _insert_subjects(
    session: Any, cohort_id: int, subjects: list[str], read: _Read
) -> dict[str, int]:
    rows = []
    for subject in subjects:
        history = read.history.get(subject)
        death = read.death.get(subject)
        people = read.demographics.get(subject)
        rows.append(
            {
                "cohort_id": cohort_id,
                "subject": subject,
                "age_years": people.age_years if people else None,
                "sex": people.sex if people else None,
                "onset_region": history.onset_region if history else None,
                "onset_delta_days": history.onset_delta_days if history else None,
                "diagnosis_delta_days": history.diagnosis_delta_days if history else None,
                "died": death.died if death else None,
                "death_delta_days": death.death_delta_days if death else None,
            }
        )
    if rows:
        session.execute(insert(ExternalSubject), rows)
    return {
        subject: subject_id
        for subject_id, subject in session.execute(
            select(ExternalSubject.id, ExternalSubject.subject).where(
                ExternalSubject.cohort_id == cohort_id
            )
        )
    }


def _rows(path: Path, progress: Progress | None) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of one CSV file with their line numbers; InvalidInput if it cannot be read."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise InvalidInput.for_field("folder", f"{path.name} is empty")
            for index, row in enumerate(reader, start=2):
                if progress is not None:
                    progress(1)
                yield (
                    index,
                    {k: v for k, v in row.items() if isinstance(k, str) and isinstance(v, str)},
                )
    except (UnicodeDecodeError, csv.Error) as error:
        raise InvalidInput.for_field(
            "folder", f"{path.name} cannot be read as CSV text: {error}"
        ) from None


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)
