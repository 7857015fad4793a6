"""Assessments, each dated and attributed: ALSFRS-R and other instruments, spirometry, weight."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from itertools import chain
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from alstrack.config import get_settings
from alstrack.domain import alsfrs, anthropometry, spirometry
from alstrack.domain.instruments import builtin_instruments
from alstrack.domain.registry import SpirometryPosition
from alstrack.errors import InvalidInput
from alstrack.services.context import Actor, load_patient, not_in_future, today
from alstrack.services.fields import Number
from alstrack.services.records import PatientContext, RecordKind, patient_context
from alstrack.store.bulk import Column, Same
from alstrack.store.db import Database
from alstrack.store.models import BodyMeasurement, InstrumentAssessment, SpirometryTest

ALSFRS_R = "alsfrs_r"
Rater = Annotated[str, Field(min_length=1, max_length=200, description="Who assessed the patient")]


class RecordMeta(BaseModel):
    """What every stored record shows about itself."""

    id: int
    patient_id: int
    status: str
    supersedes_id: int | None
    superseded_by_id: int | None
    reason: str | None = Field(description="Why this record corrects the one it supersedes")
    void_reason: str | None = Field(description="Why the record was marked entered in error")
    entered_by: int
    entered_at: datetime
    version: int


# Field names read once: the timeline presents many records per request.
_META_FIELDS: tuple[str, ...] = tuple(RecordMeta.model_fields)


def meta(row: Any) -> dict[str, Any]:
    return {k: getattr(row, k) for k in _META_FIELDS}


def check_visit_date(ctx: PatientContext, assessed_on: date) -> None:
    not_in_future("assessed_on", assessed_on, today())
    if ctx.date_of_birth and assessed_on < ctx.date_of_birth:
        raise InvalidInput.for_field("assessed_on", "must not be before the date of birth")
    if ctx.death_date and assessed_on > ctx.death_date:
        raise InvalidInput.for_field(
            "assessed_on", f"must not be after the recorded death ({ctx.death_date.isoformat()})"
        )


# --- instruments (ALSFRS-R, Modified Ashworth, symptom ratings, a program's own) -------------


class InstrumentAssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    instrument: str = Field(description="Instrument code, e.g. alsfrs_r, mas, als_symptoms")
    assessed_on: date
    assessed_by: Rater
    responses: dict[str, Any]


class AlsfrsDerived(BaseModel):
    """Derived ALSFRS-R measures; null where indeterminate, with the reasons listed."""

    total: float | None
    bulbar: float | None
    fine_motor: float | None
    gross_motor: float | None
    respiratory: float | None
    kings_regions: int | None
    kings_stage: int | None
    kings_4a: bool | None
    kings_4b: bool | None
    mitos_stage: int | None
    mitos_domains: dict[str, bool | None]
    delta_fs: float | None = Field(description="(48 − total) / months from onset (Kimura 2006)")
    half_points: bool
    indeterminate: list[str]


class InstrumentAssessmentOut(RecordMeta):
    instrument: str
    instrument_version: str
    assessed_on: date
    assessed_by: str
    responses: dict[str, Any]
    scores: dict[str, float | None]
    alsfrs_r: AlsfrsDerived | None


def derive_alsfrs(
    responses: dict[str, Any], assessed_on: date, ctx: PatientContext
) -> AlsfrsDerived:
    return derive_alsfrs_many([(responses, assessed_on)], ctx)[0]


def derive_alsfrs_many(
    visits: list[tuple[dict[str, Any], date]], ctx: PatientContext
) -> list[AlsfrsDerived]:
    """Derived measures of a patient's ALSFRS-R visits, scored in one pass."""
    dead = [ctx.death_date is not None and on >= ctx.death_date for _, on in visits]
    scores = alsfrs.score_many([r for r, _ in visits], dead=dead, allow_half_points=True)
    onset = ctx.onset_date
    # ΔFS of every visit in one call, as they were scored.
    dfs = alsfrs.delta_fs_arrays(
        [math.nan if s.total is None else s.total for s in scores],
        [math.nan if onset is None else (on - onset).days for _, on in visits],
    ).tolist()
    return [
        _derived(s, on, None if math.isnan(d) else d, ctx)
        for s, (_, on), d in zip(scores, visits, dfs, strict=True)
    ]


def _derived(
    s: alsfrs.AlsfrsScore, assessed_on: date, dfs: float | None, ctx: PatientContext
) -> AlsfrsDerived:
    reasons = list(s.reasons)
    if dfs is None:
        reasons.append(
            "delta_fs: needs the total and an onset date before the visit"
            if ctx.onset_date is None or s.total is None
            else "delta_fs: the visit is not after the onset date"
        )
    return AlsfrsDerived(
        total=s.total,
        bulbar=s.bulbar,
        fine_motor=s.fine_motor,
        gross_motor=s.gross_motor,
        respiratory=s.respiratory,
        kings_regions=s.kings_regions,
        kings_stage=s.kings_stage,
        kings_4a=s.kings_4a,
        kings_4b=s.kings_4b,
        mitos_stage=s.mitos_stage,
        mitos_domains=dict(s.mitos_domains),
        delta_fs=dfs,
        half_points=s.half_points,
        indeterminate=reasons,
    )


