"""Who may do what: the permission matrix as data, one place for every layer to ask."""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal[
    "coordinator",
    "physician",
    "nurse",
    "lab_technician",
    "qa",
    "pharmacovigilance",
    "data_analyst",
    "auditor",
    "admin",
    "system",
]
ROLES: tuple[str, ...] = get_args(Role)

Permission = Literal[
    "sites.read",
    "sites.write",
    "patients.read",
    "patients.write",
    "identifiers.read",
    "identifiers.write",
    "assessments.read",
    "assessments.write",
    "screenings.read",
    "screenings.write",
    "screenings.review",
    "plans.read",
    "plans.write",
    "plans.approve",
    "audit.read",
    "users.write",
    "rules.write",
    "products.read",
    "products.write",
    "products.administer",
    "products.release",
    "safety.read",
    "safety.write",
    "safety.report",
    "consents.read",
    "consents.write",
    "consent_documents.write",
    "external_cohorts.write",
    "records.lock",
]
PERMISSIONS: tuple[str, ...] = get_args(Permission)

_PATHWAY_READ = {"screenings.read", "plans.read", "products.read", "safety.read"}
# A consent names the representative and the witness who signed: read with the identifiers.
_CLINICAL_READ = {
    "sites.read",
    "patients.read",
    "identifiers.read",
    "assessments.read",
    "consents.read",
} | _PATHWAY_READ
# Every clinician who sees a patient records the adverse events they learn of (safety.write).
_CLINICAL_WRITE = {"patients.write", "identifiers.write", "assessments.write", "safety.write"}
# Coordinators record consents, run screenings and draft plans; only physicians resolve
# reviews and approve.
_PATHWAY_WRITE = {"consents.write", "screenings.write", "plans.write"}
# Locking a reviewed record (and unlocking it, with a reason) is the investigator's signed
# statement that the record is complete and correct: the physician's, as in clinical data
# management (ICH E6(R2) 4.9.1: the investigator ensures the data reported are accurate and
# complete).
_PHYSICIAN_ONLY = {"screenings.review", "plans.approve", "records.lock"}

MATRIX: dict[str, frozenset[str]] = {
    # Clinicians who change records may read their history (the audit trail of their patients).
    "coordinator": frozenset(_CLINICAL_READ | _CLINICAL_WRITE | _PATHWAY_WRITE | {"audit.read"}),
    "physician": frozenset(
        _CLINICAL_READ
        | _CLINICAL_WRITE
        | _PATHWAY_WRITE
        | _PHYSICIAN_ONLY
        | {"audit.read", "products.administer", "safety.report"}
    ),
    # Nurses receive, store, thaw, verify and give products at the clinic (products.administer).
    "nurse": frozenset(
        _CLINICAL_READ | {"assessments.write", "products.administer", "safety.write"}
    ),
    # The lab reads plans: they say which cells, what dose and which collection order. The lab
    # registers donors and products, labels them, records their lab steps and QC results
    # (products.write); the clinic's steps are the nurses' and physicians' (products.administer).
    "lab_technician": frozenset(
        {"sites.read", "patients.read", "plans.read", "products.read", "products.write"}
    ),
    # QA releases or rejects products and disposes of deviations (products.release).
    "qa": frozenset(
        {"sites.read", "patients.read", "assessments.read", "products.write", "products.release"}
        | _PATHWAY_READ
    ),
    # Pharmacovigilance follows adverse events and records the expedited reports sent.
    "pharmacovigilance": frozenset(_CLINICAL_READ | {"safety.write", "safety.report"}),
    # Analysts see de-identified data only: no direct identifiers. They import external
    # natural-history cohorts (PRO-ACT), which are kept apart from the clinic's patients.
    "data_analyst": frozenset(
        {"sites.read", "patients.read", "assessments.read", "external_cohorts.write"}
        | _PATHWAY_READ
    ),
    "auditor": frozenset(_CLINICAL_READ | {"audit.read"}),
    # Admins run the installation (sites, users, settings, rule sets, consent documents); they
    # do not change clinical records. Installing screening rules or a consent document is an
    # administrative, audited change.
    "admin": frozenset(
        {
            "sites.read",
            "sites.write",
            "patients.read",
            "audit.read",
            "users.write",
            "rules.write",
            "consent_documents.write",
        }
    ),
    # The service account that loads the synthetic demo clinic and runs imports.
    "system": frozenset(PERMISSIONS),
}

# Roles whose view is not limited to their own sites.
ALL_SITES_ROLES: frozenset[str] = frozenset({"admin", "system", "auditor"})


def allows(role: str, permission: str) -> bool:
    return permission in MATRIX.get(role, frozenset())


# The permissions of the signed acts (21 CFR 11.50): plan approval, screening review, release
# and donor determination, administration, the expedited report, the record lock.
SIGNING_PERMISSIONS: frozenset[str] = frozenset(
    {
        "plans.approve",
        "screenings.review",
        "products.release",
        "products.administer",
        "safety.report",
        "records.lock",
    }
)


def signs(role: str) -> bool:
    """Whether users of ``role`` may sign something."""
    return any(allows(role, p) for p in SIGNING_PERMISSIONS)


def needs_second_factor(role: str) -> bool:
    """Whether a login of ``role`` needs a one-time code besides the password: admins and the
    roles that sign (regulatory checklist AC-6, after HIPAA 164.312(d)). The service account
    never logs in."""
    return role != "system" and (role == "admin" or signs(role))
