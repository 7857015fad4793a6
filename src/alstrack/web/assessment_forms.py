"""The assessment forms: ALSFRS-R item by item, spirometry with its %-predicted checked before
saving, a record shown by itself (a superseded one too), and corrections with a reason.

Pages are thin: they read the typed text into the services' input models and show what the
services answer, each refusal beside its field. Which of items 5a/5b is allowed, the dates, the
totals and stages, the GLI %-predicted are the services' (services/assessments.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from alstrack.api.deps import DB, Id, needs
from alstrack.config import get_settings
from alstrack.domain.instruments import Instrument, builtin_instruments
from alstrack.domain.registry import SpirometryPosition
from alstrack.domain.spirometry import EQUATIONS, ETHNICITIES
from alstrack.errors import AlstrackError, Conflict, InvalidInput, NotFound, StepRefused
from alstrack.services import assessments, patients, records
from alstrack.services.assessments import (
    ALSFRS_R,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    InstrumentAssessmentIn,
    InstrumentAssessmentOut,
    SpirometryIn,
    SpirometryOut,
    SpirometryPreview,
)
from alstrack.services.context import Actor, today
from alstrack.store.db import Database
from alstrack.web.deps import PageActor, PageRoute, form_of
from alstrack.web.layout import render

router = APIRouter(prefix="/clinic", include_in_schema=False, route_class=PageRoute)

WRITE = needs("patients.read", "assessments.write")
READ = needs("patients.read", "assessments.read")
ITEM_5 = ("q5a", "q5b")
POSITIONS: tuple[str, ...] = get_args(SpirometryPosition)
Code = Annotated[str, Path(max_length=64)]
CHANGED = "This record was changed since you opened it: nothing was saved."


@dataclass
class Form:
    """What was typed (kept when the form comes back), each field's refusal, and a general one."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def refuse(self, exc: AlstrackError, known: set[str]) -> None:
        shown = [f for f in exc.fields if f.field in known]
        for f in shown:
            self.errors.setdefault(f.field, f.message)
        if len(shown) < len(exc.fields) or not exc.fields:
            self.general.append(exc.message)

    def refuse_model(self, exc: ValidationError, known: set[str]) -> None:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else ""
            if name in known:
                self.errors.setdefault(name, e["msg"])
            else:
                self.general.append(f"{name}: {e['msg']}")


def alsfrs_instrument() -> Instrument:
    return builtin_instruments()[ALSFRS_R]


def _date(form: Form, name: str = "assessed_on") -> date | None:
    text = form.values.get(name, "").strip()
    if not text:
        form.errors[name] = "give the date of the assessment"
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        form.errors[name] = "give a date as YYYY-MM-DD"
        return None


