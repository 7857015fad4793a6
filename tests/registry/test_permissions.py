"""The permission matrix as data is what the services enforce: every role, every permission."""

import os
import tempfile
from datetime import date
from itertools import count
from pathlib import Path
from unittest import mock

import pytest
import yaml

from alstrack.config import get_settings
from alstrack.domain.permissions import MATRIX, PERMISSIONS, ROLES
from alstrack.errors import InvalidInput, NotFound, PermissionDenied, StepRefused
from alstrack.services import (
    adverse_events,
    audit_trail,
    consent_documents,
    consents,
    dins,
    donors,
    external_cohorts,
    patients,
    plans,
    product_steps,
    products,
    record_locks,
    records,
    rulesets,
    screenings,
    sites,
    timeline,
    users,
)
from alstrack.services.assessments import BODY_MEASUREMENT, BodyMeasurementIn
from alstrack.services.patients import IdentityIn, PatientIn
from alstrack.services.plans import ApprovalIn, PlanIn
from alstrack.services.record_locks import UnlockIn
from alstrack.services.screenings import ReviewIn, ScreeningIn, screen_patient
from alstrack.services.sites import SiteIn
from alstrack.services.users import UserIn
from signing_cast import SECRET

_n = count(1)


def _bare_patient(clinic):
    return patients.register_patient(
        clinic.db, clinic.system, PatientIn(site_id=clinic.sites["NORTH"])
    ).id


def _program_rule_file() -> Path:
    """The shipped rule set under a new version name, as a program would install it."""
    data = yaml.safe_load(rulesets.shipped_file().read_text(encoding="utf-8"))
    data["ruleset"]["version"] = f"program-{next(_n)}"
    path = Path(tempfile.mkdtemp()) / "program-rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


# A signing call that passes the permission check: no such record, or (the system account)
# no person to sign.
SIGNING_REFUSALS = (NotFound, StepRefused)


def _refused_after_the_permission_check(error, call):
    """A call the permission check lets through and a later check refuses with ``error``."""
    with pytest.raises(error):
        call()


def _plan_on_a_new_screening(clinic, patient_id):
    """A plan on a screening of a patient with nothing recorded: never a plannable one."""
    screening = screen_patient(clinic.db, clinic.system, patient_id, ScreeningIn())
    return PlanIn(
        screening_id=screening.id,
        cell_source="allogeneic_uc_msc",
        route="intravenous",
        dose_basis="fixed",
        fixed_cells=1e8,
        administrations=1,
    )


def _assign_a_din(clinic, actor):
    """A DIN of facility G1234 (the setting is read afresh, and again once restored)."""
    with mock.patch.dict(os.environ, {"ALSTRACK_FACILITY_ID": "G1234"}):
        get_settings.cache_clear()
        try:
            return dins.assign_din(clinic.db, actor)
        finally:
            get_settings.cache_clear()


