"""Research exports of the registry: PRO-ACT tables and tidy CSV, de-identified for every role.

Any role that may read assessments may take them (the data analyst's case): the subjects are
study ids and every date is a day offset, whoever asks. Only the patients of the actor's sites
are in them (optionally one site, ``--site``). The registry's records are read as the timeline
presents them (services.timeline: current records, the same derived measures); doses and
adverse events only for a role that may read products and safety records, as the FHIR export
does. The writing is in alstrack.interop (proact_export, tidy_csv), pure over the values
gathered here.

The files are written to a hidden folder beside the target, listed with their SHA-256 in
``SHA256SUMS``, audited as one export (services.exports), and only then renamed into place: a
failed export leaves no folder, and no folder leaves without its audit entry.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from alstrack.errors import InvalidInput, NotFound
from alstrack.interop.proact_export import proact_files
from alstrack.interop.research_view import (
    ALSFRS_ITEMS,
    AdverseEventFacts,
    AlsfrsFacts,
    BodyFacts,
    DoseFacts,
    DrugFacts,
    MilestoneFacts,
    SpirometryFacts,
    Subject,
)
from alstrack.interop.tidy_csv import tidy_files
from alstrack.services.assessments import (
    BodyMeasurementOut,
    InstrumentAssessmentOut,
    SpirometryOut,
)
from alstrack.services.context import Actor, clinic_day, now
from alstrack.services.exports import record_export
from alstrack.services.milestones import DrugCourseOut, MilestoneOut
from alstrack.services.product_documents import Document
from alstrack.services.timeline import timeline
from alstrack.store.db import Database
from alstrack.store.models import (
    Administration,
    AdverseEvent,
    Patient,
    Site,
    TreatmentPlanVersion,
)

__all__ = ["MANIFEST", "ResearchExport", "export_proact", "export_tidy_csv", "export_zip"]

MANIFEST = "SHA256SUMS"
Progress = Callable[[int, int], None]  # (patients done, patients in all)
_ALSFRS = "alsfrs_r"
# Each format: the audit kind and the writer.
_FORMATS: dict[str, tuple[str, Callable[[Sequence[Subject]], dict[str, bytes]]]] = {
    "proact": ("research_proact", proact_files),
    "csv": ("research_tidy_csv", tidy_files),
}


@dataclass(frozen=True)
class ResearchExport:
    folder: Path
    format: str
    subjects: int
    files: dict[str, str]  # file name -> SHA-256
    left_out: tuple[str, ...]


def export_proact(
    db: Database,
    actor: Actor,
    output: Path,
    *,
    site: str | None = None,
    progress: Progress | None = None,
) -> ResearchExport:
    """Write the registry as PRO-ACT tables into the new folder ``output``; audited."""
    return _export(db, actor, output, "proact", site, progress)


def export_tidy_csv(
    db: Database,
    actor: Actor,
    output: Path,
    *,
    site: str | None = None,
    progress: Progress | None = None,
) -> ResearchExport:
    """Write the registry as tidy CSV files, a data dictionary and a README into the new folder
    ``output``; audited."""
    return _export(db, actor, output, "csv", site, progress)


@dataclass(frozen=True)
class _Built:
    """An export's files (the manifest among them) and what its audit entry says of them."""

    fmt: str
    kind: str
    site_id: int | None
    subjects: int
    sites: tuple[str, ...]
    files: dict[str, bytes]
    digests: dict[str, str]
    left_out: tuple[str, ...]

    def scope(self, **where: Any) -> dict[str, Any]:
        return {
            "format": self.fmt,
            **where,
            "deidentified": True,
            "subjects": self.subjects,
            "sites": list(self.sites),
            "files": {
                name: {"bytes": len(self.files[name]), "sha256": digest}
                for name, digest in sorted(self.digests.items())
            },
            "left_out": list(self.left_out),
        }


def _build(
    db: Database, actor: Actor, fmt: str, site: str | None, progress: Progress | None
) -> _Built:
    actor.require("patients.read")
    actor.require("assessments.read")
    if fmt not in _FORMATS:
        raise InvalidInput.for_field("format", f"one of {', '.join(_FORMATS)}")
    kind, writer = _FORMATS[fmt]
    site_id, patients = _patients(db, actor, site)
    subjects = _subjects(db, actor, patients, progress)
    files = writer(subjects)
    digests = {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}
    manifest = "".join(f"{digest}  {name}\n" for name, digest in sorted(digests.items()))
    files[MANIFEST] = manifest.encode("utf-8")
    left_out = tuple(
        part
        for part, needed in (
            ("administrations", "products.read"),
            ("adverse_events", "safety.read"),
        )
        if not actor.can(needed)
    )
    sites = tuple(sorted({s.site for s in subjects}))
    return _Built(fmt, kind, site_id, len(subjects), sites, files, digests, left_out)


