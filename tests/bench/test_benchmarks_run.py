"""The benchmarks still run: each at tiny size, with the result keys the report needs."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import psycopg
import pytest

# bench/ sits beside src/ and is not installed; make it importable however pytest is started.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def bench(name: str) -> ModuleType:
    try:
        return importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{name}":
            pytest.skip(f"bench/{name}.py is not there")
        raise


def test_the_write_benchmark_reports_both_rates_and_their_ratio() -> None:
    module = bench("bench_writes")
    result = module.run(**module.QUICK)
    assert {"service_rows_per_second", "raw_rows_per_second", "ratio"} <= result.keys()
    assert result["ratio"] > 0
    assert all(t.key in result for t in module.TARGETS)


def test_the_timeline_benchmark_reports_percentiles_for_timeline_and_health() -> None:
    module = bench("bench_timeline")
    result = module.run(**module.QUICK)
    for endpoint in ("health", "timeline"):
        assert {f"{endpoint}_p50_ms", f"{endpoint}_p95_ms", f"{endpoint}_p99_ms"} <= result.keys()
    assert result["timeline_p50_ms"] <= result["timeline_p99_ms"]
    assert result["assessments"] > 0


def test_the_load_benchmark_reports_rates_and_percentiles_and_drops_its_database() -> None:
    module = bench("bench_load")
    problem = module.postgres_problem()
    if problem:
        pytest.skip(problem)
    result = module.run(**module.QUICK)
    for phase in ("timeline", "write"):
        assert {f"{phase}_requests_per_second", f"{phase}_p50_ms", f"{phase}_p99_ms"} <= set(result)
        assert result[f"{phase}_p50_ms"] <= result[f"{phase}_p99_ms"]
    assert result["mixed_timeline_requests_per_second"] > 0
    assert result["mixed_write_requests_per_second"] > 0
    assert result["server_processes"] == 4
    with psycopg.connect(module.conninfo(module.ADMIN_URL)) as conn:
        left = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (module.database_name(),)
        ).fetchall()
    assert left == []


def test_the_score_benchmark_reports_its_ratio() -> None:
    module = bench("bench_score")
    result = module.run(rows=2_000)
    assert result["ratio"] > 0


def test_the_runner_writes_a_report_with_the_machine_and_a_verdict_per_target(
    tmp_path: Path,
) -> None:
    runner = bench("run")
    output = tmp_path / "benchmarks.md"
    assert runner.main(["--quick", "--only", "bench_writes", "--output", str(output)]) == 0
    report = output.read_text()
    assert "| SQLite |" in report
    assert "| CPU |" in report
    assert "bench_writes" in report
    assert "pass" in report or "FAIL" in report
