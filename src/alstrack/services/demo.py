"""The synthetic demo clinic: sites, staff and natural-history patients, all marked synthetic."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

import pyotp
from pydantic import SecretStr
from sqlalchemy import func, select

from alstrack.analysis.synthetic import SyntheticPatient, simulate_clinic
from alstrack.domain import spirometry
from alstrack.domain.eligibility.review import PLANNABLE
from alstrack.domain.permissions import needs_second_factor
from alstrack.services import (
    adjuncts,
    attestations,
    auth,
    consent_documents,
    mfa,
    plans,
    records,
    screenings,
    users,
)
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    InstrumentAssessmentIn,
    SpirometryIn,
    age_years,
)
from alstrack.services.consents import CONSENT, ConsentIn
from alstrack.services.context import Actor, now, today
from alstrack.services.demo_products import load_products
from alstrack.services.evaluations import PRETREATMENT_EVALUATION, EvaluationIn
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn
from alstrack.services.patients import HistoryIn, IdentityIn, PatientIn, register_patient
from alstrack.services.plans import ApprovalIn, PlanIn
from alstrack.services.screenings import ReviewIn, ScreeningIn
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
    ("ben", "Ben Hart (demo lab technician)", "lab_technician", ["DEMON", "DEMOS"]),
    ("quinn", "Quinn Adler (demo QA)", "qa", ["DEMON", "DEMOS"]),
    ("quentin", "Quentin Roy (demo QA)", "qa", ["DEMON", "DEMOS"]),
    ("aude", "Aude Marchand (demo auditor)", "auditor", []),
    ("adam", "Adam Novak (demo admin)", "admin", []),
)


@dataclass(frozen=True)
class DemoResult:
    patients: int
    assessments: int
    tokens: dict[str, str]
    passwords: dict[str, str]
    # The authenticator-app keys of the staff whose logins need a one-time code.
    mfa_keys: dict[str, str] = field(default_factory=dict)


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
    tokens: dict[str, str] = {}
    passwords: dict[str, str] = {}
    for username, display, role, codes in DEMO_STAFF:
        users.create_user(
            db, actor, UserIn(username=username, display_name=display, role=role, site_codes=codes)
        )
        tokens[username] = users.issue_token(db, actor, username, "demo")
        # A random first password each, so the demo staff can log in (POST /auth/login).
        passwords[username] = secrets.token_urlsafe(15)
        auth.set_initial_password(db, actor, username, passwords[username])
    assessments = 0
    loaded = []
    for index, sp in enumerate(simulate_clinic(patients, seed, today)):
        pid = _load_patient(db, actor, site_ids[index % len(site_ids)], sp)
        assessments += 3 * len(sp.visits)
        loaded.append((pid, sp))
        if progress:
            progress(1)
    staff = {name: users.authenticate(db, token) for name, token in tokens.items()}
    signing = {name: SecretStr(password) for name, password in passwords.items()}
    mfa_keys: dict[str, str] = {}
    for name, person in staff.items():  # each certifies their signatures (21 CFR 11.100(c))
        attestations.attest(db, person, attestations.AttestationIn(password=signing[name]))
        if needs_second_factor(person.role):
            mfa_keys[name] = _set_up_app(db, person)
    approved = _pathway(db, actor, staff, signing, loaded)
    _adjunct_sessions(db, staff, approved)
    load_products(db, staff, signing, approved)
    return DemoResult(
        patients=patients,
        assessments=assessments,
        tokens=tokens,
        passwords=passwords,
        mfa_keys=mfa_keys,
    )


def _set_up_app(db: Database, person: Actor) -> str:
    """Set up a demo user's authenticator app as the user would (services/mfa.py), confirmed
    with the code of the half-minute before, so that the code shown now is still unused."""
    key = mfa.start(db, person).secret
    totp = pyotp.TOTP(key)
    earlier = totp.generate_otp(totp.timecode(now()) - 1)
    mfa.confirm(db, person, mfa.MfaCodeIn(code=earlier))
    return key


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
    return pid


# What the demo physician finds at the pretreatment evaluation: nothing, except for a few
# patients who show each of the source article's three contraindications.
_EVALUATION: dict[str, object] = {
    "registry.milestones_complete": True,
    "registry.drug_courses_complete": True,
    "resp.invasive_ventilation": False,
    "resp.diaphragm_pacing": False,
    "meds.immunosuppressant_current": False,
    "meds.immunosuppressant_last_date": "never",
    "meds.investigational_agent_last_date": "never",
    "meds.anticoagulant_class": "none",
    "hx.prior_cell_or_stem_cell_therapy": False,
    "hx.active_malignancy": False,
    "hx.hematologic_malignancy_or_mds_or_mpn": False,
    "hx.autoimmune_disease": False,
    "hx.immunodeficiency": False,
    "hx.other_neurological_disease": False,
    "hx.unstable_medical_condition": False,
    "hx.substance_abuse_last_12_months": False,
    "inf.active_systemic_infection": False,
    "inf.skin_infection_at_procedure_site": False,
    "inf.hiv_positive": False,
    "inf.hbv_positive": False,
    "inf.hcv_positive": False,
    "inf.htlv_positive": False,
    "inf.syphilis_positive": False,
    "repro.pregnant": False,
    "repro.breastfeeding": False,
    "repro.wocbp_without_contraception": False,
    "lab.ast_x_uln": 0.8,
    "lab.alt_x_uln": 0.9,
    "lab.creatinine_x_uln": 0.8,
    "lab.platelets_10e9_per_l": 240.0,
    "lab.inr": 1.0,
    "csf.baseline_inflammation": False,
    "neuro.raised_icp_or_mass_lesion": False,
    "spine.anatomy_precludes_lp": False,
    "proc.can_lie_still_for_procedure": True,
    "vitals.temperature_c": 36.7,
    "vitals.heart_rate_bpm": 74,
}
_CONTRAINDICATIONS: tuple[dict[str, object], ...] = (
    {"inf.active_systemic_infection": True, "vitals.temperature_c": 38.6},
    {"hx.autoimmune_disease": True},
    {
        "hx.prior_cell_or_stem_cell_therapy": True,
        "hx.prior_cell_therapy_adverse_reaction": True,
    },
)
_CANDIDATES = 20  # patients evaluated and screened in the demo
_PLANS: tuple[dict[str, object], ...] = (
    # An allogeneic umbilical-cord MSC plan, dosed per kg, for illustration: 1 x 10^6 cells/kg
    # intrathecally, twice, 26 days apart (not a published regimen for these cells).
    {
        "cell_source": "allogeneic_uc_msc",
        "route": "intrathecal",
        "dose_basis": "per_kg",
        "cells_per_kg": 1e6,
        "administrations": 2,
        "interval_days": 26,
        "adjunct_therapies": [{"therapy": "physiotherapy", "sessions": 12, "every_days": 7}],
    },
    # A NurOwn-like schedule (phase 3, NCT03280056): 3 intrathecal doses of 125 x 10^6 cells 8
    # weeks apart. NurOwn's cells are induced MSC-NTF; these are plain autologous bone-marrow MSC.
    {
        "cell_source": "autologous_bm_msc",
        "route": "intrathecal",
        "dose_basis": "fixed",
        "fixed_cells": 125e6,
        "administrations": 3,
        "interval_days": 56,
        "adjunct_therapies": [
            {"therapy": "physiotherapy", "sessions": 8, "every_days": 14},
            {"therapy": "mri_checkup", "sessions": 2, "every_days": 182},
        ],
        # The patient's cells take weeks to grow: the lead-in measures the slope meanwhile.
        "follow_up_schedule": "msc-lead-in",
    },
)
_ACCEPT = "Demo: reviewed with the patient's records; acceptable for treatment"


def _pathway(
    db: Database,
    actor: Actor,
    staff: dict[str, Actor],
    signing: dict[str, SecretStr],
    loaded: list[tuple[int, SyntheticPatient]],
) -> list[plans.PlanOut]:
    """Consent, evaluate and screen the first living patients as of their last visit (the
    clinic's history); the demo physician reviews, and sees the plannable ones again today to
    plan. The plans approved."""
    physician = (staff["chen"], signing["chen"])
    # The newly diagnosed are the ones a clinic evaluates first.
    living = [(pid, sp) for pid, sp in loaded if sp.visits and "death" not in dict(sp.milestones)]
    living.sort(key=lambda item: item[1].diagnosis_date, reverse=True)
    candidates = living[:_CANDIDATES]
    if not candidates:
        return []
    # The demo admin installs the default consent template, in force from the first evaluation.
    first = min(sp.visits[-1].visit_date for _, sp in candidates)
    document = consent_documents.install_document(
        db, staff["adam"], consent_documents.template_in(first)
    )
    approved: list[plans.PlanOut] = []
    for index, (pid, sp) in enumerate(candidates):
        on = sp.visits[-1].visit_date
        records.add(db, actor, CONSENT, pid, _consent(document.id, on, index))
        observations = dict(_EVALUATION)
        if index % 4 == 3:
            observations.update(_CONTRAINDICATIONS[(index // 4) % len(_CONTRAINDICATIONS)])
        evaluation = EvaluationIn(
            assessed_on=on, assessed_by="Dr Wei Chen (demo)", observations=observations
        )
        records.add(db, actor, PRETREATMENT_EVALUATION, pid, evaluation)
        # Screened as of the visit: the history of the clinic's screenings.
        as_of = min(datetime.combine(on, time(10, 0), UTC), now())
        screening = _screen(db, actor, physician, pid, as_of)
        if screening.status in PLANNABLE and len(approved) < len(_PLANS):
            made = _plan(db, actor, physician, pid, sp, _PLANS[len(approved)])
            if made is not None:
                approved.append(made)
    return approved


def _consent(document_id: int, on: date, index: int) -> ConsentIn:
    """The patient's consent on the day of the evaluation; every fifth is signed by a legally
    authorised representative before a witness, as ALS can take away writing and speech."""
    if index % 5 != 4:
        return ConsentIn(document_id=document_id, consented_on=on, signed_by="patient")
    return ConsentIn(
        document_id=document_id,
        consented_on=on,
        signed_by="representative",
        representative_name="Sam Rivera (demo)",
        representative_relationship="spouse",
        witness_name="Nina Okafor (demo)",
    )


def _screen(
    db: Database,
    actor: Actor,
    physician: tuple[Actor, SecretStr],
    pid: int,
    as_of: datetime | None,
) -> screenings.ScreeningOut:
    """Screen under the ALSUMMIT-like profile; the demo physician accepts every open review."""
    screening = screenings.screen_patient(
        db, actor, pid, ScreeningIn(profile="alsummit_like", as_of=as_of)
    )
    for criterion in screening.open_reviews:
        review = ReviewIn(
            criterion_id=criterion, decision="accept", reason=_ACCEPT, password=physician[1]
        )
        screening = screenings.review_criterion(db, physician[0], screening.id, review)
    return screening


def _plan(
    db: Database,
    actor: Actor,
    physician: tuple[Actor, SecretStr],
    pid: int,
    sp: SyntheticPatient,
    plan: dict[str, object],
) -> plans.PlanOut | None:
    """The planning visit, today: evaluated, weighed and screened for now; planned if plannable.

    A plan rests on a screening made for now (not one backdated to the visit) and on a recent
    weight; the demo carries the last visit's weight to today's weighing. A screening made for
    now reads the registry as it is: an ALSFRS-R or spirometry older than the rule set allows
    leaves it incomplete, and the patient is not planned. The approved plan, or None.
    """
    on = today()
    workup = EvaluationIn(
        assessed_on=on, assessed_by="Dr Wei Chen (demo)", observations=dict(_EVALUATION)
    )
    records.add(db, actor, PRETREATMENT_EVALUATION, pid, workup)
    weight = BodyMeasurementIn(
        assessed_on=on, assessed_by="Nina Okafor (demo)", weight_kg=sp.visits[-1].weight_kg
    )
    records.add(db, actor, BODY_MEASUREMENT, pid, weight)
    screening = _screen(db, actor, physician, pid, None)
    if screening.status not in PLANNABLE:
        return None
    content = PlanIn.model_validate(plan | {"screening_id": screening.id})
    made = plans.create_plan(db, physician[0], pid, content)
    approval = ApprovalIn(number=made.current_version, version=made.version, password=physician[1])
    return plans.approve_plan(db, physician[0], made.id, approval)


def _adjunct_sessions(db: Database, staff: dict[str, Actor], approved: list[plans.PlanOut]) -> None:
    """The coordinator plans each plan's adjunct sessions from today; today's first is held."""
    for plan in approved:
        for therapy in plan.versions[-1].adjunct_therapies:
            planned = adjuncts.plan_sessions(
                db, staff["alice"], plan.id,
                adjuncts.SessionPlanIn(therapy=therapy.therapy, first_on=today()),
            )  # fmt: skip
            if therapy.therapy == "physiotherapy":
                held = adjuncts.SessionHeldIn(
                    held_on=today(), provider="Demo physiotherapy service (synthetic)",
                    notes="Gait and balance training", version=planned[0].version,
                )  # fmt: skip
                adjuncts.record_session(db, staff["chen"], planned[0].id, held)


def write_tokens(path: Path, tokens: dict[str, str]) -> None:
    """Keep the demo staff's API tokens where the person who ran the demo can find them."""
    _write_private(path, "API tokens", tokens)


def write_passwords(path: Path, passwords: dict[str, str]) -> None:
    """Keep the demo staff's passwords (for POST /auth/login) beside their tokens."""
    _write_private(path, "passwords", passwords)


def write_mfa_keys(path: Path, keys: dict[str, str]) -> None:
    """Keep the demo staff's authenticator-app keys (base32, for any TOTP app) beside them."""
    _write_private(path, "authenticator-app keys (TOTP, base32)", keys)


def _write_private(path: Path, what: str, secrets_by_user: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {what} of the synthetic demo staff (demo data only; never reuse)."]
    lines += [f"{user}\t{secret}" for user, secret in secrets_by_user.items()]
    path.write_text("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
