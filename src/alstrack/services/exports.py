"""Every document or file that leaves alstrack is audited: who took which, when, and its digest.

A report, a label or an export is rendered from what the user may read; this records that it was
taken, in a transaction of its own after it is made, so that a document the audit trail cannot
record is never handed out. The entry names the document (its file name), its format, size and
SHA-256, and what it covered (a patient, a site, a cut-off), so an auditor can tell which copy of
a report is which.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from alstrack.services.context import Actor, audited, now
from alstrack.store import audit
from alstrack.store.db import Database

if TYPE_CHECKING:  # product_documents, where Document lives, records its own exports here
    from alstrack.services.product_documents import Document

EXPORT_ACTION = "export"
EXPORT_ENTITY = "document"


def record_export(
    db: Database,
    actor: Actor,
    doc: Document,
    *,
    kind: str,
    patient_id: int | None = None,
    site_id: int | None = None,
    scope: dict[str, Any] | None = None,
) -> Document:
    """Audit that ``actor`` took ``doc`` (a ``kind`` of document) and hand it back."""
    new = {
        "kind": kind,
        "format": doc.filename.rsplit(".", 1)[-1],
        "bytes": len(doc.content),
        "sha256": hashlib.sha256(doc.content).hexdigest(),
        **(scope or {}),
    }
    with db.transaction() as session:
        entry = audited(
            actor,
            at=now(),
            action=EXPORT_ACTION,
            entity=EXPORT_ENTITY,
            entity_id=doc.filename,
            patient_id=patient_id,
            site_id=site_id,
            new=new,
        )
        audit.record(session, [entry])
    return doc
