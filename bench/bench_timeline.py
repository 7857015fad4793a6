"""Latency of the patient timeline endpoint under 8 concurrent clients, beside `/health`.

Target: p99 of `GET /patients/{id}/timeline` at most 25 ms with 10,000 patients and about 100,000
assessments stored (ALSFRS-R, spirometry, weight), served by `alstrack serve` itself with its
default processes (one per CPU core, at most 4). The clients are wrk (Debian's package; `make
bench` installs it): 8 keep-alive connections over loopback in a closed loop, each sending its
next request when the answer to the last has come. `/health` is measured first, then the
timelines of random patients, each for 20 s after a 10 s warm-up (a process's first requests
build what it keeps: the routes' state, SQLAlchemy's compiled statements, SQLite's page cache).
`timeline_server_cpu_ms` is the CPU time of the server's processes per timeline request (from
/proc, so on Linux only): steadier than the latencies when other work shares the machine.
Run: .venv/bin/python -m bench.bench_timeline [patients]
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
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
QUICK: dict[str, Any] = {"patients": 40, "assessments": 400, "seconds": 1, "warmup_seconds": 1}
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

**Spreading the clients** (2026-11-27, a machine with another CPU). Single runs still ranged
from 21.6 to 29.1 ms. Two causes, each measured. (1) The client: Python threads took about
0.4 ms of CPU a request from the 2 cores the server uses, and a thread waiting for the client's
GIL counted that wait as latency; the clients are now wrk, a C program on one thread. (2) The
8 connections are opened at once and each stays with the process that accepted it; whichever
process woke first took most of them (`ss` counted 5/3, 6/2 and 6/2 over three runs), and the
clients of the busier process waited about three times as long. With wrk alone, p99 was
23.8-30.9 ms over those runs (p50 10.4-14.2). `alstrack serve` with several processes now
closes each keep-alive connection after 100 requests (`ALSTRACK_KEEPALIVE_REQUESTS`, as nginx's
`keepalive_requests`; api/connections.py): the client reconnects, and a process free at that
moment accepts. Three runs on the same data: p99 17.2, 18.4 and 18.6 ms, p50 8.1-8.7 ms, about
930 requests a second (was 600-830). More processes than cores did not help: 4 gave p99
24.8-29.1 ms, 8 gave 31.9-34.9 ms (the kernel's time-slicing lengthens every request).

**The machine's own speed moves p99.** Later the same day, the full `make bench` measured p99
27.1 ms at 2.92 ms of server CPU a request, and bench_timeline alone, minutes after, 23.0 ms at
2.48 ms; /health answered 3,140 and 4,723 requests a second in those runs. With 8 clients on 2
cores, p50 is about 4 × the CPU a request and p99 about twice p50, so the target holds with a
margin only below about 2.2 ms a request. What is left of that (py-spy): ALSFRS-R presentation
and scoring about a fifth (numpy arrays for a handful of visits), the JSON encoding 9%, the
token check 4%, the framework's routing and middleware most of the rest.
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

# wrk reads a Lua script: the paths in turn, the token on every request, and at the end one line
# with the counts and the latency percentiles (wrk keeps them in microseconds).
WRK_SCRIPT = """
local paths = {%s}
local i = 0
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%.3f %%.3f %%.3f\\n", summary.requests,
    e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


@dataclass(frozen=True)
class Load:
    """What wrk measured over one phase."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: `make bench` installs Debian's package wrk")
    return found


def drive(port: int, paths: Sequence[str], token: str, seconds: float) -> Load:
    """CLIENTS keep-alive connections sending ``paths`` in turn for ``seconds``, each waiting
    for its answer before the next (a closed loop), from wrk: a C load generator on one thread,
    so that the clients take little of the CPU the server shares with them."""
    quoted = ",".join(f'"{p}"' for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT % (quoted, token))
        script.flush()
        command = [wrk_path(), "--threads", "1", "--connections", str(CLIENTS),
                   "--duration", f"{seconds:g}s", "--timeout", "30s", "--script", script.name,
                   f"http://127.0.0.1:{port}"]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {done.stdout} {done.stderr}")
    count, broken, refused, p50, p95, p99 = line.split()[1:]
    if int(broken) or int(refused):
        raise RuntimeError(
            f"{broken} requests failed and {refused} were answered with an error status"
        )
    return Load(int(count), min(elapsed, seconds), float(p50), float(p95), float(p99))


def _percentiles(prefix: str, load: Load) -> dict[str, float]:
    return {f"{prefix}_p50_ms": load.p50_ms, f"{prefix}_p95_ms": load.p95_ms,
            f"{prefix}_p99_ms": load.p99_ms}  # fmt: skip


def run(
    patients: int = 10_000,
    assessments: int = 100_000,
    seconds: float = 20.0,
    warmup_seconds: float = 10.0,
) -> dict[str, float]:
    """Load the clinic, serve it, then measure /health and then timelines for ``seconds`` each,
    each after ``warmup_seconds`` of the same requests."""
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as folder:
        clinic = build_clinic(Path(folder) / "timeline.db", patients)
        stored = load_records(clinic, assessments)
        token = add_reader(clinic)
        clinic.db.dispose()
        ids = [pid for pid, _ in clinic.patients]
        proc, port = _start_server(clinic.db.url)
        try:
            drive(port, ["/health"], token, warmup_seconds)
            health = drive(port, ["/health"], token, seconds)
            timeline = [f"/patients/{pid}/timeline" for pid in rng.choice(ids, 20_000)]
            drive(port, timeline[::-1], token, warmup_seconds)
            cpu_before = _cpu_seconds(proc.pid)
            timelines = drive(port, timeline, token, seconds)
            cpu_after = _cpu_seconds(proc.pid)
        finally:
            _stop_server(proc)
    result = {
        "patients": float(patients),
        "assessments": float(stored),
        "clients": float(CLIENTS),
        "seconds": seconds,
        "warmup_seconds": warmup_seconds,
        **_percentiles("health", health),
        "health_requests_per_second": health.requests / health.seconds,
        **_percentiles("timeline", timelines),
        "timeline_requests": float(timelines.requests),
        "timeline_requests_per_second": timelines.requests / timelines.seconds,
    }
    if cpu_before is not None and cpu_after is not None:
        result["timeline_server_cpu_ms"] = (cpu_after - cpu_before) * 1000 / timelines.requests
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
    result = run(patients, assessments=10 * patients)
    for key, value in result.items():
        print(f"{key}: {value:,.2f}")


if __name__ == "__main__":
    main()
