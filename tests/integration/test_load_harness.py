"""The load harness (`make bench-load`, bench/load) keeps working: its smoke run seeds the benchmark course through
the CLI, serves our app and the bare baseline under gunicorn, drives whole exam cycles with locust, and prints the
tables. Figures are not judged here (no timing assertions): only that cycles completed, nothing failed, and every
step was measured and its statements counted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STEPS = ["start", "attempt page", "save 20 answers", "confirm page", "submit", "review"]


@pytest.mark.load_harness
def test_the_smoke_run_completes_exam_cycles_without_errors_and_prints_the_tables(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--smoke", "--json", str(figures), "--keep", str(tmp_path / "run")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    runs = {(r["database"], r["target"]): r for r in json.loads(figures.read_text())}
    assert set(runs) == {("sqlite", "app"), ("sqlite", "bare")}
    for run in runs.values():
        assert run["cycles"] > 0 and run["failed_cycles"] == 0 and run["errors"] == 0, run
        assert run["cpu_seconds_per_cycle"] > 0
        for step in STEPS:
            assert run["steps"][step]["count"] == run["cycles"], (step, run["steps"][step])  # whole cycles only
            assert run["steps"][step]["statements"] >= 1, step  # the counting phase saw the database work
    assert runs[("sqlite", "app")]["steps"]["autosave"]["count"] == 20 * runs[("sqlite", "app")]["cycles"]
    assert runs[("sqlite", "bare")]["steps"]["save 20 answers"]["statements"] <= 3  # BEGIN, one UPDATE, COMMIT

    out = done.stdout
    assert "| database / app | cycles | cycles/s | server CPU-s per cycle |" in out
    assert "| step | per s | p50 ms | p95 ms | p99 ms | errors | CPU ms | statements | bare p50 ms |" in out
    for step in STEPS:
        assert f"| {step} |" in out
    assert "| SQLite / ours |" in out and "| SQLite / bare |" in out