def _number(form: Form, name: str) -> float | None:
    text = form.values.get(name, "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        form.errors[name] = "give a number, e.g. 3.25"
        return None


def _correction_reason(form: Form) -> tuple[int, str] | None:
    """The version read and the reason of a correction form (the service requires the reason)."""
    version = form.values.get("version", "")
    if not version.isdigit() or len(version) > 9:
        form.general.append("The form does not say which version of the record it corrects.")
        return None
    return int(version), form.values.get("reason", "")


# --- ALSFRS-R ------------------------------------------------------------------------------


def _alsfrs_fields() -> set[str]:
    items = {item.key for item in alsfrs_instrument().items}
    return items | {"item5", "assessed_on", "assessed_by", "reason", "responses"}


def _alsfrs_input(form: Form) -> InstrumentAssessmentIn | None:
    """The typed form as the service's input; each unanswered item is refused beside itself (the
    form asks for every item; only the API takes a partial record)."""
    on = _date(form)
    chosen = form.values.get("item5", "")
    if chosen not in ITEM_5:
        form.errors["item5"] = "choose 5a (without gastrostomy) or 5b (with gastrostomy)"
    responses: dict[str, Any] = {}
    for item in alsfrs_instrument().items:
        if item.key in ITEM_5 and item.key != chosen:
            continue
        answer = form.values.get(item.key, "")
        if answer == "":
            form.errors[item.key] = "choose an answer"
            continue
        responses[item.key] = int(answer) if answer.lstrip("-").isdigit() else answer
    if form.errors or on is None:
        return None
    try:
        return InstrumentAssessmentIn(
            instrument=ALSFRS_R,
            assessed_on=on,
            assessed_by=form.values.get("assessed_by", "").strip(),
            responses=responses,
        )
    except ValidationError as exc:
        form.refuse_model(exc, _alsfrs_fields())
        return None


def _alsfrs_values(record: InstrumentAssessmentOut) -> dict[str, str]:
    values = {k: str(int(v)) for k, v in record.responses.items() if v is not None}
    values["item5"] = "q5b" if "q5b" in record.responses else "q5a"
    values["assessed_on"] = record.assessed_on.isoformat()
    values["assessed_by"] = record.assessed_by
    return values


def _alsfrs_page(
    request: Request,
    db: Database,
    actor: Actor,
    patient_id: int,
    form: Form,
    *,
    correcting: InstrumentAssessmentOut | None = None,
    current: InstrumentAssessmentOut | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        db,
        actor,
        "alsfrs_form.html",
        {
            "patient_id": patient_id,
            "study_id": _study_id(db, actor, patient_id),
            "instrument": alsfrs_instrument(),
            "item_5": ITEM_5,
            "form": form,
            "correcting": correcting,
            "current": current,
        },
        status_code=status_code,
    )


@router.get(
    "/patients/{patient_id}/alsfrs-r/new",
    response_class=HTMLResponse,
    name="clinic_alsfrs_new",
    openapi_extra=WRITE,
)
def alsfrs_new(request: Request, db: DB, actor: PageActor, patient_id: Id) -> HTMLResponse:
    values = {"assessed_on": today().isoformat(), "assessed_by": actor.display_name}
    return _alsfrs_page(request, db, actor, patient_id, Form(values))


@router.post(
    "/patients/{patient_id}/alsfrs-r/new",
    response_class=HTMLResponse,
    name="clinic_alsfrs_add",
    openapi_extra=WRITE,
)
def alsfrs_add(request: Request, db: DB, actor: PageActor, patient_id: Id) -> Response:
    form = Form(form_of(request))
    data = _alsfrs_input(form)
    if data is not None:
        try:
            records.add(db, actor, INSTRUMENT_ASSESSMENT, patient_id, data)
            return _to_patient(patient_id)
        except InvalidInput as exc:
            form.refuse(exc, _alsfrs_fields())
    return _alsfrs_page(request, db, actor, patient_id, form, status_code=422)


@router.get(
    "/patients/{patient_id}/alsfrs-r/{record_id}/correct",
    response_class=HTMLResponse,
    name="clinic_alsfrs_correct_form",
    openapi_extra=WRITE,
)
def alsfrs_correct_form(
    request: Request, db: DB, actor: PageActor, patient_id: Id, record_id: Id
) -> HTMLResponse:
    record = _alsfrs_record(db, actor, patient_id, record_id)
    form = Form(_alsfrs_values(record) | {"version": str(record.version)})
    current = _not_current(db, actor, INSTRUMENT_ASSESSMENT, record, form)
    return _alsfrs_page(request, db, actor, patient_id, form, correcting=record, current=current)


@router.post(
    "/patients/{patient_id}/alsfrs-r/{record_id}/correct",
    response_class=HTMLResponse,
    name="clinic_alsfrs_correct",
    openapi_extra=WRITE,
)
def alsfrs_correct(
    request: Request, db: DB, actor: PageActor, patient_id: Id, record_id: Id
) -> Response:
    record = _alsfrs_record(db, actor, patient_id, record_id)
    form = Form(form_of(request))
    read = _correction_reason(form)
    data = _alsfrs_input(form)
    current, status = None, 422
    if data is not None and read is not None:
        version, reason = read
        try:
            records.correct(
                db,
                actor,
                INSTRUMENT_ASSESSMENT,
                record_id,
                records.Correction[InstrumentAssessmentIn](
                    record=data, version=version, reason=reason
                ),
            )
            return _to_patient(patient_id)
        except InvalidInput as exc:
            form.refuse(exc, _alsfrs_fields())
        except (Conflict, StepRefused) as exc:
            record = _alsfrs_record(db, actor, patient_id, record_id)
            current = _changed(db, actor, INSTRUMENT_ASSESSMENT, record, version, form, exc)
            status = 409
    return _alsfrs_page(
        request,
        db,
        actor,
        patient_id,
        form,
        correcting=record,
        current=current,
        status_code=status,
    )


# --- spirometry ----------------------------------------------------------------------------

_SPIRO_FIELDS = {
    "assessed_on",
    "assessed_by",
    "position",
    "fvc_l",
    "svc_l",
    "height_cm",
    "equation",
    "ethnicity",
    "reason",
    "sex",
    "date_of_birth",
}


def _spirometry_input(form: Form) -> SpirometryIn | None:
    on = _date(form)
    fvc, svc, height = (_number(form, n) for n in ("fvc_l", "svc_l", "height_cm"))
    if form.errors or on is None:
        return None
    v = form.values
    try:
        return SpirometryIn(
            assessed_on=on,
            assessed_by=v.get("assessed_by", "").strip(),
            position=v.get("position") or "upright",
            fvc_l=fvc,
            svc_l=svc,
            height_cm=height,
            equation=v.get("equation") or None,
            ethnicity=v.get("ethnicity") or None,
        )
    except ValidationError as exc:
        form.refuse_model(exc, _SPIRO_FIELDS)
        return None


def _spirometry_values(record: SpirometryOut) -> dict[str, str]:
    def text(x: float | None) -> str:
        return "" if x is None else f"{x:g}"

    return {
        "assessed_on": record.assessed_on.isoformat(),
        "assessed_by": record.assessed_by,
        "position": record.position,
        "fvc_l": text(record.fvc_l),
        "svc_l": text(record.svc_l),
        "height_cm": text(record.height_cm),
        "equation": record.equation,
        "ethnicity": record.ethnicity or "",
    }


def _spirometry_page(
    request: Request,
    db: Database,
    actor: Actor,
    patient_id: int,
    form: Form,
    *,
    checked: SpirometryPreview | None = None,
    correcting: SpirometryOut | None = None,
    current: SpirometryOut | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        db,
        actor,
        "spirometry_form.html",
        {
            "patient_id": patient_id,
            "study_id": _study_id(db, actor, patient_id),
            "form": form,
            "checked": checked,
            "positions": POSITIONS,
            "equations": EQUATIONS,
            "ethnicities": tuple(ETHNICITIES),
            "correcting": correcting,
            "current": current,
        },
        status_code=status_code,
    )


def _spirometry_submit(
    request: Request,
    db: Database,
    actor: Actor,
    patient_id: int,
    correcting: SpirometryOut | None,
) -> Response:
    """Check (show the %-predicted, store nothing) or save, as the button pressed says."""
    form = Form(form_of(request))
    read = _correction_reason(form) if correcting is not None else None
    data = _spirometry_input(form)
    checked = current = None
    status = 422
    if data is not None:
        try:
            if form.values.get("action") == "check":
                checked, status = assessments.preview_spirometry(db, actor, patient_id, data), 200
            elif correcting is None:
                records.add(db, actor, SPIROMETRY, patient_id, data)
                return _to_patient(patient_id)
            elif read is not None:
                version, reason = read
                correction = records.Correction[SpirometryIn](
                    record=data, version=version, reason=reason
                )
                records.correct(db, actor, SPIROMETRY, correcting.id, correction)
                return _to_patient(patient_id)
        except InvalidInput as exc:
            form.refuse(exc, _SPIRO_FIELDS)
        except (Conflict, StepRefused) as exc:
            if correcting is None or read is None:
                raise
            correcting = _spirometry_record(db, actor, patient_id, correcting.id)
            current = _changed(db, actor, SPIROMETRY, correcting, read[0], form, exc)
            status = 409
    return _spirometry_page(
        request,
        db,
        actor,
        patient_id,
        form,
        checked=checked,
        correcting=correcting,
        current=current,
        status_code=status,
    )


@router.get(
    "/patients/{patient_id}/spirometry/new",
    response_class=HTMLResponse,
    name="clinic_spirometry_new",
    openapi_extra=WRITE,
)
def spirometry_new(request: Request, db: DB, actor: PageActor, patient_id: Id) -> HTMLResponse:
    values = {
        "assessed_on": today().isoformat(),
        "assessed_by": actor.display_name,
        "position": "upright",
        "equation": get_settings().spirometry_equation,
    }
    return _spirometry_page(request, db, actor, patient_id, Form(values))


@router.post(
    "/patients/{patient_id}/spirometry/new",
    response_class=HTMLResponse,
    name="clinic_spirometry_add",
    openapi_extra=WRITE,
)
def spirometry_add(request: Request, db: DB, actor: PageActor, patient_id: Id) -> Response:
    return _spirometry_submit(request, db, actor, patient_id, None)


@router.get(
    "/patients/{patient_id}/spirometry/{record_id}/correct",
    response_class=HTMLResponse,
    name="clinic_spirometry_correct_form",
    openapi_extra=WRITE,
)
def spirometry_correct_form(
    request: Request, db: DB, actor: PageActor, patient_id: Id, record_id: Id
) -> HTMLResponse:
    record = _spirometry_record(db, actor, patient_id, record_id)
    form = Form(_spirometry_values(record) | {"version": str(record.version)})
    current = _not_current(db, actor, SPIROMETRY, record, form)
    return _spirometry_page(
        request, db, actor, patient_id, form, correcting=record, current=current
    )


@router.post(
    "/patients/{patient_id}/spirometry/{record_id}/correct",
    response_class=HTMLResponse,
    name="clinic_spirometry_correct",
    openapi_extra=WRITE,
)
def spirometry_correct(
    request: Request, db: DB, actor: PageActor, patient_id: Id, record_id: Id
) -> Response:
    record = _spirometry_record(db, actor, patient_id, record_id)
    return _spirometry_submit(request, db, actor, patient_id, record)


# --- the other instruments (Modified Ashworth, symptom ratings, a program's own) ----------


def other_instruments() -> dict[str, Instrument]:
    """The instruments with a form of their own here: all but ALSFRS-R, which has its own."""
    return {code: i for code, i in builtin_instruments().items() if code != ALSFRS_R}


def _instrument_named(code: str) -> Instrument:
    found = other_instruments().get(code)
    if found is None:
        raise NotFound(f"No instrument {code!r} has a form here.")
    return found


def _instrument_input(form: Form, instrument: Instrument) -> InstrumentAssessmentIn | None:
    """An item left "not assessed" is not sent: the service takes the items answered."""
    on = _date(form)
    responses = {i.key: form.values[i.key] for i in instrument.items if form.values.get(i.key)}
    if on is None:
        return None
    try:
        return InstrumentAssessmentIn(
            instrument=instrument.code,
            assessed_on=on,
            assessed_by=form.values.get("assessed_by", "").strip(),
            responses=responses,
        )
    except ValidationError as exc:
        form.refuse_model(exc, {"assessed_on", "assessed_by", "responses"})
        return None


def _instrument_page(
    request: Request,
    db: Database,
    actor: Actor,
    patient_id: int,
    instrument: Instrument,
    form: Form,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "patient_id": patient_id,
        "study_id": _study_id(db, actor, patient_id),
        "instrument": instrument,
        "form": form,
    }
    return render(request, db, actor, "instrument_form.html", context, status_code=status_code)


@router.get(
    "/patients/{patient_id}/instruments",
    response_class=HTMLResponse,
    name="clinic_instruments",
    openapi_extra=WRITE,
)
def instrument_choice(request: Request, db: DB, actor: PageActor, patient_id: Id) -> HTMLResponse:
    context = {
        "patient_id": patient_id,
        "study_id": _study_id(db, actor, patient_id),
        "instruments": list(other_instruments().values()),
    }
    return render(request, db, actor, "instrument_choice.html", context)


@router.get(
    "/patients/{patient_id}/instruments/{code}/new",
    response_class=HTMLResponse,
    name="clinic_instrument_new",
    openapi_extra=WRITE,
)
def instrument_new(
    request: Request, db: DB, actor: PageActor, patient_id: Id, code: Code
) -> HTMLResponse:
    instrument = _instrument_named(code)
    values = {"assessed_on": today().isoformat(), "assessed_by": actor.display_name}
    return _instrument_page(request, db, actor, patient_id, instrument, Form(values))


@router.post(
    "/patients/{patient_id}/instruments/{code}/new",
    response_class=HTMLResponse,
    name="clinic_instrument_add",
    openapi_extra=WRITE,
)
def instrument_add(
    request: Request, db: DB, actor: PageActor, patient_id: Id, code: Code
) -> Response:
    instrument = _instrument_named(code)
    form = Form(form_of(request))
    data = _instrument_input(form, instrument)
    if data is not None:
        try:
            records.add(db, actor, INSTRUMENT_ASSESSMENT, patient_id, data)
            return _to_patient(patient_id)
        except InvalidInput as exc:
            known = {i.key for i in instrument.items} | {"assessed_on", "assessed_by", "responses"}
            form.refuse(exc, known)
    return _instrument_page(request, db, actor, patient_id, instrument, form, status_code=422)


# --- one record by itself (the superseded one a correction links to) ------------------------


@router.get(
    "/patients/{patient_id}/alsfrs-r/{record_id}",
    response_class=HTMLResponse,
    name="clinic_alsfrs_record",
    openapi_extra=READ,
)
def alsfrs_record(
    request: Request, db: DB, actor: PageActor, patient_id: Id, record_id: Id
) -> HTMLResponse:
    record = _alsfrs_record(db, actor, patient_id, record_id)
    context = {
        "kind": "alsfrs-r",
        "record": record,
        "patient_id": patient_id,
        "study_id": _study_id(db, actor, patient_id),
        "instrument": alsfrs_instrument(),
    }
    return render(request, db, actor, "assessment_record.html", context)


@router.get(
    "/patients/{patient_id}/spirometry/{record_id}",
    response_class=HTMLResponse,
    name="clinic_spirometry_record",
    openapi_extra=READ,
)
def spirometry_record(
    request: Request, db: DB, actor: PageActor, patient_id: Id, record_id: Id
) -> HTMLResponse:
    record = _spirometry_record(db, actor, patient_id, record_id)
    context = {
        "kind": "spirometry",
        "record": record,
        "patient_id": patient_id,
        "study_id": _study_id(db, actor, patient_id),
    }
    return render(request, db, actor, "assessment_record.html", context)


# --- shared --------------------------------------------------------------------------------


def _to_patient(patient_id: int) -> RedirectResponse:
    return RedirectResponse(f"/clinic/patients/{patient_id}", status_code=303)


def _study_id(db: Database, actor: Actor, patient_id: int) -> str:
    return patients.get_patient(db, actor, patient_id).study_id


def _alsfrs_record(
    db: Database, actor: Actor, patient_id: int, record_id: int
) -> InstrumentAssessmentOut:
    record = records.get(db, actor, INSTRUMENT_ASSESSMENT, record_id)
    if record.patient_id != patient_id or record.instrument != ALSFRS_R:
        raise NotFound(f"No ALSFRS-R record {record_id} of patient {patient_id}.")
    return record


def _spirometry_record(
    db: Database, actor: Actor, patient_id: int, record_id: int
) -> SpirometryOut:
    record = records.get(db, actor, SPIROMETRY, record_id)
    if record.patient_id != patient_id:
        raise NotFound(f"No spirometry record {record_id} of patient {patient_id}.")
    return record


def _changed(
    db: Database,
    actor: Actor,
    kind: records.RecordKind[Any, Any],
    record: Any,
    version: int,
    form: Form,
    exc: AlstrackError,
) -> Any:
    """A correction refused: if the record changed since the form read it, say so and return
    the record as it stands now; else (a locked record, say) only what the service said."""
    if record.status == "current" and record.version == version:
        form.general.append(exc.message)
        return None
    form.general += [CHANGED, exc.message]
    return _latest(db, actor, kind, record)


def _not_current(
    db: Database, actor: Actor, kind: records.RecordKind[Any, Any], record: Any, form: Form
) -> Any:
    """For a record that is no longer current, what to say and the record as it stands now."""
    if record.status == "current":
        return None
    form.general.append(
        f"This record is {record.status.replace('_', ' ')}: only the current record can be "
        "corrected."
    )
    return _latest(db, actor, kind, record)


def _latest(db: Database, actor: Actor, kind: records.RecordKind[Any, Any], record: Any) -> Any:
    """The record as it stands now: the end of its chain of corrections."""
    while record.superseded_by_id is not None:
        record = records.get(db, actor, kind, record.superseded_by_id)
    return record
