"""The cast of the eligibility tests: Maria, who meets every criterion a value can meet,
and a small rule set.

AS_OF is the screening date; Maria's dated values are a few days older.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
RECENT = "2026-10-29"

# A two-profile, two-rule set to break in tests and to reach every verdict.
SMALL_RULESET: dict[str, Any] = {
    "ruleset": {
        "id": "small",
        "version": "1",
        "default_profile": "strict",
        "profiles": {"strict": {"description": "s"}, "loose": {"description": "l"}},
    },
    "data_elements": {
        "patient.age_years": {"type": "integer", "unit": "years"},
        "hx.autoimmune_disease": {"type": "boolean"},
    },
    "rules": [
        {
            "id": "INC-AGE-001",
            "category": "inclusion",
            "description": "Adult",
            "data_element": "patient.age_years",
            "operator": "between",
            "threshold": {"strict": [18, 60], "loose": [18, 70]},
            "effect": "exclude",
            "sources": ["TRIAL"],
            "verification": "read",
        },
        {
            "id": "EXC-IMM-001",
            "category": "exclusion",
            "description": "Autoimmune disease",
            "data_element": "hx.autoimmune_disease",
            "operator": "is_false",
            "effect": {"strict": "exclude", "loose": "flag"},
            "sources": ["TRIAL"],
            "verification": {"TRIAL": "secondary"},
        },
    ],
    "sources": {"TRIAL": {"cite": "A trial"}},
}


def dated(value: Any, when: str = RECENT) -> dict[str, Any]:
    return {"value": value, "date": when}


@pytest.fixture
def maria() -> dict[str, Any]:
    """Raw screening input that passes every INC-, EXC- and LP- check with a threshold."""
    return {
        "patient.age_years": 50,
        "patient.sex": "female",
        "dx.el_escorial_category": "probable",
        "dx.symptom_onset_date": "2025-12-01",
        "dx.diagnosis_date": "2026-05-01",
        "fn.alsfrs_r_total": dated(40),
        "fn.alsfrs_r_slope_per_month": 1.0,
        "resp.svc_percent_predicted": dated(80.0),
        "resp.fvc_percent_predicted": dated(82.0),
        "resp.tracheostomy": False,
        "resp.invasive_ventilation": False,
        "resp.niv_in_use": False,
        "resp.diaphragm_pacing": False,
        "gi.gastrostomy": False,
        "meds.riluzole": True,
        "meds.riluzole_stable_since": "2026-06-01",
        "meds.immunosuppressant_current": False,
        "meds.immunosuppressant_last_date": "never",
        "meds.edaravone_last_date": "never",
        "meds.investigational_agent_last_date": "never",
        "consent.signed": True,
        "consent.version_includes_evidence_status_disclosure": True,
        "hx.prior_cell_or_stem_cell_therapy": False,
        "hx.active_malignancy": False,
        "hx.hematologic_malignancy_or_mds_or_mpn": False,
        "hx.autoimmune_disease": False,
        "hx.immunodeficiency": False,
        "hx.other_neurological_disease": False,
        "hx.unstable_medical_condition": False,
        "hx.substance_abuse_last_12_months": False,
        "inf.active_systemic_infection": dated(False),
        "inf.skin_infection_at_procedure_site": False,
        "inf.hiv_positive": False,
        "inf.hbv_positive": False,
        "inf.hcv_positive": False,
        "inf.htlv_positive": False,
        "inf.syphilis_positive": False,
        "repro.pregnant": False,
        "repro.breastfeeding": False,
        "repro.wocbp_without_contraception": False,
        "lab.ast_x_uln": dated(1.0),
        "lab.alt_x_uln": dated(1.1),
        "lab.creatinine_x_uln": dated(0.9),
        "lab.platelets_10e9_per_l": dated(220.0),
        "lab.inr": dated(1.0),
        "meds.anticoagulant_class": "none",
        "csf.baseline_inflammation": False,
        "neuro.raised_icp_or_mass_lesion": False,
        "spine.anatomy_precludes_lp": False,
        "proc.can_lie_still_for_procedure": True,
    }
