"""The synthetic demo clinic: sites, staff and natural-history patients, all marked synthetic."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from alstrack.analysis.synthetic import SyntheticPatient, simulate_clinic
from alstrack.domain import spirometry
from alstrack.services import records, users
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    InstrumentAssessmentIn,
    SpirometryIn,
    age_years,
)
from alstrack.services.context import Actor
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn
from alstrack.services.patients import HistoryIn, IdentityIn, PatientIn, register_patient
from alstrack.services.sites import SiteIn, create_site
from alstrack.services.users import UserIn
from alstrack.store.db import Database
from alstrack.store.models import Patient

DEMO_SITES = (
    ("DEMON", "Demo North Clinic (synthetic)"),
    ("DEMOS", "Demo South Clinic (synthetic)"),
)
DEMO_STAFF: tuple[tuple[str, str, str, list[str]], ...] = (
    ("alice", "Alice Moreau (demo coordinator)", "coordinator", ["DEMON", "DEMOS"]),
    ("chen", "Dr Wei Chen (demo physician)", "physician", ["DEMON", "DEMOS"]),
    ("nina", "Nina Okafor (demo nurse)", "nurse", ["DEMON"]),
    ("olga", "Olga Lind (demo data analyst)", "data_analyst", ["DEMON", "DEMOS"]),
    ("aude", "Aude Marchand (demo auditor)", "auditor", []),
    ("adam", "Adam Novak (demo admin)", "admin", []),
)


@dataclass(frozen=True)
class DemoResult:
    patients: int
    assessments: int
    tokens: dict[str, str]


def is_empty(db: Database) -> bool:
    with db.read() as session:
        return (session.scalar(select(func.count(Patient.id))) or 0) == 0


def load_demo(
    db: Database,
    actor: Actor,
    *,
    patients: int,
    seed: int,
    today: date,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Create the synthetic clinic through the ordinary services (audited like real data)."""
    site_ids = [
        create_site(db, actor, SiteIn(code=code, name=name, synthetic=True)).id
        for code, name in DEMO_SITES
    ]
    tokens = {}
    for username, display, role, codes in DEMO_STAFF:
        users.create_user(
            db, actor, UserIn(username=username, display_name=display, role=role, site_codes=codes)
        )
        tokens[username] = users.issue_token(db, actor, username, "demo")
    assessments = 0
    for index, sp in enumerate(simulate_clinic(patients, seed, today)):
        assessments += _load_patient(db, actor, site_ids[index % len(site_ids)], sp)
        if progress:
            progress(1)
    return DemoResult(patients=patients, assessments=assessments, tokens=tokens)


def _load_patient(db: Database, actor: Actor, site_id: int, sp: SyntheticPatient) -> int:
    patient = register_patient(
        db,
        actor,
        PatientIn(
            site_id=site_id,
            sex=sp.sex,
            synthetic=True,
            identity=IdentityIn(
                given_name=sp.given_name, family_name=sp.family_name, date_of_birth=sp.date_of_birth
            ),
            history=HistoryIn.model_validate(
                dict(
                    onset_date=sp.onset_date,
                    onset_region=sp.onset_region,
                    diagnosis_date=sp.diagnosis_date,
                    diagnostic_criteria="revised_el_escorial",
                    diagnostic_category=sp.diagnostic_category,
                    genetics=sp.genetics,
                    ftd=sp.ftd,
                    family_history=sp.family_history,
                )
            ),
        ),
    )
    pid = patient.id
    records.add_many(
        db,
        actor,
        DRUG_COURSE,
        [
            (pid, DrugCourseIn.model_validate({"drug": d, "start_date": s, "stop_date": e}))
            for d, s, e in sp.drugs
        ],
    )
    records.add_many(
        db,
        actor,
        MILESTONE,
        [
            (pid, MilestoneIn.model_validate({"kind": k, "occurred_on": on}))
            for k, on in sp.milestones
        ],
    )
    rater = "Dr Wei Chen (demo)"
    weighings = [
        (
            pid,
            BodyMeasurementIn(
                assessed_on=v.visit_date,
                assessed_by=rater,
                weight_kg=v.weight_kg,
                height_cm=sp.height_cm if i == 0 else None,
            ),
        )
        for i, v in enumerate(sp.visits)
    ]
    # The height is measured once; later weighings take their BMI from it, so it is stored first.
    records.add_many(db, actor, BODY_MEASUREMENT, weighings[:1])
    records.add_many(db, actor, BODY_MEASUREMENT, weighings[1:])
    records.add_many(
        db,
        actor,
        INSTRUMENT_ASSESSMENT,
        [
            (
                pid,
                InstrumentAssessmentIn(
                    instrument="alsfrs_r",
                    assessed_on=v.visit_date,
                    assessed_by=rater,
                    responses=dict(v.alsfrs_r),
                ),
            )
            for v in sp.visits
        ],
    )
    spiro = []
    for v in sp.visits:
        predicted = spirometry.predict(
            measured_l=1.0,
            sex=sp.sex,
            age_years=age_years(sp.date_of_birth, v.visit_date),
            height_cm=sp.height_cm,
            equation="GLI-Global",
        ).predicted_l
        fvc = round(predicted * v.fvc_percent_predicted / 100.0, 2)
        spiro.append(
            (
                pid,
                SpirometryIn(
                    assessed_on=v.visit_date,
                    assessed_by="Nina Okafor (demo)",
                    fvc_l=fvc,
                    height_cm=sp.height_cm,
                    equation="GLI-Global",
                ),
            )
        )
    records.add_many(db, actor, SPIROMETRY, spiro)
    return 3 * len(sp.visits)


def write_tokens(path: Path, tokens: dict[str, str]) -> None:
    """Keep the demo staff's API tokens where the person who ran the demo can find them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# API tokens of the synthetic demo staff (demo data only; never reuse)."]
    lines += [f"{user}\t{token}" for user, token in tokens.items()]
    path.write_text("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