def _prepare_instrument(
    _session: Session, ctx: PatientContext, data: InstrumentAssessmentIn
) -> dict[str, Any]:
    instruments = builtin_instruments()
    instrument = instruments.get(data.instrument)
    if instrument is None:
        raise InvalidInput.for_field("instrument", f"one of {', '.join(sorted(instruments))}")
    check_visit_date(ctx, data.assessed_on)
    if data.instrument == ALSFRS_R:
        # Clinicians enter whole points; half points exist only in imported trial data.
        responses: dict[str, Any] = {
            k: (int(v) if v is not None and float(v).is_integer() else v)
            for k, v in alsfrs.validate_items(data.responses).items()
        }
    else:
        responses = instrument.validate_responses(data.responses)
    if data.instrument == ALSFRS_R:
        _check_item_5(ctx, data.assessed_on, responses)
    if all(v is None for v in responses.values()):
        raise InvalidInput.for_field("responses", "answer at least one item")
    return {
        "instrument": instrument.code,
        "instrument_version": instrument.version,
        "assessed_on": data.assessed_on,
        "assessed_by": data.assessed_by,
        "responses": {k: v for k, v in responses.items() if v is not None},
    }


def _check_item_5(ctx: PatientContext, assessed_on: date, responses: dict[str, Any]) -> None:
    """Item 5a is for patients without gastrostomy, 5b for those with one (Cedarbaum 1999)."""
    peg = ctx.gastrostomy_date
    if peg is not None and assessed_on >= peg and responses.get("q5a") is not None:
        raise InvalidInput.for_field(
            "q5a", f"the patient has a gastrostomy since {peg.isoformat()}: score item 5 as q5b"
        )


def _prepare_instruments(
    _session: Session,
    contexts: Mapping[int, PatientContext],
    patient_ids: Sequence[int],
    inputs: Sequence[InstrumentAssessmentIn],
) -> dict[str, Column] | None:
    """An import's ALSFRS-R visits checked together: what _prepare_instrument stores for each.

    Only the plain case passes: ALSFRS-R alone, whole points as ints, dates within each
    patient's life, no 5a after a gastrostomy. Any other batch gets None and goes through
    _prepare_instrument record by record, which converts what it may and names what is wrong.
    """
    if any(d.instrument != ALSFRS_R for d in inputs):
        return None
    responses = _plain_items([d.responses for d in inputs])
    dates = [d.assessed_on for d in inputs]
    if responses is None or not _dates_allowed(contexts, patient_ids, dates, responses):
        return None
    instrument = builtin_instruments()[ALSFRS_R]
    return {
        "instrument": Same(instrument.code),
        "instrument_version": Same(instrument.version),
        "assessed_on": dates,
        "assessed_by": [d.assessed_by for d in inputs],
        "responses": responses,
    }


_ITEM_INDEX = {item: index for index, item in enumerate(alsfrs.ITEMS)}
_WHOLE_POINTS = frozenset(range(5))