# One service call per permission; each needs that permission and no other.
_FEVER = {
    "term": "Fever",
    "onset_date": date(2024, 1, 1),
    "aware_on": date(2024, 1, 1),
    "grade": 1,
    "related_to_procedure": "not_related",
    "related_to_product": "not_related",
    "expectedness": "expected",
    "action_taken": "none",
    "outcome": "recovering",
}
CALLS = {
    "sites.read": lambda c, a, p: sites.list_sites(c.db, a),
    "sites.write": lambda c, a, p: sites.create_site(
        c.db, a, SiteIn(code=f"X{next(_n)}", name="Pop-up clinic")
    ),
    "patients.read": lambda c, a, p: patients.get_patient(c.db, a, p),
    "patients.write": lambda c, a, p: patients.register_patient(
        c.db, a, PatientIn(site_id=c.sites["NORTH"])
    ),
    "identifiers.read": lambda c, a, p: patients.get_identity(c.db, a, p),
    "identifiers.write": lambda c, a, p: patients.set_identity(
        c.db,
        a,
        _bare_patient(c),
        IdentityIn(given_name="Ines", family_name="Dubois", date_of_birth=date(1971, 11, 30)),
    ),
    "assessments.read": lambda c, a, p: records.list_for_patient(c.db, a, BODY_MEASUREMENT, p),
    "assessments.write": lambda c, a, p: records.add(
        c.db,
        a,
        BODY_MEASUREMENT,
        p,
        BodyMeasurementIn(assessed_on=date(2024, 3, 5), assessed_by="Nina Okafor", weight_kg=72),
    ),
    "audit.read": lambda c, a, p: audit_trail.for_patient(c.db, a, p),
    "users.write": lambda c, a, p: users.create_user(
        c.db,
        a,
        UserIn(
            username=f"locum{next(_n)}", display_name="Locum", role="nurse", site_codes=["NORTH"]
        ),
    ),
    "rules.write": lambda c, a, p: rulesets.install_ruleset(c.db, a, _program_rule_file()),
    "products.read": lambda c, a, p: products.patient_products(c.db, a, p),
    "products.write": lambda c, a, p: _assign_a_din(c, a),
    "products.administer": lambda c, a, p: _refused_after_the_permission_check(
        NotFound,
        lambda: product_steps.take_step(
            c.db, a, "G123417654321", product_steps.StepIn(step="thaw", version=1)
        ),
    ),
    "products.release": lambda c, a, p: _refused_after_the_permission_check(
        SIGNING_REFUSALS,
        lambda: donors.determine_eligibility(
            c.db, a, 10**9, donors.DeterminationIn(version=1, password=SECRET)
        ),
    ),
    "screenings.read": lambda c, a, p: screenings.list_screenings(c.db, a, p),
    "screenings.write": lambda c, a, p: screenings.screen_patient(c.db, a, p, ScreeningIn()),
    "screenings.review": lambda c, a, p: _refused_after_the_permission_check(
        SIGNING_REFUSALS,
        lambda: screenings.review_criterion(
            c.db,
            a,
            10**9,
            ReviewIn(criterion_id="INC-PROG-001", decision="accept", reason="r", password=SECRET),
        ),
    ),
    "safety.read": lambda c, a, p: adverse_events.list_adverse_events(c.db, a),
    "safety.write": lambda c, a, p: records.add(
        c.db, a, adverse_events.ADVERSE_EVENT, p, adverse_events.AdverseEventIn(**_FEVER)
    ),
    "safety.report": lambda c, a, p: _refused_after_the_permission_check(
        SIGNING_REFUSALS,
        lambda: adverse_events.record_report(
            c.db,
            a,
            10**9,
            adverse_events.ReportIn(
                report="initial",
                submitted_on=date(2026, 1, 1),
                submitted_to="Ethics committee",
                password=SECRET,
            ),
        ),
    ),
    "consents.read": lambda c, a, p: records.list_for_patient(c.db, a, consents.CONSENT, p),
    "consents.write": lambda c, a, p: records.add(
        c.db,
        a,
        consents.CONSENT,
        p,
        consents.ConsentIn(
            document_id=consent_documents.list_documents(c.db, c.system)[0].id,
            consented_on=date(2024, 1, 2),
            signed_by="patient",
        ),
    ),
    "consent_documents.write": lambda c, a, p: consent_documents.install_document(
        c.db, a, consent_documents.template_in(date(2024, 1, 1), document_version=f"t{next(_n)}")
    ),
    "external_cohorts.write": lambda c, a, p: _refused_after_the_permission_check(
        InvalidInput,
        lambda: external_cohorts.import_proact(c.db, a, Path("/no/such/proact/folder"), "x"),
    ),
    "plans.read": lambda c, a, p: plans.list_plans(c.db, a, p),
    "plans.write": lambda c, a, p: _refused_after_the_permission_check(
        StepRefused, lambda: plans.create_plan(c.db, a, p, _plan_on_a_new_screening(c, p))
    ),
    "plans.approve": lambda c, a, p: _refused_after_the_permission_check(
        SIGNING_REFUSALS,
        lambda: plans.approve_plan(
            c.db, a, 10**9, ApprovalIn(number=1, version=1, password=SECRET)
        ),
    ),
    "records.lock": lambda c, a, p: _refused_after_the_permission_check(
        SIGNING_REFUSALS,
        lambda: record_locks.unlock(c.db, a, 10**9, UnlockIn(reason="review", password=SECRET)),
    ),
}


def _actor(clinic, role):
    """Someone in the role, working at NORTH (all-site roles see it anyway)."""
    if role == "system":
        return clinic.system
    username = f"{role.replace('_', '-')}-{next(_n)}"
    return clinic.join(username, role, role, ["NORTH"])


def _allowed(clinic, actor, permission, patient_id):
    try:
        CALLS[permission](clinic, actor, patient_id)
    except PermissionDenied:
        return False
    return True


def test_every_permission_has_a_service_call_that_checks_it():
    assert set(CALLS) == set(PERMISSIONS)
    assert set(MATRIX) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_do_exactly_what_the_matrix_grants(clinic, pat, role, consented):
    consented(pat.id)  # screening needs it; the consent document is installed with it
    actor = _actor(clinic, role)
    granted = {p for p in PERMISSIONS if _allowed(clinic, actor, p, pat.id)}
    assert granted == MATRIX[role], (
        f"{role}: allowed beyond the matrix {sorted(granted - MATRIX[role])}, "
        f"refused despite the matrix {sorted(MATRIX[role] - granted)}"
    )


def test_a_permission_granted_in_the_matrix_is_granted_by_the_services(clinic, pat, monkeypatch):
    olga = clinic["olga"]
    with pytest.raises(PermissionDenied):
        patients.get_identity(clinic.db, olga, pat.id)
    monkeypatch.setitem(MATRIX, "data_analyst", MATRIX["data_analyst"] | {"identifiers.read"})
    assert patients.get_identity(clinic.db, olga, pat.id).family_name == "Kowalski"


def test_a_permission_taken_from_the_matrix_is_refused_by_the_services(clinic, pat, monkeypatch):
    monkeypatch.setitem(MATRIX, "nurse", MATRIX["nurse"] - {"assessments.write"})
    with pytest.raises(PermissionDenied, match=r"nurse role may not do this \(assessments.write\)"):
        CALLS["assessments.write"](clinic, clinic["nina"], pat.id)


def test_registering_a_patient_with_identifiers_needs_both_permissions(clinic, monkeypatch):
    monkeypatch.setitem(MATRIX, "coordinator", MATRIX["coordinator"] - {"identifiers.write"})
    with pytest.raises(PermissionDenied, match=r"identifiers\.write"):
        patients.register_patient(
            clinic.db,
            clinic["alice"],
            PatientIn(
                site_id=clinic.sites["NORTH"],
                identity=IdentityIn(
                    given_name="A", family_name="B", date_of_birth=date(1970, 1, 1)
                ),
            ),
        )


def test_the_timeline_needs_clinical_and_assessment_reading(clinic, pat):
    with pytest.raises(PermissionDenied, match=r"assessments\.read"):
        timeline.timeline(clinic.db, clinic["ben"], pat.id)
