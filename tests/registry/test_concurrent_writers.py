"""Writers that race on one patient or one site each see the other's committed change."""

from __future__ import annotations

import threading
from datetime import date

from alstrack.errors import InvalidInput
from alstrack.services import patients, records
from alstrack.services.milestones import MILESTONE, MilestoneIn
from alstrack.services.patients import PatientIn


def _race(n: int, work) -> tuple[int, list[BaseException]]:
    done: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
            done.append(1)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(done), errors


def test_sixteen_concurrent_deaths_store_exactly_one(clinic, pat) -> None:
    death = MilestoneIn(kind="death", occurred_on=date(2024, 6, 1))
    stored, errors = _race(
        16, lambda: records.add(clinic.db, clinic["alice"], MILESTONE, pat.id, death)
    )
    assert stored == 1
    assert all(isinstance(e, InvalidInput) for e in errors)
    assert len(records.list_for_patient(clinic.db, clinic["alice"], MILESTONE, pat.id)) == 1


def test_sixteen_concurrent_registrations_get_sixteen_study_numbers(clinic) -> None:
    site = PatientIn(site_id=clinic.sites["NORTH"])
    stored, errors = _race(16, lambda: patients.register_patient(clinic.db, clinic["alice"], site))
    assert (stored, errors) == (16, [])
    total, listed = patients.list_patients(
        clinic.db, clinic["alice"], site_id=clinic.sites["NORTH"]
    )
    assert total == 16
    assert len({p.study_id for p in listed}) == 16