def export_zip(db: Database, actor: Actor, fmt: str, *, site: str | None = None) -> Document:
    """The export of ``fmt`` (``proact`` or ``csv``) as one zip file, its members and their
    ``SHA256SUMS`` as the folder export writes them; audited with the zip's SHA-256. The same
    records give the same bytes (members in name order, each dated 1980-01-01)."""
    built = _build(db, actor, fmt, site, None)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(built.files):
            member = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, built.files[name])
    name = f"alstrack-{fmt}-{clinic_day(now()).isoformat()}.zip"
    return record_export(
        db,
        actor,
        Document(content=out.getvalue(), media_type="application/zip", filename=name),
        kind=built.kind,
        site_id=built.site_id,
        scope=built.scope(),
    )


def _export(
    db: Database,
    actor: Actor,
    output: Path,
    fmt: str,
    site: str | None,
    progress: Progress | None,
) -> ResearchExport:
    actor.require("patients.read")
    actor.require("assessments.read")
    output = output.absolute()
    if output.exists():
        raise InvalidInput.for_field("output", f"{output} exists already: name a new folder")
    if not output.parent.is_dir():
        raise InvalidInput.for_field("output", f"{output.parent} is not a folder")
    built = _build(db, actor, fmt, site, progress)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".partial", dir=output.parent)
    )
    try:
        for name, content in built.files.items():
            (staging / name).write_bytes(content)
        record_export(
            db,
            actor,
            # The audit entry names the folder (its id holds up to 64 characters).
            Document(
                content=built.files[MANIFEST], media_type="text/plain", filename=output.name[:64]
            ),
            kind=built.kind,
            site_id=built.site_id,
            scope=built.scope(folder=output.name),
        )
        staging.rename(output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ResearchExport(output, fmt, built.subjects, built.digests, built.left_out)


def _patients(db: Database, actor: Actor, site: str | None) -> tuple[int | None, list[int]]:
    """The chosen site's id (None: every site the actor works at) and its patients' ids."""
    with db.read() as session:
        site_id = None
        if site is not None:
            site_id = session.scalar(select(Site.id).where(Site.code == site.strip()))
            if site_id is None or not actor.sees_site(site_id):
                raise NotFound(f"No site {site}.")
        stmt = select(Patient.id, Patient.site_id).order_by(Patient.id)
        if site_id is not None:
            stmt = stmt.where(Patient.site_id == site_id)
        ids = [pid for pid, sid in session.execute(stmt) if actor.sees_site(sid)]
    return site_id, ids


def _subjects(
    db: Database, actor: Actor, patient_ids: list[int], progress: Progress | None
) -> list[Subject]:
    with db.read() as session:
        codes: dict[int, str] = {i: c for i, c in session.execute(select(Site.id, Site.code))}
        doses = _doses(session, patient_ids) if actor.can("products.read") else {}
        events = _adverse_events(session, patient_ids) if actor.can("safety.read") else {}
    subjects = []
    for done, patient_id in enumerate(patient_ids, start=1):
        subjects.append(
            _subject(
                db,
                actor,
                patient_id,
                codes,
                doses.get(patient_id, []),
                events.get(patient_id, []),
            )
        )
        if progress is not None:
            progress(done, len(patient_ids))
    return subjects


def _subject(
    db: Database,
    actor: Actor,
    patient_id: int,
    codes: dict[int, str],
    doses: list[DoseFacts],
    events: list[AdverseEventFacts],
) -> Subject:
    line = timeline(db, actor, patient_id)
    shown, history = line.patient, line.patient.history
    alsfrs: list[AlsfrsFacts] = []
    spirometry: list[SpirometryFacts] = []
    body: list[BodyFacts] = []
    milestones: list[MilestoneFacts] = []
    drugs: dict[int, DrugFacts] = {}  # a course is on the timeline at its start and its stop
    for event in line.events:
        r = event.record
        if isinstance(r, InstrumentAssessmentOut) and r.instrument == _ALSFRS:
            alsfrs.append(_alsfrs(r))
        elif isinstance(r, SpirometryOut):
            spirometry.append(_spirometry(r))
        elif isinstance(r, BodyMeasurementOut):
            body.append(BodyFacts(r.assessed_on, r.weight_kg, r.height_cm, r.bmi))
        elif isinstance(r, MilestoneOut):
            milestones.append(MilestoneFacts(r.kind, r.occurred_on))
        elif isinstance(r, DrugCourseOut):
            drugs[r.id] = DrugFacts(r.drug, r.drug_name, r.start_date, r.stop_date)
    return Subject(
        study_id=shown.study_id,
        site=codes[shown.site_id],
        sex=shown.sex,
        synthetic=shown.synthetic,
        onset_date=history.onset_date if history else None,
        onset_region=history.onset_region if history else None,
        diagnosis_date=history.diagnosis_date if history else None,
        diagnostic_criteria=history.diagnostic_criteria if history else None,
        diagnostic_category=history.diagnostic_category if history else None,
        genetics=tuple(history.genetics) if history else (),
        ftd=history.ftd if history else None,
        family_history=history.family_history if history else None,
        alsfrs=tuple(alsfrs),
        spirometry=tuple(spirometry),
        body=tuple(body),
        milestones=tuple(milestones),
        drugs=tuple(drugs.values()),
        doses=tuple(doses),
        adverse_events=tuple(events),
    )


def _alsfrs(a: InstrumentAssessmentOut) -> AlsfrsFacts:
    d = a.alsfrs_r
    items = {
        k: float(v)
        for k in ALSFRS_ITEMS
        if isinstance(v := a.responses.get(k), int | float) and not isinstance(v, bool)
    }
    if d is None:
        return AlsfrsFacts(a.assessed_on, a.instrument_version, items)
    return AlsfrsFacts(
        a.assessed_on,
        a.instrument_version,
        items,
        total=d.total,
        bulbar=d.bulbar,
        fine_motor=d.fine_motor,
        gross_motor=d.gross_motor,
        respiratory=d.respiratory,
        delta_fs=d.delta_fs,
        kings_stage=d.kings_stage,
        kings_4a=d.kings_4a,
        kings_4b=d.kings_4b,
        mitos_stage=d.mitos_stage,
        half_points=d.half_points,
    )


def _spirometry(s: SpirometryOut) -> SpirometryFacts:
    return SpirometryFacts(
        assessed_on=s.assessed_on,
        position=s.position,
        fvc_l=s.fvc_l,
        svc_l=s.svc_l,
        predicted_l=s.predicted_l,
        lln_l=s.lln_l,
        fvc_percent_predicted=s.fvc_percent_predicted,
        fvc_z_score=s.fvc_z_score,
        svc_percent_predicted=s.svc_percent_predicted,
        equation=s.equation,
        age_years=s.age_years,
        height_cm=s.height_cm,
    )


def _doses(session: Any, patient_ids: list[int]) -> dict[int, list[DoseFacts]]:
    out: dict[int, list[DoseFacts]] = {}
    rows = session.execute(
        select(Administration, TreatmentPlanVersion.cell_source)
        .join(TreatmentPlanVersion, TreatmentPlanVersion.id == Administration.plan_version_id)
        .where(Administration.patient_id.in_(patient_ids))
        .order_by(Administration.at, Administration.id)
    ).all()
    for d, cell_source in rows:
        out.setdefault(d.patient_id, []).append(
            DoseFacts(
                clinic_day(d.at),
                d.dose_number,
                d.route,
                cell_source,
                d.cells_administered,
                d.volume_ml,
            )
        )
    return out


def _adverse_events(session: Any, patient_ids: list[int]) -> dict[int, list[AdverseEventFacts]]:
    out: dict[int, list[AdverseEventFacts]] = {}
    rows = session.execute(
        select(AdverseEvent, Administration.dose_number)
        .outerjoin(Administration, Administration.id == AdverseEvent.administration_id)
        .where(AdverseEvent.patient_id.in_(patient_ids), AdverseEvent.status == "current")
        .order_by(AdverseEvent.onset_date, AdverseEvent.id)
    ).all()
    for e, dose_number in rows:
        out.setdefault(e.patient_id, []).append(
            AdverseEventFacts(
                term=e.term,
                meddra_code=e.meddra_code,
                onset_date=e.onset_date,
                resolution_date=e.resolution_date,
                grade=e.grade,
                serious_criteria=tuple(str(c) for c in e.serious_criteria),
                related_to_procedure=e.related_to_procedure,
                related_to_product=e.related_to_product,
                expectedness=e.expectedness,
                action_taken=e.action_taken,
                outcome=e.outcome,
                dose_number=dose_number,
            )
        )
    return out
