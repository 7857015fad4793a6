"""An admin installs consent document versions; each is kept verbatim, named once, and audited."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from alstrack.errors import Conflict, InvalidInput, PermissionDenied
from alstrack.services.consent_documents import (
    DocumentEndIn,
    end_document,
    get_document,
    install_document,
    list_documents,
    template,
    template_in,
)
from alstrack.store.models import AuditEntry

Stored = Callable[[], dict[str, int]]


def _entries(clinic: Any, action: str) -> list[AuditEntry]:
    with clinic.db.read() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity == "consent_document", AuditEntry.action == action
                )
            )
        )


def test_an_admin_installs_the_template_kept_verbatim_with_its_hash_and_audited(
    clinic: Any,
) -> None:
    made = install_document(clinic.db, clinic["adam"], template_in(date(2026, 1, 1)))
    assert (made.document_version, made.effective_from, made.effective_to) == (
        "1.0",
        date(2026, 1, 1),
        None,
    )
    assert made.text == template(clinic["adam"]).text
    assert made.text_sha256 == hashlib.sha256(made.text.encode("utf-8")).hexdigest()
    assert (made.discloses_evidence_status, made.requires_reconsent) == (True, False)
    assert get_document(clinic.db, clinic["nina"], made.id) == made
    [entry] = _entries(clinic, "install")
    assert entry.username == "adam"
    assert entry.new is not None
    assert entry.new["text_sha256"] == made.text_sha256
    assert entry.new["document_version"] == "1.0"


def test_only_admins_install_and_everyone_who_reads_patients_reads_documents(
    clinic: Any, stored: Stored
) -> None:
    before = stored()
    for who in ("alice", "chen", "nina", "olga"):
        with pytest.raises(PermissionDenied):
            install_document(clinic.db, clinic[who], template_in(date(2026, 1, 1)))
    assert stored() == before
    install_document(clinic.db, clinic["adam"], template_in(date(2026, 1, 1)))
    for who in ("alice", "nina", "ben", "olga", "aude"):
        assert [d.document_version for d in list_documents(clinic.db, clinic[who])] == ["1.0"]


def test_a_version_name_is_used_once(clinic: Any, stored: Stored) -> None:
    install_document(clinic.db, clinic["adam"], template_in(date(2026, 1, 1)))
    before = stored()
    with pytest.raises(Conflict, match=r"version 1\.0 is installed already"):
        install_document(
            clinic.db, clinic["adam"], template_in(date(2026, 6, 1), text="A different text")
        )
    assert stored() == before


def test_a_version_that_ends_before_it_begins_is_refused(clinic: Any, stored: Stored) -> None:
    before = stored()
    with pytest.raises(InvalidInput) as caught:
        install_document(
            clinic.db,
            clinic["adam"],
            template_in(date(2026, 6, 1), effective_to=date(2026, 5, 31)),
        )
    assert caught.value.fields[0].field == "effective_to"
    assert stored() == before


def test_versions_are_listed_newest_in_effect_first(
    clinic: Any, version: Callable[..., Any]
) -> None:
    version("1.0", date(2026, 1, 1))
    version("2.0", date(2026, 9, 1), requires_reconsent=True)
    version("1.1", date(2026, 6, 1))
    listed = list_documents(clinic.db, clinic["alice"])
    assert [d.document_version for d in listed] == ["2.0", "1.1", "1.0"]


def test_a_version_is_ended_with_a_reason_but_not_before_a_consent_given_under_it(
    clinic: Any, pat: Any, consented: Callable[..., Any], stored: Stored
) -> None:
    consented(pat.id, date(2024, 3, 1))  # installs 1.0, in force from 2024-01-01
    [document] = list_documents(clinic.db, clinic["adam"])
    before = stored()
    with pytest.raises(InvalidInput, match=r"a patient consented to version 1\.0 on 2024-03-01"):
        end_document(
            clinic.db,
            clinic["adam"],
            document.id,
            DocumentEndIn(effective_to=date(2024, 2, 28), version=1, reason="Replaced"),
        )
    with pytest.raises(InvalidInput, match="reason"):
        end_document(
            clinic.db,
            clinic["adam"],
            document.id,
            DocumentEndIn(effective_to=date(2024, 6, 30), version=1, reason=" "),
        )
    assert stored() == before
    ended = end_document(
        clinic.db,
        clinic["adam"],
        document.id,
        DocumentEndIn(effective_to=date(2024, 6, 30), version=1, reason="Version 1.1 replaces it"),
    )
    assert (ended.effective_to, ended.version) == (date(2024, 6, 30), 2)
    [entry] = _entries(clinic, "end")
    assert (entry.old, entry.new, entry.reason) == (
        {"effective_to": None},
        {"effective_to": "2024-06-30"},
        "Version 1.1 replaces it",
    )
    with pytest.raises(Conflict):
        end_document(
            clinic.db,
            clinic["adam"],
            document.id,
            DocumentEndIn(effective_to=date(2024, 7, 31), version=1, reason="Stale"),
        )
