"""A user sees only the records of their own sites: another site's record answers 404, and no
list, search, report or export names another site's patients.

The synthetic demo clinic (two sites, a patient treated at one of them) is loaded, and two
coordinators join who each work at one site only. Every GET operation of the OpenAPI document is
called: with a record of the other site in its path it answers 404 (never the record); without a
path value (lists, search, reports, exports) its answer names no study id, no product DIN and no
patient id of the other site.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from alstrack.api.app import create_app
from alstrack.config import Settings, get_settings
from alstrack.services import demo, users
from alstrack.services.users import UserIn
from alstrack.store.models import (
    AdjunctSession,
    Administration,
    AdverseEvent,
    BodyMeasurement,
    DrugCourse,
    FollowUpVisit,
    InstrumentAssessment,
    Milestone,
    Patient,
    PatientConsent,
    PretreatmentEvaluation,
    Product,
    Screening,
    Site,
    SpirometryTest,
    TreatmentPlan,
)

DAY = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SITES = ("DEMON", "DEMOS")
# A path's record, by the name of its parameter (and, for {record_id}, the collection before it).
BY_PARAMETER: dict[str, Any] = {
    "patient_id": Patient,
    "plan_id": TreatmentPlan,
    "screening_id": Screening,
    "visit_id": FollowUpVisit,
    "session_id": AdjunctSession,
    "event_id": AdverseEvent,
    "consent_id": PatientConsent,
}
BY_COLLECTION: dict[str, Any] = {
    "assessments": InstrumentAssessment,
    "spirometry": SpirometryTest,
    "body-measurements": BodyMeasurement,
    "milestones": Milestone,
    "drug-courses": DrugCourse,
    "pretreatment-evaluations": PretreatmentEvaluation,
    "consents": PatientConsent,
    "adverse-events": AdverseEvent,
}


class SiteRecords:
    """What belongs to one site: its patients' ids, study ids and products' DINs."""

    def __init__(self, session: Any, code: str) -> None:
        self.site_id: int = session.scalar(select(Site.id).where(Site.code == code))
        rows = session.execute(
            select(Patient.id, Patient.study_id).where(Patient.site_id == self.site_id)
        )
        self.patients = {pid: study for pid, study in rows}
        # Their own cells, and lots given to them or kept for them (allocated to a plan).
        given = select(Administration.product_id).where(
            Administration.patient_id.in_(self.patients)
        )
        self.dins = set(
            session.scalars(
                select(Product.din).where(
                    Product.patient_id.in_(self.patients) | Product.id.in_(given)
                )
            )
        )


@pytest.fixture
def two_sites(db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("ALSTRACK_FACILITY_ID", "G1234")  # the demo makes products only with one
    get_settings.cache_clear()
    with time_machine.travel(DAY, tick=False):
        demo.load_demo(db, users.system_actor(db), patients=60, seed=1, today=DAY.date())
    system = users.system_actor(db)
    app = create_app(Settings(), db=db)
    clients: dict[str, TestClient] = {}
    for code in SITES:
        username = f"only-{code.lower()}"
        users.create_user(
            db,
            system,
            UserIn(username=username, display_name=f"{code} coordinator", role="coordinator",
                   site_codes=[code]),
        )  # fmt: skip
        client = TestClient(app)
        client.headers["Authorization"] = f"Bearer {users.issue_token(db, system, username, 't')}"
        clients[code] = client
    with db.read() as session:
        sites = {code: SiteRecords(session, code) for code in SITES}
    assert all(s.patients for s in sites.values())
    assert any(s.dins for s in sites.values())  # a treated patient, with their product
    yield {"db": db, "clients": clients, "sites": sites}
    get_settings.cache_clear()


def _record_of(session: Any, model: Any, patients: dict[int, str]) -> int | None:
    if model is Patient:
        return min(patients)
    column = model.patient_id if hasattr(model, "patient_id") else None
    if column is None:  # a plan's visit or session: through its plan
        column = model.plan_id
        plans = select(TreatmentPlan.id).where(TreatmentPlan.patient_id.in_(patients))
        found: int | None = session.scalar(select(model.id).where(column.in_(plans)).limit(1))
        return found
    return session.scalar(select(model.id).where(column.in_(patients)).limit(1))


def _other(code: str) -> str:
    return SITES[1 - SITES.index(code)]


def test_another_sites_record_answers_404_on_every_read(two_sites: dict[str, Any]) -> None:
    db, clients, sites = two_sites["db"], two_sites["clients"], two_sites["sites"]
    schema = clients["DEMON"].get("/openapi.json").json()
    probed = 0
    with time_machine.travel(DAY, tick=False), db.read() as session:
        for path, item in schema["paths"].items():
            names = re.findall(r"\{([a-z_]+)\}", path)
            if "get" not in item or not names or path.endswith(".pdf"):
                continue
            for owner in SITES:
                url = path
                for name in names:
                    if name == "din":
                        value = next(iter(sorted(sites[owner].dins)), None)
                    elif name == "record_id":
                        model = BY_COLLECTION[path.split("/")[1]]
                        value = _record_of(session, model, sites[owner].patients)
                    elif name in BY_PARAMETER:
                        value = _record_of(session, BY_PARAMETER[name], sites[owner].patients)
                    else:
                        value = None  # not a patient's record (a site, a donor, a document)
                    if value is None:
                        break
                    url = url.replace(f"{{{name}}}", str(value))
                else:
                    mine = clients[owner].get(url)
                    assert mine.status_code == 200, (url, mine.text)
                    theirs = clients[_other(owner)].get(url)
                    assert theirs.status_code == 404, (url, theirs.status_code, theirs.text)
                    assert theirs.json()["error"]["code"] == "not_found"
                    probed += 1
    assert probed >= 25


def _leaks(text: str, site: SiteRecords) -> list[str]:
    found = [s for s in site.patients.values() if s in text]
    found += [d for d in site.dins if d in text]
    found += [
        f"patient_id {pid}"
        for pid in site.patients
        if re.search(rf'"patient_id":\s*{pid}[,}}]', text)
    ]
    return found


def test_no_list_search_report_or_export_names_another_sites_patients(
    two_sites: dict[str, Any],
) -> None:
    clients, sites = two_sites["clients"], two_sites["sites"]
    schema = clients["DEMON"].get("/openapi.json").json()
    answered = 0
    with time_machine.travel(DAY, tick=False):
        for path, item in schema["paths"].items():
            if "get" not in item or "{" in path or path.endswith(".pdf"):
                continue
            for code in SITES:
                answer = clients[code].get(path)
                if answer.status_code != 200:
                    continue  # refused or needs a query value: nothing shown
                assert _leaks(answer.text, sites[_other(code)]) == [], path
                answered += 1
        # The patient list, filtered to the other site, shows none of its patients.
        for code in SITES:
            assert _other(code) not in {s["code"] for s in clients[code].get("/sites").json()}
            other_id = sites[_other(code)].site_id
            listed = clients[code].get("/patients", params={"site_id": other_id})
            assert listed.status_code in (200, 404)
            if listed.status_code == 200:
                assert listed.json()["items"] == []
    assert answered >= 20


def test_each_user_still_sees_their_own_sites_patients(two_sites: dict[str, Any]) -> None:
    clients, sites = two_sites["clients"], two_sites["sites"]
    for code in SITES:
        page = clients[code].get("/patients", params={"limit": 1000}).json()
        assert {p["id"] for p in page["items"]} == set(sites[code].patients)
