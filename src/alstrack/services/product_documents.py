"""A product's label and its chain-of-custody report, as HTML or PDF. Reading writes nothing.

The product is loaded as every product read loads it (load_product): another site's product is
"not found". The service gathers what the documents show into the views of alstrack.reports and
renders them once the database is left. The patient appears by pseudonymous study id only; the
identities table is never read (21 CFR 1271.290).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.domain.plans import cell_sources
from alstrack.domain.products import Step, StepEvent, release_blockers, turnaround_days
from alstrack.errors import InvalidInput, StepRefused
from alstrack.reports.pdf import html_to_pdf
from alstrack.reports.render import custody_report_html, label_html
from alstrack.reports.views import (
    AdministrationLine,
    BedsideLine,
    CustodyEvent,
    CustodyView,
    DeviationLine,
    LabelView,
    QcLine,
    SignatureLine,
)
from alstrack.services.bedside import confirmations
from alstrack.services.chain_of_identity import eye_readable_chain
from alstrack.services.context import Actor, now
from alstrack.services.exports import record_export
from alstrack.services.product_results import judge_product
from alstrack.services.product_views import (
    EventOut,
    ProductOut,
    TraceOut,
    load_product,
    present_product,
    present_trace,
)
from alstrack.services.signatures import present_many
from alstrack.store.db import Database
from alstrack.store.models import (
    Administration,
    Patient,
    Product,
    ProductTestResult,
    User,
)

__all__ = ["FORMATS", "Document", "Format", "custody_report", "product_label"]

Format = Literal["html", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "pdf")
_MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
_STEPS = frozenset(step.value for step in Step)


@dataclass(frozen=True)
class Document:
    """A rendered document: its bytes, media type and the file name to save it under."""

    content: bytes
    media_type: str
    filename: str


def product_label(db: Database, actor: Actor, din: str, *, fmt: Format) -> Document:
    """The product's label: bar code, eye-readable DIN with its boxed check character, product,
    expiry (UTC), donor or patient study id; "FOR AUTOLOGOUS USE ONLY" where it applies."""
    actor.require("products.read")
    _check_format(fmt)
    with db.read() as session:
        product = load_product(session, actor, din)
        view = _label_view(present_product(session, product))
        where = _whose(session, product)
    doc = _document(label_html(view), fmt, f"{view.din}-label")
    return record_export(db, actor, doc, kind="product_label", **where, scope={"din": view.din})


def custody_report(db: Database, actor: Actor, din: str, *, fmt: Format) -> Document:
    """The chain-of-custody report: identity, donor or patient, every event in order with who,
    where, condition and temperature and its signature, QC judgements, deviations, turnaround."""
    actor.require("products.read")
    _check_format(fmt)
    with db.read() as session:
        product = load_product(session, actor, din)
        view = _custody_view(session, actor, product, present_trace(session, product))
        where = _whose(session, product)
    doc = _document(custody_report_html(view), fmt, f"{view.label.din}-custody-report")
    return record_export(
        db, actor, doc, kind="custody_report", **where, scope={"din": view.label.din}
    )


def _whose(session: Session, product: Product) -> dict[str, int | None]:
    """The patient and site a product's document is about: its patient's (their own cells, or
    a lot given to them), none for a lot no one has received."""
    patient_id = product.patient_id or session.scalar(
        select(Administration.patient_id).where(Administration.product_id == product.id)
    )
    site_id = (
        session.scalar(select(Patient.site_id).where(Patient.id == patient_id))
        if patient_id is not None
        else None
    )
    return {"patient_id": patient_id, "site_id": site_id}


def _label_view(product: ProductOut) -> LabelView:
    """What the label shows of a product as the API presents it."""
    source = cell_sources().find(product.cell_source)
    return LabelView(
        din=product.din,
        kind=product.kind,
        product=source.label if source is not None else product.cell_source,
        cell_source=product.cell_source,
        specification_version=product.specification_version,
        expires_at=product.expires_at,
        donor_code=product.donor_code,
        patient_study_id=product.patient_study_id,
        chain_of_identity=eye_readable_chain(product.chain_of_identity)
        if product.chain_of_identity is not None
        else None,
        vials=product.vials,
        viable_cells_per_vial=product.viable_cells_per_vial,
    )


def _custody_view(session: Session, actor: Actor, product: Product, trace: TraceOut) -> CustodyView:
    results = list(
        session.scalars(
            select(ProductTestResult)
            .where(ProductTestResult.product_id == product.id)
            .where(ProductTestResult.status == "current")
            .order_by(ProductTestResult.id)
        )
    )
    people = _usernames(
        session,
        [e.by_user for e in trace.events]
        + [d.opened_by for d in trace.deviations]
        + [d.disposed_by for d in trace.deviations if d.disposed_by is not None]
        + [r.entered_by for r in results],
    )
    signatures = _signatures(
        session,
        [e.signature_id for e in trace.events] + [d.signature_id for d in trace.deviations],
    )
    checks = confirmations(session, product.id)
    given = session.scalars(
        select(Administration).where(Administration.product_id == product.id)
    ).one_or_none()
    people |= _usernames(
        session,
        [c.by_user for c in checks]
        + ([given.given_by, given.first_verifier, given.second_verifier] if given else []),
    )
    qc, qc_note, blockers = _qc(session, product, results, people)
    days, turnaround_note = _turnaround(trace)
    return CustodyView(
        label=_label_view(trace.product),
        state=trace.product.state,
        storage_location=trace.product.storage_location,
        created_at=trace.product.created_at,
        donor_eligibility=trace.donor_eligibility,
        events=tuple(_event(e, people, signatures) for e in trace.events),
        qc=qc,
        qc_note=qc_note,
        blockers=blockers,
        deviations=tuple(
            DeviationLine(
                kind=d.kind,
                description=d.description,
                status=d.status,
                opened_by=people[d.opened_by],
                opened_at=d.opened_at,
                disposition=d.disposition,
                disposition_reason=d.disposition_reason,
                disposed_by=people[d.disposed_by] if d.disposed_by is not None else None,
                disposed_at=d.disposed_at,
                signature=signatures.get(d.signature_id) if d.signature_id else None,
            )
            for d in trace.deviations
        ),
        turnaround_days=days,
        turnaround_note=turnaround_note,
        generated_at=now(),
        generated_by=actor.username,
        bedside=tuple(
            BedsideLine(
                by=people[c.by_user],
                at=c.at,
                patient_entry=c.patient_entry,
                din_entry=c.din_entry,
                dose_volume_ml=c.dose_volume_ml,
            )
            for c in checks
        ),
        administration=AdministrationLine(
            at=given.at,
            route=given.route,
            dose_number=given.dose_number,
            cells_administered=given.cells_administered,
            volume_ml=given.volume_ml,
            given_by=people[given.given_by],
            verified_by=(people[given.first_verifier], people[given.second_verifier]),
        )
        if given is not None
        else None,
    )


def _event(
    event: EventOut, people: dict[int, str], signatures: dict[int, SignatureLine]
) -> CustodyEvent:
    return CustodyEvent(
        step=event.step,
        from_state=event.from_state,
        to_state=event.to_state,
        at=event.at,
        by=people[event.by_user],
        from_location=event.from_location,
        to_location=event.to_location,
        condition=event.condition,
        temperature_c=event.temperature_c,
        note=event.note,
        recorded_at=event.recorded_at,
        signature=signatures.get(event.signature_id) if event.signature_id else None,
    )


def _qc(
    session: Session, product: Product, results: list[ProductTestResult], people: dict[int, str]
) -> tuple[tuple[QcLine, ...], str | None, tuple[str, ...]]:
    """Every test of the specification judged, with who entered its current result.

    A product registered against a specification version that is no longer installed cannot be
    judged (specification_of refuses); its report still lists the results it has, unjudged.
    """
    entered = {r.test: r for r in results}
    try:
        judged = judge_product(session, product)
    except StepRefused as refused:
        lines = tuple(
            QcLine(
                test=r.test,
                label=r.test,
                value=r.value,
                limit="",
                outcome="not judged",
                reason="",
                entered_by=people[r.entered_by],
                entered_at=r.entered_at,
            )
            for r in results
        )
        return lines, f"Not judged: {refused}", ()
    lines = tuple(
        QcLine(
            test=j.test,
            label=j.label,
            value=j.value,
            limit=j.limit,
            outcome=j.outcome.value,
            reason=j.reason,
            entered_by=people[entered[j.test].entered_by] if j.test in entered else None,
            entered_at=entered[j.test].entered_at if j.test in entered else None,
        )
        for j in judged
    )
    return lines, None, tuple(release_blockers(judged))


def _turnaround(trace: TraceOut) -> tuple[float | None, str]:
    steps = [StepEvent(Step(e.step), e.at) for e in trace.events if e.step in _STEPS]
    try:
        days = turnaround_days(steps)
    except InvalidInput:
        return None, "the release is recorded before the collection: check the events"
    if days is not None:
        return days, "from the first collection to the first release"
    if trace.product.kind == "allogeneic":
        return None, "an allogeneic lot has no collection step"
    return None, "not yet: needs both the collection and the release"


def _usernames(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: username for user_id, username in rows}


def _signatures(session: Session, ids: Iterable[int | None]) -> dict[int, SignatureLine]:
    return {
        i: SignatureLine(
            display_name=s.display_name,
            username=s.username,
            role=s.role,
            meaning=s.meaning,
            signed_at=s.signed_at,
            status=s.status,
        )
        for i, s in present_many(session, ids).items()
    }


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput.for_field("format", f"{fmt!r} is not a format; choose html or pdf")


def _document(html: str, fmt: Format, name: str) -> Document:
    content = html_to_pdf(html) if fmt == "pdf" else html.encode("utf-8")
    return Document(content=content, media_type=_MEDIA_TYPES[fmt], filename=f"{name}.{fmt}")
