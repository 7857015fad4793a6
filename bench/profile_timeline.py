"""Where a timeline request spends its time: each step timed in-process, then a cProfile.

Not a benchmark (run.py skips it). Steps: authenticate the token, build the timeline in the
service, and encode the response as the route does (the service's Timeline is validated already,
so the route encodes it once with model_dump_json). The profile is of the service alone. What the
server adds (routing, dependencies, the socket, the access log) shows only in a sampling profile
of a running server, e.g. py-spy record --gil on the process bench_timeline starts.
Run: .venv/bin/python -m bench.profile_timeline [patients] [sort: cumulative | tottime]
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

from alstrack.services import timeline, users
from bench.bench_timeline import load_records
from bench.dataset import add_reader, build_clinic


def main() -> None:
    patients = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    sort = sys.argv[2] if len(sys.argv) > 2 else "cumulative"
    with tempfile.TemporaryDirectory() as folder:
        clinic = build_clinic(Path(folder) / "profile.db", patients)
        load_records(clinic, 10 * patients)
        token = add_reader(clinic)
        ids = [pid for pid, _ in clinic.patients]
        actor = users.authenticate(clinic.db, token)

        def step_auth() -> None:
            for _ in ids:
                users.authenticate(clinic.db, token)

        def step_service() -> None:
            for pid in ids:
                timeline.timeline(clinic.db, actor, pid)

        built = [timeline.timeline(clinic.db, actor, pid) for pid in ids]

        def step_response() -> None:
            for t in built:
                t.model_dump_json()

        for name, step in (("authenticate", step_auth), ("timeline service", step_service),
                           ("encode response", step_response)):  # fmt: skip
            started = time.perf_counter()
            step()
            ms = (time.perf_counter() - started) * 1000 / len(ids)
            print(f"{name}: {ms:.2f} ms per request")
        events = sum(len(t.events) for t in built) / len(built)
        print(f"events per timeline: {events:.1f}")
        profile = cProfile.Profile()
        profile.runcall(step_service)
        pstats.Stats(profile).sort_stats(sort).print_stats(35)


if __name__ == "__main__":
    main()
