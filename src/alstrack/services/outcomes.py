"""One patient's outcomes: what was observed beside what was expected without treatment.

For ALSFRS-R (total), FVC % predicted and weight: every value with its months from the first
dose, the slope before treatment (from the visits before the first dose, and for ALSFRS-R from
onset by ΔFS) and after it, each with its 95% interval and the visits behind it, and observed
minus expected at 3, 6 and 12 months with the interval of the expectation
(analysis/trajectory.py). The ALSFRS-R subscores, King's and MiToS stages and the milestones
over time, and the ENCALS survival expected from the data at diagnosis (domain/prognosis.py)
with its provenance. Every comparison carries a reading generated from its numbers, and the
whole a caveat: a single patient's course cannot show what caused it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from alstrack.analysis.trajectory import (
    MONTH_DAYS,
    Comparison,
    Slope,
    delta_fs_slope,
    fit_slope,
    observed_minus_expected,
)
from alstrack.domain.prognosis import EncalsInputs, encals_model, predict
from alstrack.errors import InvalidInput
from alstrack.services.assessments import BodyMeasurementOut, InstrumentAssessmentOut, SpirometryOut
from alstrack.services.context import Actor, load_patient
from alstrack.services.milestones import MilestoneOut
from alstrack.services.records import patient_context
from alstrack.services.timeline import Timeline, timeline
from alstrack.store.db import Database

__all__ = [
    "CAVEAT",
    "PatientOutcomesOut",
    "PrognosisOut",
    "patient_outcomes",
    "prognosis_of",
    "reading",
]

Measure = Literal["alsfrs_r_total", "fvc_percent_predicted", "weight_kg"]
HORIZONS = (3, 6, 12)
# A visit counts for a horizon within this many months of it (month 3 ± 1.5 …).
TOLERANCE_MONTHS = 1.5
CAVEAT = (
    "One patient's course, shown beside the course expected without treatment. It cannot show "
    "that any treatment caused a difference: ALS varies between people and over time, and "
    "plateaus and small gains happen without treatment (a quarter of patients show no ALSFRS-R "
    "decline over 6 months; Bedlack et al., Neurology 2016). No MSC product is approved for ALS, "
    "and the largest randomised trials missed their primary endpoints."
)


class PointOut(BaseModel):
    on: date
    months: float | None = Field(description="Months from the first dose (negative before it)")
    value: float


class SlopeOut(BaseModel):
    per_month: float | None
    low: float | None = Field(description="95% interval, null when there is none")
    high: float | None
    n_visits: int
    method: str
    note: str | None


class ComparisonOut(BaseModel):
    horizon_months: int
    observed: float | None
    observed_at_months: float | None
    expected: float | None
    expected_low: float | None = Field(description="95% prediction interval of the expectation")
    expected_high: float | None
    difference: float | None = Field(description="Observed minus expected")
    low: float | None
    high: float | None
    reading: str = Field(description="What the numbers say, in words")
    note: str | None


class MeasureOut(BaseModel):
    measure: Measure
    unit: str
    points: list[PointOut]
    slope_before: SlopeOut
    slope_before_from_onset: SlopeOut | None = Field(description="ALSFRS-R only: by ΔFS")
    slope_after: SlopeOut
    observed_minus_expected: list[ComparisonOut] = Field(
        description="At 3, 6 and 12 months; empty when no dose was given (see comparison_note)"
    )
    comparison_note: str | None = Field(description="Why nothing is compared, if nothing is")


class StageOut(BaseModel):
    on: date
    kings_stage: int | None
    mitos_stage: int | None


class SubscoresOut(BaseModel):
    on: date
    months: float | None = Field(description="Months from the first dose (negative before it)")
    bulbar: float | None = Field(description="Items 1–3, 0–12; null where an item is missing")
    fine_motor: float | None = Field(description="Items 4, 5a or 5b, and 6")
    gross_motor: float | None = Field(description="Items 7–9")
    respiratory: float | None = Field(description="Items 10–12")


class MilestoneAtOut(BaseModel):
    on: date
    months: float | None = Field(description="Months from the first dose (negative before it)")
    kind: str = Field(description="gastrostomy, niv_start, niv_over_23h, tracheostomy or death")


class PrognosisOut(BaseModel):
    inputs: EncalsInputs | None
    missing: list[str] = Field(description="What the model needs and the record lacks")
    linear_predictor: float | None
    median_months_from_onset: float | None
    survival: dict[str, float]
    model: str
    provenance: str


class PatientOutcomesOut(BaseModel):
    patient_id: int
    study_id: str
    first_dose_on: date | None
    doses_on: list[date]
    measures: list[MeasureOut]
    stages: list[StageOut]
    alsfrs_r_subscores: list[SubscoresOut] = Field(
        description="The four subscores (Cedarbaum 1999) of every ALSFRS-R with one scored"
    )
    milestones: list[MilestoneAtOut] = Field(description="Each milestone recorded, by date")
    prognosis: PrognosisOut
    caveat: str


def patient_outcomes(db: Database, actor: Actor, patient_id: int) -> PatientOutcomesOut:
    """The patient's outcomes beside the course expected without treatment."""
    shown = timeline(db, actor, patient_id)
    with db.read() as session:
        patient = load_patient(session, actor, patient_id)
        ctx = patient_context(session, patient)
    doses = sorted(e.date for e in shown.events if e.type == "administration")
    first = doses[0] if doses else None
    alsfrs, spirometry = alsfrs_scores(shown), _spirometry(shown)
    weights = [
        e.record
        for e in shown.events
        if isinstance(e.record, BodyMeasurementOut) and e.record.weight_kg is not None
    ]
    last_delta_fs = next(
        (
            a.alsfrs_r.delta_fs
            for a in reversed(alsfrs)
            if a.alsfrs_r is not None
            and a.alsfrs_r.delta_fs is not None
            and (first is None or a.assessed_on <= first)
        ),
        None,
    )
    measures = [
        _measure(
            "alsfrs_r_total", "points",
            [(a.assessed_on, a.alsfrs_r.total) for a in alsfrs if a.alsfrs_r is not None],
            first, delta_fs=last_delta_fs, bounds=(0.0, 48.0),
        ),
        _measure(
            "fvc_percent_predicted", "% predicted",
            [(s.assessed_on, s.fvc_percent_predicted) for s in spirometry], first,
        ),
        _measure("weight_kg", "kg", [(w.assessed_on, w.weight_kg) for w in weights], first),
    ]  # fmt: skip
    stages = [
        StageOut(
            on=a.assessed_on, kings_stage=a.alsfrs_r.kings_stage, mitos_stage=a.alsfrs_r.mitos_stage
        )
        for a in alsfrs
        if a.alsfrs_r is not None
    ]
    return PatientOutcomesOut(
        patient_id=patient.id,
        study_id=patient.study_id,
        first_dose_on=first,
        doses_on=doses,
        measures=measures,
        stages=stages,
        alsfrs_r_subscores=_subscores(shown, first),
        milestones=[
            MilestoneAtOut(on=m.occurred_on, months=_months(m.occurred_on, first), kind=m.kind)
            for m in (e.record for e in shown.events)
            if isinstance(m, MilestoneOut)
        ],
        prognosis=prognosis_of(shown, ctx.date_of_birth),
        caveat=CAVEAT,
    )


