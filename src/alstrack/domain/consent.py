"""Informed consent as rules: which consent holds on a day, who may sign, which version to sign.

Pure: the program's consent documents and a patient's consents in, a decision out; no database,
no clock. A consent holds on a day when it was given on or before that day, no withdrawal of the
patient's since ends it, and no newer document version that requires re-consent has taken
effect on or before that day. The default template is data (``data/consent/``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from alstrack.domain.datafiles import parse_model, read_text
from alstrack.errors import FieldError

__all__ = [
    "SIGNERS",
    "ConsentFacts",
    "ConsentStanding",
    "ConsentTemplate",
    "DocumentFacts",
    "SignedBy",
    "consent_template",
    "reconsent_required_by",
    "signature_problems",
    "signing_problem",
    "standing_on",
]

# ALS can take away writing and speech: a patient who cannot sign may consent through a
# legally authorised representative. alstrack asks for a witness whenever a representative
# signs (the program's rule); ICH E6(R2) 4.8.9 asks for an impartial witness where the patient
# or the representative cannot read [memory: ICH E6(R2), not re-read].
SignedBy = Literal["patient", "representative"]
SIGNERS: tuple[SignedBy, ...] = get_args(SignedBy)


@dataclass(frozen=True)
class DocumentFacts:
    """One version of the consent document, as the rules read it."""

    id: int
    document_version: str
    effective_from: date
    effective_to: date | None
    requires_reconsent: bool

    def is_newer_than(self, other: DocumentFacts) -> bool:
        return (self.effective_from, self.id) > (other.effective_from, other.id)


@dataclass(frozen=True)
class ConsentFacts:
    """One consent of a patient (current records only: voided and superseded ones never count)."""

    id: int
    document_id: int
    consented_on: date
    withdrawn_on: date | None = None


@dataclass(frozen=True)
class ConsentStanding:
    """The consent that holds on a day, or why none does (``reason`` says what to do)."""

    consent: ConsentFacts | None
    reason: str | None

    @property
    def valid(self) -> bool:
        return self.consent is not None


def reconsent_required_by(
    document: DocumentFacts, documents: Sequence[DocumentFacts], on: date
) -> DocumentFacts | None:
    """The newest version newer than ``document``, in effect by ``on``, that requires re-consent."""
    replacing = [
        d
        for d in documents
        if d.requires_reconsent and d.effective_from <= on and d.is_newer_than(document)
    ]
    return max(replacing, key=lambda d: (d.effective_from, d.id), default=None)


def signing_problem(
    document: DocumentFacts, documents: Sequence[DocumentFacts], on: date
) -> FieldError | None:
    """Why a consent to ``document`` cannot be dated ``on``: the version must be in force that
    day and not replaced by a version that requires re-consent. None if it can."""
    name = f"version {document.document_version}"
    if on < document.effective_from:
        return FieldError(
            "consented_on", f"{name} takes effect on {document.effective_from.isoformat()}"
        )
    if document.effective_to is not None and on > document.effective_to:
        return FieldError(
            "consented_on", f"{name} was in force until {document.effective_to.isoformat()}"
        )
    replacing = reconsent_required_by(document, documents, on)
    if replacing is not None:
        return FieldError(
            "document_id",
            f"version {replacing.document_version} replaces {name} from "
            f"{replacing.effective_from.isoformat()} and requires re-consent: record the consent "
            f"to version {replacing.document_version} (consent document {replacing.id})",
        )
    return None


def signature_problems(
    signed_by: SignedBy,
    representative_name: str | None,
    representative_relationship: str | None,
    witness_name: str | None,
) -> list[FieldError]:
    """Who signed: the patient, or a representative named, with their relationship, before a
    named witness. A patient who consents by a mark or a communication aid may name a witness."""
    if signed_by == "patient":
        return [
            FieldError(name, "is given only when a representative signs")
            for name, value in (
                ("representative_name", representative_name),
                ("representative_relationship", representative_relationship),
            )
            if value is not None
        ]
    return [
        FieldError(name, message)
        for name, value, message in (
            ("representative_name", representative_name, "name the representative who signed"),
            (
                "representative_relationship",
                representative_relationship,
                "give the representative's relationship to the patient or legal authority",
            ),
            ("witness_name", witness_name, "a representative signs before a witness: name them"),
        )
        if value is None or not value.strip()
    ]


def standing_on(
    consents: Sequence[ConsentFacts], documents: Sequence[DocumentFacts], on: date
) -> ConsentStanding:
    """The consent that holds on day ``on`` (the most recently given), or why none does.

    A withdrawal ends every consent given on or before its day, whichever record it is written
    on: the patient withdraws, not a form. A consent given after it starts afresh.

    >>> v1 = DocumentFacts(1, "1.0", date(2026, 1, 1), None, requires_reconsent=False)
    >>> given = ConsentFacts(7, 1, date(2026, 3, 1), withdrawn_on=date(2026, 5, 1))
    >>> standing_on([given], [v1], date(2026, 4, 30)).valid
    True
    >>> standing_on([given], [v1], date(2026, 5, 1)).reason.split(";")[0]
    'the patient withdrew consent on 2026-05-01'
    """
    by_id = {d.id: d for d in documents}
    given = sorted(
        (c for c in consents if c.consented_on <= on),
        key=lambda c: (c.consented_on, c.id),
        reverse=True,
    )
    if not given:
        later = min((c.consented_on for c in consents), default=None)
        if later is not None:
            return ConsentStanding(
                None,
                f"the patient's first consent is dated {later.isoformat()}, after {on.isoformat()}",
            )
        return ConsentStanding(None, "no consent is recorded; record the patient's consent first")
    withdrawals = [c.withdrawn_on for c in consents if c.withdrawn_on is not None]
    first_reason: str | None = None
    for consent in given:
        reason = _ended(consent, by_id[consent.document_id], documents, withdrawals, on)
        if reason is None:
            return ConsentStanding(consent, None)
        first_reason = first_reason or reason
    return ConsentStanding(None, first_reason)


def _ended(
    consent: ConsentFacts,
    document: DocumentFacts,
    documents: Sequence[DocumentFacts],
    withdrawals: list[date],
    on: date,
) -> str | None:
    ended = [w for w in withdrawals if consent.consented_on <= w <= on]
    if ended:
        return (
            f"the patient withdrew consent on {min(ended).isoformat()}; nothing more is done "
            "unless the patient consents again"
        )
    replacing = reconsent_required_by(document, documents, on)
    if replacing is not None:
        return (
            f"consent document version {replacing.document_version}, in effect from "
            f"{replacing.effective_from.isoformat()}, requires re-consent (the patient consented "
            f"to version {document.document_version}); record the patient's consent to version "
            f"{replacing.document_version}"
        )
    return None


# --- the default template ---------------------------------------------------------------------


class ConsentTemplate(BaseModel):
    """The consent text shipped with alstrack: a starting point for a program's own document."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    template: str
    document_version: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    discloses_evidence_status: bool
    status: str = Field(description="Who has (not) reviewed the text")
    sources: tuple[str, ...] = Field(min_length=1)
    text: str = Field(min_length=1)


@cache
def consent_template() -> ConsentTemplate:
    """The default consent template (frozen): unproven in ALS, its risks, costs, withdrawal."""
    path = files("alstrack.domain").joinpath("data", "consent", "msc-als-default.yaml")
    return parse_model(
        read_text(path), str(path), ConsentTemplate, holds="template, document_version, text, ..."
    )