def _plain_items(responses: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Every record's items as _prepare_instrument stores them, or None if one needs more.

    Plain items are known, at least one, not both 5a and 5b, and each an int from 0 to 4 (not
    a bool, not 3.0, not None); they are stored in the instrument's order. Checked over the
    whole batch with set operations, which run in C: 0.8 µs a record where _prepare_instrument
    takes 9, twice what SQLite spends storing the row.
    """
    reordered: dict[tuple[str, ...], tuple[str, ...]] = {}
    for shape in set(map(tuple, responses)):
        if not shape or not _ITEM_INDEX.keys() >= set(shape) or {"q5a", "q5b"} <= set(shape):
            return None
        in_order = tuple(sorted(shape, key=_ITEM_INDEX.__getitem__))
        if in_order != shape:
            reordered[shape] = in_order
    scores = list(chain.from_iterable(map(dict.values, responses)))
    if set(map(type, scores)) != {int} or not _WHOLE_POINTS.issuperset(scores):
        return None
    if not reordered:
        return responses
    return [
        {k: r[k] for k in reordered[shape]} if (shape := tuple(r)) in reordered else r
        for r in responses
    ]


def _dates_allowed(
    contexts: Mapping[int, PatientContext],
    patient_ids: Sequence[int],
    dates: Sequence[date],
    responses: Sequence[dict[str, Any]],
) -> bool:
    """check_visit_date and _check_item_5 for every record, against limits set per patient."""
    if max(dates) > today():
        return False
    limits = {
        pid: (
            ctx.date_of_birth or date.min,
            ctx.death_date or date.max,
            ctx.gastrostomy_date or date.max,
        )
        for pid, ctx in contexts.items()
    }
    for pid, on, items in zip(patient_ids, dates, responses, strict=True):
        born, died, peg = limits[pid]
        if not born <= on <= died or (on >= peg and "q5a" in items):
            return False
    return True


def _present_instrument(row: InstrumentAssessment, ctx: PatientContext) -> InstrumentAssessmentOut:
    return present_instruments([row], ctx)[0]


def present_instruments(
    rows: list[InstrumentAssessment], ctx: PatientContext
) -> list[InstrumentAssessmentOut]:
    """Present many instrument assessments of one patient, scoring ALSFRS-R ones together."""
    alsfrs_rows = [r for r in rows if r.instrument == ALSFRS_R]
    derived = dict(
        zip(
            (r.id for r in alsfrs_rows),
            derive_alsfrs_many([(r.responses, r.assessed_on) for r in alsfrs_rows], ctx),
            strict=True,
        )
    )
    instruments = builtin_instruments()
    return [_instrument_out(r, derived.get(r.id), instruments) for r in rows]


def _instrument_out(
    row: InstrumentAssessment, derived: AlsfrsDerived | None, instruments: dict[str, Any]
) -> InstrumentAssessmentOut:
    if row.instrument == ALSFRS_R:
        scores: dict[str, float | None] = {k: float(v) for k, v in row.responses.items()}
    else:
        instrument = instruments.get(row.instrument)
        scores = instrument.scores(row.responses) if instrument else {}
    return InstrumentAssessmentOut(
        **meta(row),
        instrument=row.instrument,
        instrument_version=row.instrument_version,
        assessed_on=row.assessed_on,
        assessed_by=row.assessed_by,
        responses=row.responses,
        scores=scores,
        alsfrs_r=derived,
    )


INSTRUMENT_ASSESSMENT: RecordKind[InstrumentAssessmentIn, InstrumentAssessmentOut] = RecordKind(
    name="instrument_assessment",
    model=InstrumentAssessment,
    input_model=InstrumentAssessmentIn,
    permission_read="assessments.read",
    permission_write="assessments.write",
    prepare=_prepare_instrument,
    present=_present_instrument,
    order_by="assessed_on",
    prepare_many=_prepare_instruments,
)


# --- spirometry ---------------------------------------------------------------------------


class SpirometryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assessed_on: date
    assessed_by: Rater
    position: SpirometryPosition = "upright"
    fvc_l: Annotated[Number, Field(gt=0, le=10)] | None = None
    svc_l: Annotated[Number, Field(gt=0, le=10)] | None = None
    height_cm: Annotated[Number, Field(gt=0)] | None = Field(
        default=None, description="Height at the test; the latest recorded height if left out."
    )
    equation: str | None = Field(default=None, description="GLI-2012 or GLI-Global (the default)")
    ethnicity: str | None = Field(default=None, description="Needed by GLI-2012 only")


class SpirometryOut(RecordMeta):
    assessed_on: date
    assessed_by: str
    position: str
    fvc_l: float | None
    svc_l: float | None
    equation: str
    ethnicity: str | None
    age_years: float
    height_cm: float
    sex: str
    predicted_l: float
    lln_l: float
    fvc_percent_predicted: float | None
    fvc_z_score: float | None
    svc_percent_predicted: float | None


_SPIROMETRY_FIELDS: tuple[str, ...] = tuple(
    k for k in SpirometryOut.model_fields if k not in RecordMeta.model_fields
)


def latest_height(session: Session, patient_id: int, on: date) -> float | None:
    return session.scalar(
        select(BodyMeasurement.height_cm)
        .where(
            BodyMeasurement.patient_id == patient_id,
            BodyMeasurement.status == "current",
            BodyMeasurement.height_cm.is_not(None),
            BodyMeasurement.assessed_on <= on,
        )
        .order_by(BodyMeasurement.assessed_on.desc(), BodyMeasurement.id.desc())
        .limit(1)
    )


def age_years(date_of_birth: date, on: date) -> float:
    return (on - date_of_birth).days / 365.25


def _prepare_spirometry(
    session: Session, ctx: PatientContext, data: SpirometryIn
) -> dict[str, Any]:
    check_visit_date(ctx, data.assessed_on)
    if data.fvc_l is None and data.svc_l is None:
        raise InvalidInput.for_field("fvc_l", "give fvc_l, svc_l or both (litres)")
    if ctx.sex is None:
        raise InvalidInput.for_field("sex", "record the patient's sex: %-predicted needs it")
    if ctx.date_of_birth is None:
        raise InvalidInput.for_field(
            "date_of_birth", "record the patient's identifiers: %-predicted needs the age"
        )
    height = data.height_cm or latest_height(session, ctx.patient_id, data.assessed_on)
    if height is None:
        raise InvalidInput.for_field("height_cm", "give the height, or record one beforehand")
    equation = data.equation or get_settings().spirometry_equation
    age = age_years(ctx.date_of_birth, data.assessed_on)
    # SVC is read against the FVC equation: GLI has no SVC equation (see domain/spirometry.py).
    reference_l = data.fvc_l if data.fvc_l is not None else data.svc_l
    assert reference_l is not None
    p = spirometry.predict(
        measured_l=reference_l,
        sex=ctx.sex,
        age_years=age,
        height_cm=height,
        equation=equation,
        ethnicity=data.ethnicity,
    )
    return {
        "assessed_on": data.assessed_on,
        "assessed_by": data.assessed_by,
        "position": data.position,
        "fvc_l": data.fvc_l,
        "svc_l": data.svc_l,
        "equation": p.equation,
        "ethnicity": data.ethnicity,
        "age_years": age,
        "height_cm": height,
        "sex": ctx.sex,
        "predicted_l": p.predicted_l,
        "lln_l": p.lln_l,
        "fvc_percent_predicted": p.percent_predicted if data.fvc_l is not None else None,
        "fvc_z_score": p.z_score if data.fvc_l is not None else None,
        "svc_percent_predicted": (
            100.0 * data.svc_l / p.predicted_l if data.svc_l is not None else None
        ),
    }


def _present_spirometry(row: SpirometryTest, _ctx: PatientContext) -> SpirometryOut:
    return SpirometryOut(**meta(row), **{k: getattr(row, k) for k in _SPIROMETRY_FIELDS})


SPIROMETRY: RecordKind[SpirometryIn, SpirometryOut] = RecordKind(
    name="spirometry_test",
    model=SpirometryTest,
    input_model=SpirometryIn,
    permission_read="assessments.read",
    permission_write="assessments.write",
    prepare=_prepare_spirometry,
    present=_present_spirometry,
    order_by="assessed_on",
)


class SpirometryPreview(BaseModel):
    """What would be stored for a typed spirometry test: its %-predicted and references."""

    equation: str
    height_cm: float
    age_years: float
    predicted_l: float
    lln_l: float
    fvc_percent_predicted: float | None
    fvc_z_score: float | None
    svc_percent_predicted: float | None


def preview_spirometry(
    db: Database, actor: Actor, patient_id: int, data: SpirometryIn
) -> SpirometryPreview:
    """The record's preparation as adding it would do it (the GLI equations, the latest height,
    the default equation), read-only: nothing is stored. A form shows %-predicted "as typed"
    with it; it needs the permission that saving needs."""
    actor.require(SPIROMETRY.permission_write)
    with db.read() as session:
        ctx = patient_context(session, load_patient(session, actor, patient_id))
        return SpirometryPreview(**SPIROMETRY.prepare(session, ctx, data))


# --- weight and height --------------------------------------------------------------------


class BodyMeasurementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assessed_on: date
    assessed_by: Rater
    weight_kg: Number | None = None
    height_cm: Number | None = None


class BodyMeasurementOut(RecordMeta):
    assessed_on: date
    assessed_by: str
    weight_kg: float | None
    height_cm: float | None
    bmi: float | None = Field(description="kg/m², from this weight and the latest height")


def _prepare_body(session: Session, ctx: PatientContext, data: BodyMeasurementIn) -> dict[str, Any]:
    check_visit_date(ctx, data.assessed_on)
    if data.weight_kg is None and data.height_cm is None:
        raise InvalidInput.for_field("weight_kg", "give weight_kg, height_cm or both")
    anthropometry.check_measurements(weight_kg=data.weight_kg, height_cm=data.height_cm)
    height = data.height_cm or latest_height(session, ctx.patient_id, data.assessed_on)
    bmi = anthropometry.bmi(data.weight_kg, height) if data.weight_kg and height else None
    return {**data.model_dump(), "bmi": bmi}


def _present_body(row: BodyMeasurement, _ctx: PatientContext) -> BodyMeasurementOut:
    return BodyMeasurementOut(
        **meta(row),
        assessed_on=row.assessed_on,
        assessed_by=row.assessed_by,
        weight_kg=row.weight_kg,
        height_cm=row.height_cm,
        bmi=row.bmi,
    )


BODY_MEASUREMENT: RecordKind[BodyMeasurementIn, BodyMeasurementOut] = RecordKind(
    name="body_measurement",
    model=BodyMeasurement,
    input_model=BodyMeasurementIn,
    permission_read="assessments.read",
    permission_write="assessments.write",
    prepare=_prepare_body,
    present=_present_body,
    order_by="assessed_on",
)