def reading(comparison: Comparison) -> str:
    """The comparison in words, from its numbers only; it never names a cause.

    >>> reading(Comparison(6, 30, 6.1, 28, 24, 32, 2, -2, 6))
    'no evidence of a difference from the expected course (the interval covers zero)'
    >>> reading(Comparison(6, 36, 6.1, 28, 24, 32, 8, 4, 12))
    'above the expected course, beyond its 95% prediction interval; one patient cannot show why'
    """
    if comparison.difference is None:
        return "cannot be compared: " + (comparison.note or "no value")
    if comparison.low is None or comparison.high is None:
        return "no interval: the difference cannot be judged"
    if comparison.low <= 0 <= comparison.high:
        return "no evidence of a difference from the expected course (the interval covers zero)"
    side = "above" if comparison.low > 0 else "below"
    return (
        f"{side} the expected course, beyond its 95% prediction interval; "
        "one patient cannot show why"
    )


def _measure(
    measure: Measure,
    unit: str,
    series: list[tuple[date, float | None]],
    first: date | None,
    *,
    delta_fs: float | None = None,
    bounds: tuple[float, float] | None = None,
) -> MeasureOut:
    """One measure's points, slopes and comparisons. Without a dose every value counts as
    before treatment (its slope is the natural course so far) and nothing is compared."""
    values = [(on, value) for on, value in series if value is not None]
    points = [PointOut(on=on, months=_months(on, first), value=v) for on, v in values]
    anchor = first or (values[0][0] if values else date.min)
    timed = [(_months(on, anchor) or 0.0, on, v) for on, v in values]
    pre = [(t, v) for t, on, v in timed if first is None or on <= first]
    post = [(t, v) for t, on, v in timed if first is not None and on > first]
    comparisons = (
        observed_minus_expected(
            [t for t, _ in pre], [v for _, v in pre], [t for t, _ in post], [v for _, v in post],
            horizons=HORIZONS, tolerance_months=TOLERANCE_MONTHS, delta_fs=delta_fs,
            bounds=bounds,
        )
        if first is not None
        else []
    )  # fmt: skip
    after = fit_slope([t for t, _ in post], [v for _, v in post])
    if first is None:
        after = Slope(None, None, None, 0, after.method, "no dose given: nothing after treatment")
    return MeasureOut(
        measure=measure,
        unit=unit,
        points=points,
        slope_before=_slope(fit_slope([t for t, _ in pre], [v for _, v in pre])),
        slope_before_from_onset=(
            _slope(delta_fs_slope(delta_fs)) if measure == "alsfrs_r_total" else None
        ),
        slope_after=_slope(after),
        comparison_note=None if first is not None else "no dose given: nothing to compare",
        observed_minus_expected=[
            ComparisonOut(
                horizon_months=c.horizon_months, observed=c.observed,
                observed_at_months=c.observed_at_months, expected=c.expected,
                expected_low=c.expected_low, expected_high=c.expected_high,
                difference=c.difference, low=c.low, high=c.high, reading=reading(c), note=c.note,
            )
            for c in comparisons
        ],
    )  # fmt: skip


