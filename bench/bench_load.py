"""Load test on PostgreSQL: 4 `alstrack serve` processes, patient timelines and ALSFRS-R writes.

The deployment of docs/deploy.md on one machine, without the proxy: a fresh PostgreSQL database
migrated by `alstrack db upgrade`, a synthetic clinic loaded through the services (2,000
patients and about 20,000 assessments by default), and `alstrack serve --workers 4` over it.
Keep-alive clients on loopback then run three phases, each after a warm-up: timelines of random
patients (8 clients), new ALSFRS-R assessments of random patients (8 clients, a coordinator's
token), and both at once (8 timeline clients, 2 writers). Each phase reports requests a second
and percentiles (p50/p95/p99; p50/p99 when mixed); the separate phases also report the CPU time
a request costs the server's processes and PostgreSQL's backends (from /proc, Linux only). No
target: figures only.
Needs PostgreSQL (ALSTRACK_BENCH_POSTGRES_URL, default the local server's `postgres` database);
the benchmark's database is created for the run and dropped after it, also on failure.
Run: .venv/bin/python -m bench.bench_load [patients]
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import psycopg
from sqlalchemy.engine import make_url

from alstrack.analysis.synthetic import SyntheticPatient, simulate_clinic
from alstrack.services import users
from alstrack.services.patients import register_patient
from alstrack.services.sites import SiteIn, create_site
from alstrack.services.users import UserIn
from alstrack.store.db import Database
from bench import dataset
from bench.bench_timeline import RATER, _cpu_seconds, _free_port, load_records
from bench.dataset import DATA_DAY, SITES, Clinic, add_reader
from bench.targets import Target

# The issue asks for figures, not a promise: nothing here passes or fails.
TARGETS: tuple[Target, ...] = ()
QUICK: dict[str, Any] = {"patients": 40, "assessments": 400, "requests": 160, "writes": 80}
NOTES = """
**What is measured, and on what.** Everything runs on one machine: PostgreSQL, the four server
processes (`alstrack serve --workers 4`, 8 request threads each, PostgreSQL's default) and the
client threads (Python `http.client` on keep-alive connections, over loopback, no proxy and no
TLS). On the project's 2-core machine the clients, the server and PostgreSQL share the 2 cores,
so these figures are a floor for a deployment with the database and the proxy on machines of
their own, not a capacity figure; the CPU time per request (`*_server_cpu_ms` for alstrack's
processes, `*_postgres_cpu_ms` for the benchmark database's backends, both from /proc) is the
steadier measure of what a request costs. PostgreSQL's own background processes (WAL writer,
checkpointer) are not counted, nor is a backend that ends during a phase.

**The data.** 2,000 synthetic patients (untreated natural history, bench/dataset.py) with about
20,000 assessments stored (ALSFRS-R, spirometry and weight, a third each, as the timeline
benchmark loads them) plus their drug courses and milestones, loaded through the services into
a fresh database in well under two minutes. That is a program of a few sites over some years:
the timeline of one patient reads only that patient's rows, so its cost depends on the
patient's records more than on the size of the registry.

**The phases.** Timelines: `GET /patients/{id}/timeline` of random patients, 8 clients, a
physician's token. Writes: `POST /patients/{id}/assessments`, an ALSFRS-R of random patients
(each patient's first visit again, so the body is valid against their history), 8 clients, a
coordinator's token; each write is one transaction with its audit entry, and every writer of
the database appends to the one audit chain under a PostgreSQL advisory lock
(store/audit_chain.py), so writes are serialised at that point whatever the number of
processes, and each commits (fsync) on its own. Mixed: 8 timeline clients with 2 writers
writing until the timelines are done. The write phase's count is checked against the rows the
database holds afterwards.
"""
ROOT = Path(__file__).resolve().parent.parent
ALSTRACK = Path(sys.executable).with_name("alstrack")
ADMIN_URL = os.environ.get(
    "ALSTRACK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
WORKERS = 4
CLIENTS = 8
MIXED_WRITERS = 2
WRITER = "bench-writer"

# One request: method, path, JSON body (None for a GET).
Request = tuple[str, str, bytes | None]


# --- the database -------------------------------------------------------------------------------


def conninfo(url: str) -> str:
    """A libpq connection string from a SQLAlchemy URL (postgresql+psycopg://…)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_problem(url: str = ADMIN_URL) -> str | None:
    """Why the benchmark cannot run (no PostgreSQL answers at ``url``), or None."""
    try:
        with psycopg.connect(conninfo(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        where = make_url(url).render_as_string(hide_password=True)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"bench_load needs PostgreSQL and none answers at {where} ({reason}); start one "
            "(`make postgres`) or set ALSTRACK_BENCH_POSTGRES_URL"
        )
    return None


def database_name() -> str:
    """The benchmark's database: one per process, so that two runs never share one."""
    return f"alstrack_bench_load_{os.getpid()}"


@contextmanager
def fresh_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A new, empty database for this run (its URL); dropped on leaving, also on failure."""
    problem = postgres_problem(admin_url)
    if problem:
        raise RuntimeError(problem)
    name = database_name()
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _alstrack_env(url: str) -> dict[str, str]:
    env = {**os.environ, "ALSTRACK_DATABASE_URL": url}
    # The server's defaults for PostgreSQL (8 request threads) and the processes asked for.
    env.pop("ALSTRACK_WORKERS", None)
    env.pop("ALSTRACK_REQUEST_THREADS", None)
    return env


def migrate(url: str) -> None:
    """`alstrack db upgrade`, as a deployment migrates."""
    done = subprocess.run(
        [str(ALSTRACK), "db", "upgrade"], cwd=ROOT, env=_alstrack_env(url),
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"alstrack db upgrade failed: {done.stderr.strip()[-500:]}")


def build_pg_clinic(url: str, n_patients: int, seed: int = 7) -> Clinic:
    """bench/dataset.py's clinic on a migrated PostgreSQL database instead of a SQLite file."""
    db = Database(url)
    system = users.system_actor(db)
    site_ids = tuple(
        create_site(db, system, SiteIn(code=code, name=name, synthetic=True)).id
        for code, name in SITES
    )
    patients = []
    for index, sp in enumerate(simulate_clinic(n_patients, seed, DATA_DAY)):
        data = dataset._patient_in(site_ids[index % len(site_ids)], sp)
        patients.append((register_patient(db, system, data).id, sp))
    # No file: `path` names the database.
    return Clinic(db=db, path=Path(make_url(url).database or ""), system=system,
                  site_ids=site_ids, patients=patients)  # fmt: skip


def add_writer(clinic: Clinic) -> str:
    """A coordinator at every site (may write assessments); returns an API token for them."""
    users.create_user(
        clinic.db,
        clinic.system,
        UserIn(username=WRITER, display_name="Bench writer (synthetic)", role="coordinator",
               site_codes=[code for code, _ in SITES]),
    )  # fmt: skip
    return users.issue_token(clinic.db, clinic.system, WRITER, "load benchmark")


def _count_assessments(url: str, entered_by: str) -> int:
    query = (
        "SELECT count(*) FROM instrument_assessments a JOIN users u ON u.id = a.entered_by "
        "WHERE u.username = %s"
    )
    with psycopg.connect(conninfo(url)) as conn:
        row = conn.execute(query, (entered_by,)).fetchone()
    return int(row[0]) if row else 0


def _backend_cpu(admin_url: str, database: str) -> dict[int, float] | None:
    """CPU seconds so far of each PostgreSQL backend connected to ``database`` (/proc, Linux)."""
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        pids = [
            int(r[0])
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
        ]
    found: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue  # ended since
        except OSError:
            return None
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


# --- the server ---------------------------------------------------------------------------------


def start_server(url: str, log: IO[str]) -> tuple[subprocess.Popen[bytes], int]:
    """`alstrack serve --workers 4` over ``url`` in a session of its own; its stderr to ``log``."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(ALSTRACK), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(WORKERS)],
        cwd=ROOT, env=_alstrack_env(url), stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.flush()
            tail = Path(log.name).read_text()[-800:]
            raise RuntimeError(f"alstrack serve exited with {proc.returncode}: {tail}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return proc, port
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("alstrack serve did not answer /health within 90 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to uvicorn's parent, which stops its workers; SIGKILL to the session if it hangs."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        # The parent is not reaped yet, so its id still names our session's process group.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --- the clients --------------------------------------------------------------------------------


def drive(
    port: int,
    requests: Sequence[Request],
    headers: dict[str, str],
    clients: int = CLIENTS,
    until: threading.Event | None = None,
) -> list[float]:
    """Send ``requests`` from ``clients`` keep-alive connections at once (over and over until
    ``until`` is set, if given); latencies in milliseconds. Any answer but 200/201 fails it."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    counter = itertools.count()
    sent = {**headers, "Content-Type": "application/json"}

    def more(i: int) -> bool:
        return not until.is_set() if until is not None else i < len(requests)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        try:
            while more(i := next(counter)) and not failures:
                method, path, body = requests[i % len(requests)]
                started = time.perf_counter()
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                text = response.read()
                mine.append((time.perf_counter() - started) * 1000)
                if response.status not in (200, 201):
                    failures.append(f"{method} {path}: {response.status} {text[:300]!r}")
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return latencies


def _percentiles(prefix: str, latencies: list[float], which: Sequence[int]) -> dict[str, float]:
    values = np.percentile(latencies, list(which))
    return {f"{prefix}_p{p}_ms": float(v) for p, v in zip(which, values, strict=True)}


def _timelines(ids: Sequence[int], n: int, rng: random.Random) -> list[Request]:
    return [("GET", f"/patients/{rng.choice(ids)}/timeline", None) for _ in range(n)]


def _writes(
    patients: Sequence[tuple[int, SyntheticPatient]], n: int, rng: random.Random
) -> list[Request]:
    """New ALSFRS-R assessments: a random patient's first visit again (valid for their record)."""
    writable = [(pid, sp) for pid, sp in patients if sp.visits]
    out: list[Request] = []
    for _ in range(n):
        pid, sp = rng.choice(writable)
        visit = sp.visits[0]
        body = {"instrument": "alsfrs_r", "assessed_on": visit.visit_date.isoformat(),
                "assessed_by": RATER, "responses": dict(visit.alsfrs_r)}  # fmt: skip
        out.append(("POST", f"/patients/{pid}/assessments", json.dumps(body).encode()))
    return out


class _Meter:
    """Requests a second and CPU a request of the server's processes and the database's
    backends, over one phase."""

    def __init__(self, proc: subprocess.Popen[bytes], database: str) -> None:
        self.proc, self.database = proc, database

    def __enter__(self) -> _Meter:
        self.server = _cpu_seconds(self.proc.pid)
        self.backends = _backend_cpu(ADMIN_URL, self.database)
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        server = _cpu_seconds(self.proc.pid)
        backends = _backend_cpu(ADMIN_URL, self.database)
        self.server_cpu = None if server is None or self.server is None else server - self.server
        self.backend_cpu = (
            None
            if backends is None or self.backends is None
            else sum(cpu - self.backends.get(pid, 0.0) for pid, cpu in backends.items())
        )

    def report(self, prefix: str, requests: int) -> dict[str, float]:
        out = {f"{prefix}_requests_per_second": requests / self.seconds}
        if self.server_cpu is not None:
            out[f"{prefix}_server_cpu_ms"] = self.server_cpu * 1000 / requests
        if self.backend_cpu is not None:
            out[f"{prefix}_postgres_cpu_ms"] = self.backend_cpu * 1000 / requests
        return out


def run(
    patients: int = 2_000, assessments: int = 20_000, requests: int = 4_000, writes: int = 2_000
) -> dict[str, float]:
    """Create and load the database, serve it with 4 processes, time the three phases."""
    rng = random.Random(11)
    with fresh_database() as url, tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        database = make_url(url).database or ""
        started = time.perf_counter()
        migrate(url)
        clinic = build_pg_clinic(url, patients)
        stored = load_records(clinic, assessments)
        reader = {"Authorization": f"Bearer {add_reader(clinic)}"}
        writer = {"Authorization": f"Bearer {add_writer(clinic)}"}
        clinic.db.dispose()
        load_seconds = time.perf_counter() - started
        ids = [pid for pid, _ in clinic.patients]
        proc, port = start_server(url, log)
        try:
            result = _phases(proc, port, database, ids, clinic, requests, writes, rng,
                             reader, writer)  # fmt: skip
        finally:
            stop_server(proc)
        # Every write acknowledged is in the database: the warm-up's, the phases' and no more.
        expected = result.pop("writes_sent")
        if (found := _count_assessments(url, WRITER)) != expected:
            raise RuntimeError(f"{expected:.0f} writes acknowledged but {found} stored")
        with psycopg.connect(conninfo(url)) as conn:
            version = conn.info.server_version // 10_000
    return {
        "patients": float(patients),
        "assessments": float(stored),
        "load_seconds": load_seconds,
        "server_processes": float(WORKERS),
        "clients": float(CLIENTS),
        "postgresql_major_version": float(version),
        **result,
    }


def _phases(
    proc: subprocess.Popen[bytes],
    port: int,
    database: str,
    ids: Sequence[int],
    clinic: Clinic,
    requests: int,
    writes: int,
    rng: random.Random,
    reader: dict[str, str],
    writer: dict[str, str],
) -> dict[str, float]:
    """Timelines, writes, then both at once; each after a warm-up that reaches every process."""
    warmup = max(4 * CLIENTS, requests // 10)
    write_warmup = max(2 * CLIENTS, writes // 10)
    drive(port, _timelines(ids, warmup, rng), reader)
    timeline_requests = _timelines(ids, requests, rng)
    with _Meter(proc, database) as timeline_meter:
        timelines = drive(port, timeline_requests, reader)

    drive(port, _writes(clinic.patients, write_warmup, rng), writer)
    write_requests = _writes(clinic.patients, writes, rng)
    with _Meter(proc, database) as write_meter:
        written = drive(port, write_requests, writer)

    stop = threading.Event()
    mixed_reads = _timelines(ids, requests, rng)
    mixed_writes = _writes(clinic.patients, writes, rng)
    with ThreadPoolExecutor(max_workers=1) as pool:
        writers = pool.submit(drive, port, mixed_writes, writer, MIXED_WRITERS, stop)
        started = time.perf_counter()
        try:
            mixed_timelines = drive(port, mixed_reads, reader)
        finally:
            seconds = time.perf_counter() - started
            stop.set()
        mixed_written = writers.result()

    return {
        "timeline_requests": float(requests),
        **timeline_meter.report("timeline", len(timelines)),
        **_percentiles("timeline", timelines, (50, 95, 99)),
        "writes": float(writes),
        **write_meter.report("write", len(written)),
        **_percentiles("write", written, (50, 95, 99)),
        "mixed_timeline_requests_per_second": len(mixed_timelines) / seconds,
        **_percentiles("mixed_timeline", mixed_timelines, (50, 99)),
        "mixed_writes": float(len(mixed_written)),
        "mixed_write_requests_per_second": len(mixed_written) / seconds,
        **_percentiles("mixed_write", mixed_written, (50, 99)),
        "writes_sent": float(write_warmup + len(written) + len(mixed_written)),
    }


def main() -> None:
    patients = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
    result = run(patients, assessments=10 * patients)
    for key, value in result.items():
        print(f"{key}: {value:,.2f}")


if __name__ == "__main__":
    main()
