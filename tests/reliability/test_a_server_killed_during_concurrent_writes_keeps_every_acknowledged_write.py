"""A server killed with SIGKILL in the middle of concurrent writes loses no acknowledged write and
leaves nothing half-written.

`alstrack serve` runs in a subprocess over the test database, with two worker processes.
Writer threads register patients (patient, identity, ALS history), add assessments and correct
one assessment again and again, noting every write acknowledged (2xx with its id). Once enough
are acknowledged every process of the server is killed mid-stream. Then the database is opened
again: every acknowledged write is there as sent; every record has its audit entry and every
entry its record; corrections form an unbroken chain; SQLite's integrity check and PostgreSQL's
amcheck find nothing; `alstrack audit verify` exits 0.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from served import ALSTRACK, serving
from sqlalchemy import Connection, text

from alstrack.services import records
from alstrack.services.assessments import INSTRUMENT_ASSESSMENT

APPENDERS = 5
REGISTRARS = 2
CORRECTORS = 2
KILL_AFTER = 60  # acknowledged writes before the kill
KILL_DEADLINE = 30.0  # seconds: kill then in any case
ITEMS = {f"q{i}": 3 for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12)} | {"q5a": 3}
FIRST_DAY = date(2023, 2, 1)


@dataclass
class Acknowledged:
    """Writes the server answered 2xx, by kind: id → what was sent."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    assessments: dict[int, str] = field(default_factory=dict)  # id → assessed_by
    patients: dict[int, str] = field(default_factory=dict)  # id → given name
    corrections: dict[int, str] = field(default_factory=dict)  # id → assessed_by
    conflicts: int = 0
    cut_off: int = 0  # requests in flight when the server died: their outcome is unknown
    refused: int = 0  # writers whose next request found no server

    def count(self) -> int:
        return len(self.assessments) + len(self.patients) + len(self.corrections)


def _assessment(day: date, by: str) -> dict[str, Any]:
    return {
        "instrument": "alsfrs_r",
        "assessed_on": day.isoformat(),
        "assessed_by": by,
        "responses": ITEMS,
    }


def _writers(
    url: str, token: str, pat: Any, site_id: int, first_id: int, done: Acknowledged
) -> list[Callable[[], None]]:
    def client() -> httpx2.Client:
        return httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=20)

    def appender(index: int) -> None:
        with client() as http:
            for n in range(400):
                by = f"Appender {index}.{n}"
                day = FIRST_DAY + timedelta(days=n * APPENDERS + index)
                answer = http.post(f"/patients/{pat.id}/assessments", json=_assessment(day, by))
                assert answer.status_code == 201, answer.text
                with done.lock:
                    done.assessments[answer.json()["id"]] = by

    def registrar(index: int) -> None:
        with client() as http:
            for n in range(400):
                name = f"Killtest{index}x{n}"
                answer = http.post(
                    "/patients",
                    json={
                        "site_id": site_id,
                        "sex": "female",
                        "identity": {
                            "given_name": name,
                            "family_name": "Doe",
                            "date_of_birth": "1960-05-01",
                            "record_number": f"MRN-{index}-{n}",
                        },
                        "history": {"onset_date": "2024-01-10", "onset_region": "bulbar"},
                    },
                )
                assert answer.status_code == 201, answer.text
                with done.lock:
                    done.patients[answer.json()["id"]] = name

    def corrector(index: int) -> None:
        with client() as http:
            for n in range(400):
                current = http.get(f"/patients/{pat.id}/assessments").json()
                seen = next(r for r in current if r["id"] == first_id or r["supersedes_id"])
                by = f"Corrector {index}.{n}"
                answer = http.post(
                    f"/assessments/{seen['id']}/corrections",
                    json={
                        "record": _assessment(FIRST_DAY, by),
                        "version": seen["version"],
                        "reason": f"Correction {index}.{n}",
                    },
                )
                assert answer.status_code in (201, 409), answer.text
                with done.lock:
                    if answer.status_code == 201:
                        done.corrections[answer.json()["id"]] = by
                    else:
                        done.conflicts += 1

    def until_killed(work: Callable[[int], None], index: int) -> Callable[[], None]:
        def run() -> None:
            try:
                work(index)
            except httpx2.ConnectError:
                with done.lock:
                    done.refused += 1
            except httpx2.TransportError:
                with done.lock:
                    done.cut_off += 1

        return run

    return (
        [until_killed(appender, i) for i in range(APPENDERS)]
        + [until_killed(registrar, i) for i in range(REGISTRARS)]
        + [until_killed(corrector, i) for i in range(CORRECTORS)]
    )


def _rows(conn: Connection, sql: str) -> list[Any]:
    return list(conn.execute(text(sql)).all())


