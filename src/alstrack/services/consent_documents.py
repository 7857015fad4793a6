"""The program's consent documents: versions installed by an admin, kept verbatim, in force by date.

A version is never rewritten: its text is stored with its SHA-256, so a consent names exactly
what was signed. Only its end date is set later (with a reason), when a newer version replaces it.
A version that ``requires_reconsent`` ends the hold of every consent to an earlier version from
its ``effective_from`` (domain/consent.py). The default template (``consent_template``) is a
starting point an admin adapts and installs; alstrack installs nothing by itself.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.consent import DocumentFacts, consent_template
from alstrack.errors import Conflict, InvalidInput, NotFound
from alstrack.services.context import Actor, audited, now, require_reason
from alstrack.services.fields import Version
from alstrack.store import audit
from alstrack.store.db import Database
from alstrack.store.models import ConsentDocument, PatientConsent
from alstrack.store.versioning import update_versioned

__all__ = [
    "DocumentEndIn",
    "DocumentIn",
    "DocumentOut",
    "TemplateOut",
    "document_facts",
    "end_document",
    "get_document",
    "install_document",
    "list_documents",
    "load_document",
    "template",
    "template_in",
]

_Version = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^\S(.*\S)?$")]


class DocumentIn(BaseModel):
    """A version of the consent document as the admin installs it."""

    model_config = ConfigDict(extra="forbid")
    document_version: _Version = Field(description="The version printed on the form, e.g. 2.1")
    title: Annotated[str, Field(min_length=1, max_length=200)]
    text: Annotated[str, Field(min_length=1, max_length=200_000)] = Field(
        description="The full text the patient reads and signs (Markdown)"
    )
    effective_from: date = Field(description="The first day it may be signed")
    effective_to: date | None = Field(default=None, description="The last day it may be signed")
    requires_reconsent: bool = Field(
        default=False,
        description="From effective_from, consents to earlier versions no longer hold: "
        "every patient consents again before anything more is done",
    )
    discloses_evidence_status: bool = Field(
        description="The installer declares that the text states the therapy is investigational "
        "and unproven in ALS, its known risks and its costs (read by INC-CONSENT-001)"
    )


class DocumentOut(BaseModel):
    id: int
    document_version: str
    title: str
    text: str
    text_sha256: str = Field(description="SHA-256 of the text as stored (UTF-8)")
    effective_from: date
    effective_to: date | None
    requires_reconsent: bool
    discloses_evidence_status: bool
    created_by: int
    created_at: datetime
    version: int = Field(description="The record version (optimistic concurrency)")


class DocumentEndIn(BaseModel):
    """The last day a version may be signed; consents given under it keep their hold."""

    model_config = ConfigDict(extra="forbid")
    effective_to: date
    version: Version = Field(description="The document's record `version` as read")
    reason: str


class TemplateOut(BaseModel):
    template: str
    document_version: str
    title: str
    text: str
    discloses_evidence_status: bool
    status: str
    sources: list[str]


def template(actor: Actor) -> TemplateOut:
    """The default template shipped with alstrack, to adapt and install (reads nothing stored)."""
    actor.require("patients.read")
    shipped = consent_template()
    return TemplateOut(**shipped.model_dump(exclude={"sources"}), sources=list(shipped.sources))


def template_in(effective_from: date, **changes: object) -> DocumentIn:
    """The default template as a document to install from ``effective_from`` (demo, tests)."""
    shipped = consent_template()
    fields = shipped.model_dump(include={"document_version", "title", "text"}) | {
        "discloses_evidence_status": shipped.discloses_evidence_status,
        "effective_from": effective_from,
    }
    return DocumentIn.model_validate(fields | changes)


def install_document(db: Database, actor: Actor, data: DocumentIn) -> DocumentOut:
    """Install a version of the consent document; its version name is used once."""
    actor.require("consent_documents.write")
    if data.effective_to is not None and data.effective_to < data.effective_from:
        raise InvalidInput.for_field(
            "effective_to", f"must not be before effective_from ({data.effective_from})"
        )
    with db.transaction() as session:
        taken = session.scalar(
            select(ConsentDocument.id).where(
                ConsentDocument.document_version == data.document_version
            )
        )
        if taken is not None:
            raise Conflict(
                f"Consent document version {data.document_version} is installed already "
                f"(consent document {taken}); install the new text under a new version."
            )
        at = now()
        row = ConsentDocument(
            **data.model_dump(),
            text_sha256=hashlib.sha256(data.text.encode("utf-8")).hexdigest(),
            created_by=actor.user_id,
            created_at=at,
            version=1,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=at,
                    action="install",
                    entity="consent_document",
                    entity_id=row.id,
                    # The text is kept verbatim in its row; its hash names it here.
                    new=data.model_dump(exclude={"text"}) | {"text_sha256": row.text_sha256},
                )
            ],
        )
        return _present(row)


def end_document(db: Database, actor: Actor, document_id: int, data: DocumentEndIn) -> DocumentOut:
    """Set the last day a version may be signed, with a reason (no consent under it after it)."""
    actor.require("consent_documents.write")
    reason = require_reason(data.reason)
    with db.transaction() as session:
        row = load_document(session, document_id)
        if data.effective_to < row.effective_from:
            raise InvalidInput.for_field(
                "effective_to", f"must not be before effective_from ({row.effective_from})"
            )
        signed_after = session.scalar(
            select(PatientConsent.consented_on)
            .where(
                PatientConsent.document_id == document_id,
                PatientConsent.status == "current",
                PatientConsent.consented_on > data.effective_to,
            )
            .order_by(PatientConsent.consented_on.desc())
            .limit(1)
        )
        if signed_after is not None:
            raise InvalidInput.for_field(
                "effective_to",
                f"a patient consented to version {row.document_version} on {signed_after}; "
                "end it on or after that day",
            )
        old = row.effective_to
        update_versioned(
            session,
            ConsentDocument,
            ConsentDocument.id == document_id,
            data.version,
            {"effective_to": data.effective_to},
            f"Consent document {document_id}",
        )
        audit.record(
            session,
            [
                audited(
                    actor,
                    at=now(),
                    action="end",
                    entity="consent_document",
                    entity_id=document_id,
                    old={"effective_to": old},
                    new={"effective_to": data.effective_to},
                    reason=reason,
                )
            ],
        )
        session.refresh(row)
        return _present(row)


def list_documents(db: Database, actor: Actor) -> list[DocumentOut]:
    """Every installed version, the newest in effect first."""
    actor.require("patients.read")
    with db.read() as session:
        rows = session.scalars(
            select(ConsentDocument).order_by(
                ConsentDocument.effective_from.desc(), ConsentDocument.id.desc()
            )
        )
        return [_present(row) for row in rows]


def get_document(db: Database, actor: Actor, document_id: int) -> DocumentOut:
    actor.require("patients.read")
    with db.read() as session:
        return _present(load_document(session, document_id))


def load_document(session: Session, document_id: int) -> ConsentDocument:
    row = session.get(ConsentDocument, document_id)
    if row is None:
        raise NotFound(f"No consent document {document_id}.")
    return row


def document_facts(session: Session) -> list[DocumentFacts]:
    """Every installed version as the consent rules read it."""
    rows = session.execute(
        select(
            ConsentDocument.id,
            ConsentDocument.document_version,
            ConsentDocument.effective_from,
            ConsentDocument.effective_to,
            ConsentDocument.requires_reconsent,
        )
    )
    return [DocumentFacts(*row) for row in rows]


def _present(row: ConsentDocument) -> DocumentOut:
    return DocumentOut.model_validate(row, from_attributes=True)
