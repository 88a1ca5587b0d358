"""Benchmarks: run on purpose with `make bench` (or `python -m bench`); never part of the test suite."""
