"""The demo registry's event-free survival beside the ENCALS-expected curve of the same patients."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial
from itertools import pairwise
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select

from alstrack.analysis.survival import ederer_expected, kaplan_meier
from alstrack.api.app import create_app
from alstrack.config import Settings
from alstrack.domain.prognosis import encals_model, survival
from alstrack.services import demo, users
from alstrack.services.cohort_survival import CAVEAT, event_free_survival
from alstrack.services.outcomes import prognosis_of
from alstrack.services.records import patient_context
from alstrack.services.timeline import timeline
from alstrack.services.users import UserIn
from alstrack.store.models import Patient


@pytest.fixture
def registry(db: Any) -> Any:
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        demo.load_demo(db, users.system_actor(db), patients=40, seed=3, today=date(2026, 11, 26))
    return db


def test_the_demo_registry_has_an_observed_and_an_expected_curve(registry: Any) -> None:
    actor = users.system_actor(registry)
    out = event_free_survival(registry, actor, treated_only=False)
    assert out.population == "all"
    assert out.patients + sum(out.left_out.values()) == 40
    assert out.events > 0
    assert out.observed[0].survival == 1.0
    assert all(a.survival >= b.survival for a, b in pairwise(out.observed))
    assert 0 < out.patients_with_prognosis <= out.patients
    assert out.expected[0].survival == 1.0
    assert out.expected[0].months == out.observed_with_prognosis[0].months
    assert out.caveat == CAVEAT
    assert "Status: not verified." in out.provenance


def test_the_curves_are_those_of_the_patients_own_entries_exits_and_predictions(
    registry: Any,
) -> None:
    actor = users.system_actor(registry)
    out = event_free_survival(registry, actor, treated_only=False)
    entries, exits, events, curves = [], [], [], []
    with registry.read() as session:
        patients = list(session.scalars(select(Patient).order_by(Patient.id)))
        born = {p.id: patient_context(session, p).date_of_birth for p in patients}
    for p in patients:
        shown = timeline(registry, actor, p.id)
        onset = shown.patient.history.onset_date if shown.patient.history else None
        dated = [e.date for e in shown.events if e.type not in ("symptom_onset", "diagnosis")]
        ends = [e.date for e in shown.events if e.type == "milestone"
                and e.record is not None and getattr(e.record, "kind", "") in
                {"death", "tracheostomy", "niv_over_23h"}]  # fmt: skip
        if onset is None or not dated:
            continue
        entry = (min(dated) - onset).days / 30.4375
        exit_ = ((min(ends) if ends else max(dated)) - onset).days / 30.4375
        if exit_ <= entry:
            continue
        lp = prognosis_of(shown, born[p.id]).linear_predictor
        if lp is not None:
            entries.append(entry)
            exits.append(exit_)
            events.append(bool(ends))
            curves.append(partial(survival, encals_model(), lp))
    assert len(entries) == out.patients_with_prognosis
    expected = ederer_expected(entries, exits, curves)
    assert [round(p.survival, 9) for p in out.expected] == [round(p.survival, 9) for p in expected]
    observed = kaplan_meier(exits, events, entries)
    assert [round(p.survival, 9) for p in out.observed_with_prognosis] == [
        round(p.survival, 9) for p in observed
    ]


def test_the_survival_goes_through_the_api_for_an_analyst(registry: Any) -> None:
    system = users.system_actor(registry)
    users.create_user(
        registry, system,
        UserIn(username="ann", display_name="Ann Analyst", role="data_analyst",
               site_codes=["DEMON", "DEMOS"]),
    )  # fmt: skip
    token = users.issue_token(registry, system, "ann", "tests")
    client = TestClient(create_app(Settings(), registry))
    answer = client.get(
        "/cohort/survival", params={"treated_only": "false", "site": "DEMON"},
        headers={"Authorization": f"Bearer {token}"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["site_code"] == "DEMON"
    bad = client.get(
        "/cohort/survival", params={"site": "nowhere"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert bad.status_code == 422