def alsfrs_scores(shown: Timeline) -> list[InstrumentAssessmentOut]:
    """The patient's ALSFRS-R assessments with a total, in date order."""
    return [
        e.record
        for e in shown.events
        if isinstance(e.record, InstrumentAssessmentOut)
        and e.record.alsfrs_r is not None
        and e.record.alsfrs_r.total is not None
    ]


def _subscores(shown: Timeline, first: date | None) -> list[SubscoresOut]:
    """The subscores of every ALSFRS-R with at least one of them scored: a subscore needs only
    its own items, so a visit without a total may still have some."""
    out = []
    for e in shown.events:
        if not isinstance(e.record, InstrumentAssessmentOut) or e.record.alsfrs_r is None:
            continue
        d, on = e.record.alsfrs_r, e.record.assessed_on
        values = (d.bulbar, d.fine_motor, d.gross_motor, d.respiratory)
        if any(v is not None for v in values):
            out.append(
                SubscoresOut(
                    on=on, months=_months(on, first), bulbar=d.bulbar, fine_motor=d.fine_motor,
                    gross_motor=d.gross_motor, respiratory=d.respiratory,
                )
            )  # fmt: skip
    return out


def _spirometry(shown: Timeline) -> list[SpirometryOut]:
    return [
        e.record
        for e in shown.events
        if isinstance(e.record, SpirometryOut) and e.record.fvc_percent_predicted is not None
    ]


