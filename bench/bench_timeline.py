"""Latency of the patient timeline endpoint under 8 concurrent clients, beside `/health`.

Target: p99 of `GET /patients/{id}/timeline` at most 25 ms with 10,000 patients and about 100,000
assessments stored (ALSFRS-R, spirometry, weight), served by `alstrack serve` itself with its
default processes (one per CPU core, at most 4). Clients are threads on keep-alive `http.client`
connections over loopback; `/health` is measured first, then the timeline of random patients, each
after a warm-up. `timeline_server_cpu_ms` is the CPU time of the server's processes per timeline
request (from /proc, so on Linux only): steadier than the latencies when other work shares the
machine.
Run: .venv/bin/python -m bench.bench_timeline [patients]
"""

from __future__ import annotations

import http.client
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alstrack.analysis.synthetic import SyntheticPatient
from alstrack.domain import spirometry
from alstrack.services import records
from alstrack.services.assessments import (
    BODY_MEASUREMENT,
    INSTRUMENT_ASSESSMENT,
    SPIROMETRY,
    BodyMeasurementIn,
    InstrumentAssessmentIn,
    SpirometryIn,
    age_years,
)
from alstrack.services.milestones import DRUG_COURSE, MILESTONE, DrugCourseIn, MilestoneIn
from bench.dataset import Clinic, add_reader, build_clinic
from bench.targets import Target

TARGETS = (Target("timeline p99 at 8 clients", "timeline_p99_ms", "<=", 25.0, " ms"),)
QUICK: dict[str, Any] = {"patients": 40, "assessments": 400, "requests": 160}
NOTES = """
**Where the time goes.** The server's processes answer 8 clients in a closed loop, so a request
waits for the ones ahead of it: with one process p50 is about 8 × the server's time per request, and
p99 adds whatever else runs on the machine. Of that time (py-spy samples of the server, about 15
events a timeline): building the timeline about 45%, half of it presenting the records
(services/assessments.py; ALSFRS-R is scored through numpy arrays in domain/alsfrs.py, about 0.3 ms
for a handful of visits) and a third the queries and the session; the token check 12%
(services/users.py, two queries through the ORM session); FastAPI, Starlette and uvicorn about 35%
(routing, dependencies, the socket write, the access log); JSON encoding 5%.

**What changed** since the timeline gained the pathway's events as six more ORM queries a
request (server CPU 5.1 ms a request, p99 57 ms under load). (1) One query reads the patient,
their ALS history and the context the records are presented with (it extends
records.patient_context's own statement), and asks with `EXISTS` whether each pathway table has
rows for the patient: a table without is not queried. The benchmark's patients are untreated
natural history, so their timelines skip all six; a treated patient pays one query per kind of
record they have. This was chosen over one `UNION ALL` of the six because it costs pathway-free
patients nothing and keeps each kind's query as it was; those statements are now built once at
import, like the registry's. (2) The statements run in Core on the session's connection instead
of through `Session.execute` (about 55 µs less each). (3) With one request thread (SQLite's
default) the route builds the timeline on the event loop while holding that thread's token of
the thread limiter, as a sync route would: still one request at a time, first come first served,
without the hop to the worker thread and back (0.6–0.7 ms of CPU a request, about a fifth).
Without the token the loop served whole batches of waiting requests at once: p50 fell to 19 ms
but p95 doubled to 38 ms. PostgreSQL (8 threads) keeps the thread pool. The timeline service
alone, in process: 3.5 → 1.3 ms; the server's CPU: 5.1 → 2.7 ms a request. Tried and left:
SQLite `cache_size` 64 MiB with `mmap_size` 256 MiB (about 2% less CPU, within the noise, for up
to 64 MiB more per pooled connection); `model_construct` for the events (no faster).

**The check of every request's text** (api/text.py: no NUL, no unpaired surrogate) was first a
dependency of every route that read the body, a GET's included: server CPU rose from 1.9 to
3.2 ms a request and p99 to 42-45 ms. As an ASGI middleware that reads only the bodies of
methods that have one, and parses the path and query only when they hold a `%00`, it costs
about 0.2 ms (2.1 ms a request, measured alternately with and without it).

**Processes.** Until 2026-11-27 `alstrack serve` ran one process, and the target was missed:
with a quiet machine, p50 30.5 ms and p99 41.9 ms at 3.8 ms of server CPU a request (p99 was
about 1.2-1.4 × p50, so one process would need under about 2 ms a request). The code that is
left is mostly not the timeline's own (the token check, the record presenters and ALSFRS-R
scoring, the framework: above). `alstrack serve` now starts one process per CPU core (at most
4; `--workers`, `ALSTRACK_WORKERS`), which is how such a server is deployed; nothing is kept in
a process that another needs (sessions, lockouts and the audit chain are in the database, whose
write lock orders the writers), and the SIGKILL test of docs/reliability.md runs two. On the
same machine, back to back: p50 12.5 ms, p99 21.6 ms, 613 requests a second (was 265), at
about the same CPU a request. The 8 client threads share the 2 cores with the server.
"""
ROOT = Path(__file__).resolve().parent.parent
ALSTRACK = Path(sys.executable).with_name("alstrack")
CLIENTS = 8
RATER = "Dr Wei Chen (synthetic)"
# Patients per add_many call while loading: one transaction each.
LOAD_BATCH = 1_000


