"""Run every benchmark in bench/ once, print a section each and write docs/benchmarks.md.

A benchmark is a `bench_*.py` module with `run() -> dict[str, float]`; it may declare `TARGETS`
(what it promises) and `QUICK` (keyword arguments for a smoke run at tiny size).
Run: .venv/bin/python -m bench.run [--quick] [--only NAME] [--output PATH]
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.targets import Target

BENCH_DIR = Path(__file__).resolve().parent
DOCS = BENCH_DIR.parent / "docs" / "benchmarks.md"

# For benchmarks written without TARGETS or QUICK (bench_score.py keeps its own constants).
FALLBACK_TARGETS = {"bench_score": lambda m: (
    Target("alstrack score ÷ pandas.read_csv time", "ratio", "<=", m.TARGET_RATIO, "x"),
)}  # fmt: skip
FALLBACK_QUICK: dict[str, dict[str, Any]] = {"bench_score": {"rows": 5_000}}


@dataclass(frozen=True)
class Outcome:
    name: str
    title: str
    result: dict[str, float]
    targets: tuple[Target, ...]
    seconds: float
    notes: str = ""


def discover(only: Sequence[str] = ()) -> list[str]:
    names = sorted(p.stem for p in BENCH_DIR.glob("bench_*.py"))
    return [n for n in names if not only or n in only]


def load(name: str) -> ModuleType | None:
    """The benchmark module, or None (with a note) if it cannot be imported or has no run()."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except Exception as exc:
        print(f"Skipping {name}: it does not import ({type(exc).__name__}: {exc})", file=sys.stderr)
        return None
    if not callable(getattr(module, "run", None)):
        print(f"Skipping {name}: no run() function", file=sys.stderr)
        return None
    return module


def targets_of(name: str, module: ModuleType) -> tuple[Target, ...]:
    if hasattr(module, "TARGETS"):
        return tuple(module.TARGETS)
    fallback: Callable[[ModuleType], tuple[Target, ...]] | None = FALLBACK_TARGETS.get(name)
    return fallback(module) if fallback else ()


def run_one(name: str, module: ModuleType, quick: bool) -> Outcome:
    kwargs = getattr(module, "QUICK", FALLBACK_QUICK.get(name, {})) if quick else {}
    started = time.perf_counter()
    result = {k: float(v) for k, v in module.run(**kwargs).items()}
    title = (module.__doc__ or name).strip().splitlines()[0]
    seconds = time.perf_counter() - started
    notes = str(getattr(module, "NOTES", ""))
    return Outcome(name, title, result, targets_of(name, module), seconds, notes)


# --- the report ---------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
    }


def _value(value: float) -> str:
    if value.is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"


def section(outcome: Outcome) -> str:
    lines = [f"## {outcome.name}: {outcome.title}", ""]
    if outcome.targets:
        lines += ["| target | measured | result |", "| --- | ---: | :---: |"]
        for t in outcome.targets:
            verdict = "pass" if t.met(outcome.result) else "**FAIL**"
            lines.append(
                f"| {t.describe()} | {_value(outcome.result[t.key])}{t.unit} | {verdict} |"
            )
        lines.append("")
    lines += ["| measure | value |", "| --- | ---: |"]
    lines += [f"| {key} | {_value(value)} |" for key, value in outcome.result.items()]
    lines += ["", f"Took {outcome.seconds:,.0f} s including set-up.", ""]
    if outcome.notes:
        lines += [outcome.notes.strip(), ""]
    return "\n".join(lines)


def document(
    outcomes: Sequence[Outcome],
    info: Mapping[str, str],
    quick: bool,
    not_run: Mapping[str, str] | None = None,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        "Measured by `python -m bench.run` (`make bench`). Ratios compare two measurements taken "
        "in the same run on the same machine; absolute numbers move with the machine.",
        "",
        f"Run {when}{' (--quick: tiny sizes, not the real targets)' if quick else ''}.",
        "",
        "| machine | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
        "## Summary",
        "",
        "| benchmark | target | measured | result |",
        "| --- | --- | ---: | :---: |",
    ]
    for o in outcomes:
        for t in o.targets:
            verdict = "pass" if t.met(o.result) else "**FAIL**"
            lines.append(f"| {o.name} | {t.describe()} | {_value(o.result[t.key])}{t.unit} "
                         f"| {verdict} |")  # fmt: skip
    for name, why in (not_run or {}).items():
        lines.append(f"| {name} | | not run: {why} | **NOT RUN** |")
    lines.append("")
    return "\n".join(lines) + "\n" + "\n".join(section(o) for o in outcomes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run only")
    parser.add_argument("--only", action="append", default=[], help="run this benchmark only")
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the report (default docs/benchmarks.md; none with --quick)",
    )
    args = parser.parse_args(argv)
    outcomes = []
    not_run: dict[str, str] = {}
    for name in discover(args.only):
        module = load(name)
        if module is None:
            continue
        print(f"Running {name}{' (quick)' if args.quick else ''}...", file=sys.stderr, flush=True)
        try:
            outcome = run_one(name, module, args.quick)
        except Exception as exc:  # one benchmark that cannot run (no PostgreSQL) stops no other
            not_run[name] = f"{type(exc).__name__}: {exc}"
            print(f"Could not run {name}: {not_run[name]}", file=sys.stderr, flush=True)
            continue
        print(section(outcome), flush=True)
        outcomes.append(outcome)
    output = args.output or (None if args.quick else DOCS)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(document(outcomes, machine(), args.quick, not_run))
        print(f"Wrote {output}", file=sys.stderr)
    failed = [o.name for o in outcomes for t in o.targets if not t.met(o.result)]
    return 1 if (failed or not_run) and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
