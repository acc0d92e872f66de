"""Benchmarks behind the performance statements of README.md (run with scripts/bench)."""