def _visit_budget(patients: Sequence[SyntheticPatient], assessments: int) -> list[int]:
    """How many of each patient's visits to keep so that 3 records a visit make ~``assessments``."""
    total = sum(len(p.visits) for p in patients) or 1
    share = assessments / 3 / total
    return [min(len(p.visits), max(1, round(len(p.visits) * share))) for p in patients]


def load_records(clinic: Clinic, assessments: int) -> int:
    """Drug courses, milestones and visits through `records.add_many`; the assessments stored."""
    keep = _visit_budget([sp for _, sp in clinic.patients], assessments)
    stored = 0
    for start in range(0, len(clinic.patients), LOAD_BATCH):
        batch = list(zip(clinic.patients[start:start + LOAD_BATCH],
                         keep[start:start + LOAD_BATCH], strict=True))  # fmt: skip
        stored += _load_batch(clinic, batch)
    return stored


def _load_batch(clinic: Clinic, batch: list[tuple[tuple[int, SyntheticPatient], int]]) -> int:
    db, actor = clinic.db, clinic.system
    records.add_many(db, actor, DRUG_COURSE, [
        (pid, DrugCourseIn.model_validate({"drug": d, "start_date": s, "stop_date": e}))
        for (pid, sp), _ in batch for d, s, e in sp.drugs
    ])  # fmt: skip
    records.add_many(db, actor, MILESTONE, [
        (pid, MilestoneIn.model_validate({"kind": k, "occurred_on": on}))
        for (pid, sp), _ in batch for k, on in sp.milestones
    ])  # fmt: skip
    # The first weighing (with the height) goes in first so later ones find it for their BMI.
    for first in (True, False):
        records.add_many(db, actor, BODY_MEASUREMENT, [
            (pid, BodyMeasurementIn(assessed_on=v.visit_date, assessed_by=RATER,
                                    weight_kg=v.weight_kg,
                                    height_cm=sp.height_cm if first else None))
            for (pid, sp), n in batch for v in (sp.visits[:1] if first else sp.visits[1:n])
        ])  # fmt: skip
    records.add_many(db, actor, INSTRUMENT_ASSESSMENT, [
        (pid, InstrumentAssessmentIn(instrument="alsfrs_r", assessed_on=v.visit_date,
                                     assessed_by=RATER, responses=dict(v.alsfrs_r)))
        for (pid, sp), n in batch for v in sp.visits[:n]
    ])  # fmt: skip
    records.add_many(db, actor, SPIROMETRY, [
        (pid, _spirometry(sp, v)) for (pid, sp), n in batch for v in sp.visits[:n]
    ])  # fmt: skip
    return 3 * sum(n for _, n in batch)


