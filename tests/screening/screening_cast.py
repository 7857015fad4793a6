"""The screening tests' cast: Maria Silva, registered at NORTH with all a screening reads.

Her registry (history, two ALSFRS-R visits in the lead-in, upright spirometry, weight, a
riluzole course), her consent on 2026-10-20 to the default template and her pretreatment
evaluation on 2026-10-29 meet every criterion the draft rule set has a threshold for; AS_OF is
the screening date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from alstrack.services import patients, records
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    SpirometryIn,
)
from alstrack.services.evaluations import PRETREATMENT_EVALUATION, EvaluationIn
from alstrack.services.milestones import DRUG_COURSE, DrugCourseIn
from alstrack.services.patients import HistoryIn, IdentityIn, PatientIn
from alstrack.services.records import Void
from alstrack.services.screenings import ScreeningIn, ScreeningOut, screen_patient

AS_OF = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
EVALUATED_ON = date(2026, 10, 29)
CONSENTED_ON = date(2026, 10, 20)

# What the evaluation records: every data element the registry (consents included) does not hold.
EVALUATION: dict[str, Any] = {
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
    "lab.ast_x_uln": 1.0,
    "lab.alt_x_uln": 1.1,
    "lab.creatinine_x_uln": 0.9,
    "lab.platelets_10e9_per_l": 220.0,
    "lab.inr": 1.0,
    "csf.baseline_inflammation": False,
    "neuro.raised_icp_or_mass_lesion": False,
    "spine.anatomy_precludes_lp": False,
    "proc.can_lie_still_for_procedure": True,
    "vitals.temperature_c": 36.8,
    "vitals.heart_rate_bpm": 72,
}


@dataclass
class Maria:
    patient_id: int
    evaluation_id: int
    consent_id: int

    def evaluate(self, clinic: Any, **changes: Any) -> int:
        """Record a new evaluation like hers with some data elements changed."""
        made = records.add(
            clinic.db,
            clinic["nina"],
            PRETREATMENT_EVALUATION,
            self.patient_id,
            evaluation(**changes),
        )
        return made.id

    def void_first_evaluation(self, clinic: Any) -> None:
        """Mark her first evaluation entered in error: a screening then reads only later ones."""
        void = Void(version=1, reason="Entered on the wrong patient")
        records.void(clinic.db, clinic["alice"], PRETREATMENT_EVALUATION, self.evaluation_id, void)

    def screen(self, clinic: Any, by: str = "alice", **given: Any) -> ScreeningOut:
        data = ScreeningIn(**({"as_of": AS_OF} | given))
        return screen_patient(clinic.db, clinic[by], self.patient_id, data)


def evaluation(**changes: Any) -> EvaluationIn:
    """Maria's evaluation with some data elements changed (None leaves one out)."""
    observations = {k: v for k, v in (EVALUATION | changes).items() if v is not None}
    return EvaluationIn(
        assessed_on=EVALUATED_ON, assessed_by="Dr Wei Chen", observations=observations
    )


@pytest.fixture
def maria(clinic: Any, alsfrs: Callable[..., Any], consented: Callable[..., Any]) -> Maria:
    db, alice = clinic.db, clinic["alice"]
    patient = patients.register_patient(
        db,
        alice,
        PatientIn(
            site_id=clinic.sites["NORTH"],
            sex="female",
            identity=IdentityIn(
                given_name="Maria", family_name="Silva", date_of_birth=date(1976, 3, 10)
            ),
            history=HistoryIn(
                onset_date=date(2025, 12, 1),
                onset_region="lower_limb",
                diagnosis_date=date(2026, 5, 1),
                diagnostic_criteria="revised_el_escorial",
                diagnostic_category="probable",
                family_history="no",
            ),
        ),
    )
    pid = patient.id
    # 44 on 10 July, 40 on 29 October: a decline of about 1.1 points a month.
    records.add(
        db,
        alice,
        INSTRUMENT_ASSESSMENT,
        pid,
        alsfrs(date(2026, 7, 10), q1=4, q2=4, q3=4, q4=4, q6=4, q7=4, q8=4, q9=4),
    )
    records.add(
        db, alice, INSTRUMENT_ASSESSMENT, pid, alsfrs(date(2026, 10, 29), q1=4, q2=4, q3=4, q4=4)
    )
    records.add(
        db,
        alice,
        SPIROMETRY,
        pid,
        SpirometryIn(
            assessed_on=date(2026, 10, 29),
            assessed_by="Nina Okafor",
            fvc_l=3.1,
            svc_l=3.0,
            height_cm=165,
        ),
    )
    records.add(
        db,
        alice,
        BODY_MEASUREMENT,
        pid,
        BodyMeasurementIn(assessed_on=date(2026, 10, 29), assessed_by="Nina Okafor", weight_kg=64),
    )
    records.add(
        db, alice, DRUG_COURSE, pid, DrugCourseIn(drug="riluzole", start_date=date(2026, 6, 1))
    )
    consent = consented(pid, CONSENTED_ON)
    made = records.add(db, alice, PRETREATMENT_EVALUATION, pid, evaluation())
    return Maria(pid, made.id, consent.id)
