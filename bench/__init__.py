"""Benchmarks of alstrack against the targets in the issue; run them with `python -m bench.run`."""