def _spirometry(sp: SyntheticPatient, visit: Any) -> SpirometryIn:
    predicted = spirometry.predict(
        measured_l=1.0, sex=sp.sex, age_years=age_years(sp.date_of_birth, visit.visit_date),  # type: ignore[arg-type]
        height_cm=sp.height_cm, equation="GLI-Global",
    ).predicted_l  # fmt: skip
    fvc = round(predicted * visit.fvc_percent_predicted / 100.0, 2)
    return SpirometryIn(assessed_on=visit.visit_date, assessed_by=RATER, fvc_l=fvc,
                        height_cm=sp.height_cm, equation="GLI-Global")  # fmt: skip


# --- the server -------------------------------------------------------------------------------


def _start_server(url: str) -> tuple[subprocess.Popen[bytes], int]:
    """`alstrack serve` over ``url`` with its default processes (one per core, at most 4)."""
    port = _free_port()
    env = {**os.environ, "ALSTRACK_DATABASE_URL": url}
    env.pop("ALSTRACK_WORKERS", None)
    proc = subprocess.Popen(
        [str(ALSTRACK), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the server did not answer /health within 60 s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --- the clients ------------------------------------------------------------------------------


def drive(port: int, paths: Sequence[str], headers: dict[str, str]) -> list[float]:
    """Send ``paths`` from CLIENTS keep-alive connections at once; latencies in milliseconds."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = itertools.count()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        try:
            while (i := next(counter)) < len(paths):
                started = time.perf_counter()
                conn.request("GET", paths[i], headers=headers)
                response = conn.getresponse()
                response.read()
                mine.append((time.perf_counter() - started) * 1000)
                if response.status != 200:
                    failures.append(f"{paths[i]}: {response.status}")
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies


def _percentiles(prefix: str, latencies: list[float]) -> dict[str, float]:
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    return {f"{prefix}_p50_ms": float(p50), f"{prefix}_p95_ms": float(p95),
            f"{prefix}_p99_ms": float(p99)}  # fmt: skip


def run(
    patients: int = 10_000, assessments: int = 100_000, requests: int = 4_000
) -> dict[str, float]:
    """Load the clinic, serve it, then time ``requests`` of `/health` and of timelines."""
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as folder:
        clinic = build_clinic(Path(folder) / "timeline.db", patients)
        stored = load_records(clinic, assessments)
        token = add_reader(clinic)
        clinic.db.dispose()
        ids = [pid for pid, _ in clinic.patients]
        proc, port = _start_server(clinic.db.url)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            warmup = max(CLIENTS, requests // 10)
            drive(port, ["/health"] * warmup, headers)
            health = drive(port, ["/health"] * requests, headers)
            timeline = [f"/patients/{pid}/timeline" for pid in rng.choice(ids, warmup + requests)]
            drive(port, timeline[:warmup], headers)
            cpu_before = _cpu_seconds(proc.pid)
            started = time.perf_counter()
            timelines = drive(port, timeline[warmup:], headers)
            seconds = time.perf_counter() - started
            cpu_after = _cpu_seconds(proc.pid)
        finally:
            _stop_server(proc)
    result = {
        "patients": float(patients),
        "assessments": float(stored),
        "requests": float(requests),
        "clients": float(CLIENTS),
        **_percentiles("health", health),
        **_percentiles("timeline", timelines),
        "timeline_requests_per_second": requests / seconds,
    }
    if cpu_before is not None and cpu_after is not None:
        result["timeline_server_cpu_ms"] = (cpu_after - cpu_before) * 1000 / requests
    return result


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the server has used so far, its worker processes included,
    from /proc (Linux); None elsewhere."""
    try:
        total = 0.0
        for process in (pid, *_children(pid)):
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def main() -> None:
    patients = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    result = run(patients, assessments=10 * patients, requests=min(4_000, 40 * patients))
    for key, value in result.items():
        print(f"{key}: {value:,.2f}")


if __name__ == "__main__":
    main()
