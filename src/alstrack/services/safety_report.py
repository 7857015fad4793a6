"""The safety report: every adverse event of the treated patients counted, by route and cell
source, with exact (Clopper-Pearson) 95% intervals; every serious event listed.

Counts are of current records (a corrected event counts once, a voided one not at all). An event
belongs to the dose it is linked to; an event not linked to a dose, to the patient's latest dose
on or before its onset; an event before the first dose is counted apart, as before treatment.
Rates are of patients: those with at least one event among those treated. This is an
uncontrolled series: the rates describe these patients, not the therapy's risk, and small
numbers give wide intervals, which is why each comes with its interval.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import select
from statsmodels.stats.proportion import proportion_confint

from alstrack.domain.safety import AdverseEventFacts, reporting_rules
from alstrack.services.context import Actor, clinic_day, today
from alstrack.services.sites import check_site_code
from alstrack.store.db import Database
from alstrack.store.models import Administration, AdverseEvent, Patient, Product, Site

__all__ = ["CAVEAT", "SafetyReportOut", "exact_interval", "safety_report"]

CAVEAT = (
    "An uncontrolled series: these counts and rates describe the programme's treated patients, "
    "not the risk of the therapy, and small numbers give wide intervals. Every serious event is "
    "listed below, whatever its relatedness."
)


class Proportion(BaseModel):
    count: int
    of: int
    proportion: float | None
    low: float | None = Field(description="Exact (Clopper-Pearson) 95% interval")
    high: float | None


class GroupOut(BaseModel):
    route: str | None = Field(description="Null in the overall row")
    cell_source: str | None
    patients_treated: int
    doses: int
    events: int
    serious_events: int
    susars: int
    patients_with_any_event: Proportion
    patients_with_serious_event: Proportion
    patients_with_grade_3_or_more: Proportion


class SeriousEventOut(BaseModel):
    adverse_event_id: int
    patient_id: int
    patient_study_id: str
    site_code: str
    term: str
    onset_date: date
    grade: int
    serious_criteria: list[str]
    related_to_procedure: str
    related_to_product: str
    expectedness: str
    susar: bool
    outcome: str
    route: str | None
    cell_source: str | None
    dose_number: int | None


class SafetyReportOut(BaseModel):
    on: date = Field(description="Data cut-off: events with onset on or before this day")
    site_code: str | None
    overall: GroupOut
    groups: list[GroupOut]
    serious_events: list[SeriousEventOut]
    events_before_treatment: int = Field(description="In treated patients, before any dose")
    caveat: str


def exact_interval(count: int, of: int) -> Proportion:
    """The proportion with its exact (Clopper-Pearson) 95% interval; none of none is null.

    >>> p = exact_interval(0, 10)
    >>> (p.proportion, p.low, round(p.high or 0, 4))
    (0.0, 0.0, 0.3085)
    """
    if of == 0:
        return Proportion(count=count, of=of, proportion=None, low=None, high=None)
    low, high = proportion_confint(count, of, alpha=0.05, method="beta")
    return Proportion(
        count=count,
        of=of,
        proportion=count / of,
        low=0.0 if count == 0 else float(low),
        high=1.0 if count == of else float(high),
    )


@dataclass
class _Group:
    patients: set[int] = field(default_factory=set)
    doses: int = 0
    events: int = 0
    serious: int = 0
    susars: int = 0
    with_event: set[int] = field(default_factory=set)
    with_serious: set[int] = field(default_factory=set)
    with_grade_3: set[int] = field(default_factory=set)

    def out(self, route: str | None, source: str | None) -> GroupOut:
        n = len(self.patients)
        return GroupOut(
            route=route,
            cell_source=source,
            patients_treated=n,
            doses=self.doses,
            events=self.events,
            serious_events=self.serious,
            susars=self.susars,
            patients_with_any_event=exact_interval(len(self.with_event), n),
            patients_with_serious_event=exact_interval(len(self.with_serious), n),
            patients_with_grade_3_or_more=exact_interval(len(self.with_grade_3), n),
        )


def safety_report(
    db: Database, actor: Actor, *, on: date | None = None, site_code: str | None = None
) -> SafetyReportOut:
    """Adverse events of the treated patients the actor sees (or one site's), up to ``on``."""
    actor.require("safety.read")
    cut_off = on or today()
    rules = reporting_rules()
    with db.read() as session:
        check_site_code(session, site_code)
        given = [
            (dose, patient, code, source)
            for dose, patient, code, source in session.execute(
                select(Administration, Patient, Site.code, Product.cell_source)
                .join(Patient, Patient.id == Administration.patient_id)
                .join(Site, Site.id == Patient.site_id)
                .join(Product, Product.id == Administration.product_id)
                .order_by(Administration.at, Administration.id)
            ).all()
            if actor.sees_site(patient.site_id)
            and (site_code is None or code == site_code)
            and clinic_day(dose.at) <= cut_off
        ]
        treated = {patient.id: (patient, code) for _, patient, code, _ in given}
        events = session.scalars(
            select(AdverseEvent)
            .where(
                AdverseEvent.status == "current",
                AdverseEvent.patient_id.in_(sorted(treated)),
                AdverseEvent.onset_date <= cut_off,
            )
            .order_by(AdverseEvent.onset_date, AdverseEvent.id)
        ).all()
    groups: dict[tuple[str, str], _Group] = defaultdict(_Group)
    overall = _Group()
    by_id = {dose.id: (dose, source) for dose, _, _, source in given}
    doses_of: dict[int, list[tuple[Administration, str]]] = defaultdict(list)
    for dose, patient, _, source in given:
        doses_of[patient.id].append((dose, source))
        for group in (groups[(dose.route, source)], overall):
            group.patients.add(patient.id)
            group.doses += 1
    serious_list: list[SeriousEventOut] = []
    before = 0
    for event in events:
        linked = by_id.get(event.administration_id or 0)
        if linked is None:
            earlier = [
                item
                for item in doses_of[event.patient_id]
                if clinic_day(item[0].at) <= event.onset_date
            ]
            linked = earlier[-1] if earlier else None
        if linked is None:
            before += 1
            continue
        dose, source = linked
        facts = AdverseEventFacts(
            tuple(event.serious_criteria), event.related_to_product, event.related_to_procedure,
            event.expectedness, event.aware_on,
        )  # fmt: skip
        for group in (groups[(dose.route, source)], overall):
            group.events += 1
            group.with_event.add(event.patient_id)
            if facts.serious:
                group.serious += 1
                group.with_serious.add(event.patient_id)
            if facts.susar(rules):
                group.susars += 1
            if event.grade >= 3:
                group.with_grade_3.add(event.patient_id)
        if facts.serious:
            patient, code = treated[event.patient_id]
            serious_list.append(
                SeriousEventOut(
                    adverse_event_id=event.id, patient_id=event.patient_id,
                    patient_study_id=patient.study_id, site_code=code, term=event.term,
                    onset_date=event.onset_date, grade=event.grade,
                    serious_criteria=list(event.serious_criteria),
                    related_to_procedure=event.related_to_procedure,
                    related_to_product=event.related_to_product,
                    expectedness=event.expectedness, susar=facts.susar(rules),
                    outcome=event.outcome, route=dose.route, cell_source=source,
                    dose_number=dose.dose_number,
                )
            )  # fmt: skip
    return SafetyReportOut(
        on=cut_off,
        site_code=site_code,
        overall=overall.out(None, None),
        groups=[groups[key].out(*key) for key in sorted(groups)],
        serious_events=serious_list,
        events_before_treatment=before,
        caveat=CAVEAT,
    )