def _check_records_and_trail(conn: Connection, first_id: int, done: Acknowledged) -> None:
    stored = dict(_rows(conn, "SELECT id, assessed_by FROM instrument_assessments"))
    for made in (done.assessments, done.corrections):
        assert {i: stored.get(i) for i in made} == made
    names = dict(
        _rows(
            conn,
            "SELECT p.id, i.given_name FROM patients p "
            "JOIN patient_identities i ON i.patient_id = p.id "
            "JOIN als_histories h ON h.patient_id = p.id",
        )
    )
    assert {i: names.get(i) for i in done.patients} == done.patients
    # Each record with its audit entry, each entry with its record: nothing half-written.
    created = _rows(
        conn,
        "SELECT entity, entity_id FROM audit_log WHERE action IN ('create', 'correct') "
        "AND entity IN ('instrument_assessment', 'patient', 'patient_identity', 'als_history')",
    )
    assert sorted(created) == sorted(
        [("instrument_assessment", str(i)) for i in stored]
        + [
            (entity, str(i))
            for (i,) in _rows(conn, "SELECT id FROM patients")
            for entity in ("patient", "patient_identity", "als_history")
        ]
    )
    # The corrections form one chain from the first record to the one current record.
    chain = {
        row[0]: row[1:]
        for row in _rows(
            conn,
            "SELECT id, status, supersedes_id, superseded_by_id FROM instrument_assessments "
            f"WHERE id = {first_id} OR supersedes_id IS NOT NULL",
        )
    }
    superseded = [i for i, (status, _, _) in chain.items() if status == "superseded"]
    assert [s for s, _, _ in chain.values()].count("current") == 1
    for old in superseded:
        new = chain[old][2]
        assert chain[new][1] == old
    supersessions = _rows(
        conn,
        "SELECT entity_id FROM audit_log WHERE action = 'supersede' "
        "AND entity = 'instrument_assessment'",
    )
    assert sorted(int(i) for (i,) in supersessions) == sorted(superseded)


def _check_storage(conn: Connection) -> str:
    """The database's own consistency checks; what was checked, for the figures."""
    if conn.dialect.name == "sqlite":
        assert _rows(conn, "PRAGMA integrity_check") == [("ok",)]
        assert _rows(conn, "PRAGMA foreign_key_check") == []
        return "PRAGMA integrity_check ok, foreign_key_check empty"
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS amcheck"))
    indexes = _rows(
        conn,
        "SELECT c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam "
        "WHERE n.nspname = 'public' AND a.amname = 'btree'",
    )
    for (oid,) in indexes:
        conn.execute(text("SELECT bt_index_check(:oid, true)"), {"oid": oid})
    tables = _rows(
        conn, "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r'",
    )  # fmt: skip
    for (oid,) in tables:
        assert _rows(conn, f"SELECT * FROM verify_heapam({oid})") == []
    return f"amcheck: {len(indexes)} indexes (heapallindexed), {len(tables)} tables verify_heapam"


@pytest.mark.slow
def test_a_server_killed_during_concurrent_writes_keeps_every_acknowledged_write(
    clinic: Any,
    pat: Any,
    alsfrs: Any,
    tmp_path: Path,
    record_property: Callable[[str, object], None],
) -> None:
    first = records.add(
        clinic.db, clinic["alice"], INSTRUMENT_ASSESSMENT, pat.id, alsfrs(FIRST_DAY)
    )
    done = Acknowledged()
    with serving(clinic.db.url, tmp_path / "server.log") as server:
        writers = _writers(
            server.url, clinic.tokens["alice"], pat, clinic.sites["NORTH"], first.id, done
        )
        threads = [threading.Thread(target=w) for w in writers]
        for t in threads:
            t.start()
        deadline = time.monotonic() + KILL_DEADLINE
        while done.count() < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
    assert done.count() >= KILL_AFTER
    assert done.cut_off + done.refused == APPENDERS + REGISTRARS + CORRECTORS
    assert done.cut_off >= 1  # the kill landed in the middle of requests

    clinic.db.dispose()  # connections opened before the kill: start afresh
    with clinic.db.connection() as conn:
        _check_records_and_trail(conn, first.id, done)
    with clinic.db.engine.connect() as conn:
        checked = _check_storage(conn)
        conn.commit()
    verified = subprocess.run(
        [str(ALSTRACK), "audit", "verify"],
        env=os.environ | {"ALSTRACK_DATABASE_URL": clinic.db.url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    record_property(
        "figures",
        f"kill [{clinic.db.dialect}]: {done.count()} writes acknowledged before SIGKILL "
        f"({len(done.assessments)} assessments, {len(done.patients)} registrations, "
        f"{len(done.corrections)} corrections; {done.conflicts} corrections refused 409), "
        f"{done.cut_off} requests cut off in flight; {checked}; "
        f"audit verify: {' '.join(verified.stdout.split())}",
    )