def prognosis_of(shown: Timeline, born: date | None) -> PrognosisOut:
    """The ENCALS prediction from the data at diagnosis on the patient's timeline, or what it
    lacks (``born``: the date of birth, for the age at onset)."""
    alsfrs, spirometry = alsfrs_scores(shown), _spirometry(shown)
    model = encals_model()
    history = shown.patient.history
    missing: list[str] = []
    window = model.at_diagnosis_window_days
    onset = history.onset_date if history else None
    diagnosed = history.diagnosis_date if history else None
    if onset is None:
        missing.append("symptom onset date")
    if diagnosed is None:
        missing.append("diagnosis date")
    if born is None:
        missing.append("date of birth (for the age at onset)")
    delta_fs = fvc = None
    if diagnosed is not None:
        delta_fs = _nearest(
            [(a.assessed_on, a.alsfrs_r.delta_fs if a.alsfrs_r else None) for a in alsfrs],
            diagnosed, window,
        )  # fmt: skip
        fvc = _nearest(
            [(s.assessed_on, s.fvc_percent_predicted) for s in spirometry], diagnosed, window
        )
    if delta_fs is None:
        missing.append(f"an ALSFRS-R with ΔFS within {window} days of diagnosis")
    if fvc is None:
        missing.append(f"an FVC % predicted within {window} days of diagnosis")
    region = history.onset_region if history else None
    if region is None:
        missing.append("onset region")
    definite: bool | None = None
    el_escorial = history is not None and history.diagnostic_criteria == "revised_el_escorial"
    if history is not None and el_escorial and history.diagnostic_category:
        definite = history.diagnostic_category == "definite"
    else:
        missing.append("a revised El Escorial category")
    ftd = {"yes": True, "no": False}.get(history.ftd if history else "unknown")
    if ftd is None:
        missing.append("whether the patient has frontotemporal dementia")
    genetics = set(history.genetics) if history else set()
    c9 = True if "c9orf72" in genetics else (False if genetics - {"not_tested"} else None)
    if c9 is None:
        missing.append("a C9orf72 test")
    empty = PrognosisOut(
        inputs=None, missing=missing, linear_predictor=None, median_months_from_onset=None,
        survival={}, model=model.label,
        provenance=f"{model.reference.strip()} {model.provenance.strip()} "
        f"Status: {model.status}.",
    )  # fmt: skip
    known = (onset, diagnosed, born, delta_fs, fvc, definite, ftd, c9)
    if missing or any(value is None for value in known):
        return empty
    assert onset is not None and diagnosed is not None and born is not None  # noqa: PT018
    assert delta_fs is not None and fvc is not None and definite is not None  # noqa: PT018
    assert ftd is not None and c9 is not None  # noqa: PT018
    inputs = EncalsInputs(
        age_at_onset_years=(onset - born).days / 365.25,
        delta_fs=delta_fs,
        diagnostic_delay_months=(diagnosed - onset).days / MONTH_DAYS,
        fvc_percent=fvc,
        bulbar_onset=region == "bulbar",
        definite_als=definite,
        ftd=ftd,
        c9orf72=c9,
    )
    try:
        result = predict(inputs, model)
    except InvalidInput as error:
        return empty.model_copy(
            update={"inputs": inputs, "missing": [f"{f.field} {f.message}" for f in error.fields]}
        )
    return PrognosisOut(
        inputs=inputs, missing=[], linear_predictor=result.linear_predictor,
        median_months_from_onset=result.median_months_from_onset, survival=result.survival,
        model=result.model, provenance=result.provenance,
    )  # fmt: skip


def _nearest(series: list[tuple[date, float | None]], day: date, window: int) -> float | None:
    near = [
        (abs((on - day).days), on, v)
        for on, v in series
        if v is not None and abs((on - day).days) <= window
    ]
    return min(near)[2] if near else None


def _slope(s: Slope) -> SlopeOut:
    return SlopeOut(
        per_month=s.per_month, low=s.low, high=s.high, n_visits=s.n_visits, method=s.method,
        note=s.note,
    )  # fmt: skip


def _months(on: date, anchor: date | None) -> float | None:
    return None if anchor is None else (on - anchor).days / MONTH_DAYS
