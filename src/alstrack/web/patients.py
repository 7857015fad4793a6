"""The patients pages: the list of the patients the user's sites hold, and one patient's
timeline. Under /clinic/, apart from the API's /patients JSON routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from alstrack.api.deps import DB, Id, needs
from alstrack.errors import InvalidInput
from alstrack.services import timeline
from alstrack.web.deps import PageActor, PageRoute
from alstrack.web.layout import render
from alstrack.web.patient_rows import (
    KINGS_STAGES,
    STATUSES,
    Filters,
    patient_list,
    site_labels,
)

router = APIRouter(prefix="/clinic", include_in_schema=False, route_class=PageRoute)

Text = Annotated[str, Query(max_length=64)]


def _choice(value: str, allowed: tuple[str, ...], field: str) -> str | None:
    if value == "":
        return None
    if value not in allowed:
        raise InvalidInput.for_field(field, f"choose one of {', '.join(allowed)}")
    return value


@router.get(
    "/patients",
    response_class=HTMLResponse,
    name="clinic_patients",
    openapi_extra=needs("patients.read"),
)
def patient_list_page(
    request: Request,
    db: DB,
    actor: PageActor,
    q: Text = "",
    site: Text = "",
    kings: Text = "",
    status: Text = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    labels = site_labels(db, actor)
    codes = {code: site_id for site_id, code in labels.items()}
    stages = tuple(str(s) for s in KINGS_STAGES)
    site_code = _choice(site, tuple(codes), "site")
    stage = _choice(kings, stages, "kings")
    filters = Filters(
        study_id=q,
        site_id=codes[site_code] if site_code else None,
        kings_stage=int(stage) if stage else None,
        status=_choice(status, STATUSES, "status"),
        page=page,
    )
    listed = patient_list(db, actor, filters)
    query = {"q": q, "site": site, "kings": kings, "status": status}
    return render(
        request,
        db,
        actor,
        "patients.html",
        {
            "listed": listed,
            "query": query,
            "site_codes": sorted(codes),
            "stages": stages,
            "statuses": STATUSES,
            "shows_scores": actor.can("assessments.read"),
        },
    )


@router.get(
    "/patients/{patient_id}",
    response_class=HTMLResponse,
    name="clinic_patient",
    openapi_extra=needs("patients.read", "assessments.read"),
)
def patient_page(request: Request, db: DB, actor: PageActor, patient_id: Id) -> HTMLResponse:
    shown = timeline.timeline(db, actor, patient_id)
    labels = site_labels(db, actor)
    return render(
        request,
        db,
        actor,
        "patient.html",
        {
            "patient": shown.patient,
            "site": labels.get(shown.patient.site_id, ""),
            "events": shown.events,
        },
    )
