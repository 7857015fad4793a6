"""bench/bench_mixed.py runs at its quick size and reports what its targets and the report need."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

# bench/ sits beside src/ and is not installed; make it importable however pytest is started.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def test_the_mixed_model_benchmark_reports_the_speed_ratio_and_the_agreement() -> None:
    module = importlib.import_module("bench.bench_mixed")
    result = module.run(**module.QUICK)
    assert all(t.key in result for t in module.TARGETS)
    assert result["ratio"] > 1
    assert result["ours_converged"] == 1.0
    assert result["statsmodels_converged"] == 1.0
    assert result["fixed_effects_max_rel_diff_ppm"] < 100
    assert result["bootstrap_failed"] == 0.0
