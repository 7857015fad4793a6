"""Writers appending at the same moment queue for the chain's head: one chain, no fork, nothing
refused (PostgreSQL serialises them with an advisory lock; SQLite's writer holds its lock)."""

from __future__ import annotations

import threading
from datetime import date

from alstrack.services import patients, records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT
from alstrack.services.patients import PatientIn

THREADS = 8
VISITS = 6


def test_eight_threads_writing_assessments_beside_an_import_leave_a_verifying_chain(
    clinic, alsfrs, verify, entries
) -> None:
    north = PatientIn(site_id=clinic.sites["NORTH"])
    people = [patients.register_patient(clinic.db, clinic["alice"], north).id for _ in range(9)]
    before = len(entries())
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS + 2)

    def write(patient_id: int) -> None:
        try:
            start.wait()
            for day in range(1, VISITS + 1):
                form = alsfrs(date(2024, 4, day))
                records.add(clinic.db, clinic["chen"], INSTRUMENT_ASSESSMENT, patient_id, form)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    def load() -> None:
        try:
            start.wait()
            for month in (5, 6, 7):
                visits = [(people[-1], alsfrs(date(2024, month, d))) for d in range(1, 11)]
                records.add_many(clinic.db, clinic.system, INSTRUMENT_ASSESSMENT, visits)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(pid,)) for pid in people[:THREADS]]
    threads.append(threading.Thread(target=load))
    for t in threads:
        t.start()
    start.wait()
    for t in threads:
        t.join()

    assert errors == []
    stored = entries()
    assert len(stored) == before + THREADS * VISITS + 30
    assert len({e.prev_hash for e in stored}) == len(stored)  # no two entries follow the same one
    report = verify()
    assert (report.intact, report.verified) == (True, len(stored))
