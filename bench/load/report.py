"""The figures of a run as Markdown tables: per step and per cycle, ours beside the bare baseline."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.load.run import Served

STEPS = ["start", "attempt page", "save 20 answers", "confirm page", "submit", "review"]
ANSWERS = 20
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Row:
    name: str
    count: int
    per_second: float
    p50: float
    p95: float
    p99: float
    errors: int
    cpu_ms: float
    """CPU inside the worker, per step (ledger, measured phase); for the cycle: all server CPU (/proc)."""
    statements: float


@dataclass
class Figures:
    target: str
    database: str
    rows: dict[str, Row]
    cycles: int
    failed_cycles: int
    cycles_per_second: float
    cpu_per_cycle: float
    worker_cpu_per_cycle: float
    database_cpu_per_cycle: float
    in_request_cpu_per_cycle: float
    statements_per_cycle: float
    transactions_per_cycle: float
    generator_cpu_per_cycle: float
    machine_busy: float
    other_work: float
    backends: int
    lost_processes: int


def _ledger(served: Served, phase: str, step: str) -> dict[str, int]:
    return served.ledger.get(f"{phase}/{step}", {"requests": 0, "errors": 0, "cpu_ns": 0, "statements": 0, "counted": 0})


def figures(served: Served) -> Figures:
    w = served.window
    starts = [s[1] for s in w.samples]
    ends = [s[1] + s[2] / 1000 for s in w.samples]
    span = (max(ends) - min(starts)) if w.samples else math.nan
    cycles = [s for s in w.samples if s[0] == "cycle"]
    cycle_count = len(cycles) or 1
    rows: dict[str, Row] = {}
    autosaving = served.target == "app" and any(s[0] == "autosave" for s in w.samples)
    names = [*STEPS, "autosave", "cycle"] if autosaving else [*STEPS, "cycle"]
    for name in names:
        mine = [s for s in w.samples if s[0] == name]
        times = [s[2] for s in mine]
        # The app saves 20 answers with 20 autosave requests: the step's server figures are theirs, per cycle.
        booked = "autosave" if (name == "save 20 answers" and "autosave" in names) else name
        scale = ANSWERS if booked != name else 1
        measured, counted = _ledger(served, "measure", booked), _ledger(served, "count", booked)
        cpu_ms = measured["cpu_ns"] / measured["requests"] / 1e6 * scale if measured["requests"] else math.nan
        statements = counted["statements"] / counted["counted"] * scale if counted["counted"] else math.nan
        rows[name] = Row(
            name, len(mine), len(mine) / span, percentile(times, 50), percentile(times, 95), percentile(times, 99),
            sum(not s[3] for s in mine), cpu_ms, statements,
        )  # fmt: skip
    server_cpu = w.worker_cpu + w.database_cpu
    rows["cycle"].cpu_ms = server_cpu / cycle_count * 1000
    rows["cycle"].statements = sum(rows[s].statements for s in STEPS)
    in_request = sum(v["cpu_ns"] for k, v in served.ledger.items() if k.startswith("measure/")) / 1e9
    return Figures(
        served.target, served.database, rows, len(cycles), rows["cycle"].errors, rows["cycle"].per_second,
        server_cpu / cycle_count, w.worker_cpu / cycle_count, w.database_cpu / cycle_count, in_request / cycle_count,
        rows["cycle"].statements, w.transactions / cycle_count, w.generator_cpu / cycle_count, w.machine_busy / w.wall_seconds,
        max(0.0, w.machine_busy - server_cpu - w.generator_cpu) / w.wall_seconds, w.backends, w.lost_processes,
    )  # fmt: skip


def _n(value: float, digits: int = 1) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


def _ratio(ours: float, bare: float) -> str:
    return "–" if not bare or math.isnan(ours) or math.isnan(bare) else f"{ours / bare:.1f}×"


def _table(header: list[str], lines: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|",
        *("| " + " | ".join(line) + " |" for line in lines),
    ]


def step_table(ours: Figures, bare: Figures | None) -> list[str]:
    header = ["step", "per s", "p50 ms", "p95 ms", "p99 ms", "errors", "CPU ms", "statements"]
    if bare:
        header += ["bare p50 ms", "bare CPU ms", "bare statements", "p50 × bare", "CPU × bare", "statements × bare"]
    lines = []
    names = [*STEPS[:3], "autosave", *STEPS[3:], "cycle"] if "autosave" in ours.rows else [*STEPS, "cycle"]
    for name in names:
        row = ours.rows[name]
        label = {"autosave": "  one autosave (1 of 20)", "cycle": "**cycle** (CPU: all server CPU, /proc)"}.get(name, name)
        line = [
            label,
            _n(row.per_second),
            _n(row.p50),
            _n(row.p95),
            _n(row.p99),
            str(row.errors),
            _n(row.cpu_ms, 2),
            _n(row.statements),
        ]
        if bare:
            other = bare.rows.get(name)
            if other is None:
                line += ["", "", "", "", "", ""]
            else:
                line += [
                    _n(other.p50), _n(other.cpu_ms, 2), _n(other.statements),
                    _ratio(row.p50, other.p50), _ratio(row.cpu_ms, other.cpu_ms), _ratio(row.statements, other.statements),
                ]  # fmt: skip
        lines.append(line)
    return _table(header, lines)


def cycle_table(all_figures: list[Figures]) -> list[str]:
    header = [
        "database / app", "cycles", "cycles/s", "server CPU-s per cycle", "gunicorn workers", "database processes",
        "in requests", "statements per cycle", "DB transactions per cycle", "errors", "load generator CPU-s per cycle",
        "machine busy (of 2 cores)", "other work on the machine",
    ]  # fmt: skip
    lines = []
    for f in all_figures:
        postgresql = f.database == "postgresql"
        lines.append([
            f"{DATABASE_NAMES[f.database]} / {'ours' if f.target == 'app' else 'bare'}", str(f.cycles),
            _n(f.cycles_per_second, 2), _n(f.cpu_per_cycle, 4), _n(f.worker_cpu_per_cycle, 4),
            _n(f.database_cpu_per_cycle, 4) if postgresql else "(in the workers)", _n(f.in_request_cpu_per_cycle, 4),
            _n(f.statements_per_cycle), _n(f.transactions_per_cycle) if postgresql else "–", str(f.failed_cycles),
            _n(f.generator_cpu_per_cycle, 4), f"{f.machine_busy:.2f} cores", f"{f.other_work:.2f} cores",
        ])  # fmt: skip
    return _table(header, lines)


def markdown(served: list[Served], options: Any) -> str:
    all_figures = [figures(s) for s in served]
    saving = "20 autosave requests" if options.save == "autosave" else "one post of the plain form"
    out = [
        f"{options.learners} learners, {options.workers} gunicorn sync workers, {options.duration:g} s measured per app "
        f"(after {options.warmup:g} s of warm-up; statements from a {options.counting:g} s counting run); our learners "
        f"save their 20 answers with {saving}.",
        "",
        "Per cycle (CPU-seconds per cycle is the figure that survives a noisy machine):",
        "",
        *cycle_table(all_figures),
    ]
    for database in dict.fromkeys(f.database for f in all_figures):
        ours = next((f for f in all_figures if f.database == database and f.target == "app"), None)
        bare = next((f for f in all_figures if f.database == database and f.target == "bare"), None)
        if ours is None:
            continue
        out += ["", f"{DATABASE_NAMES[database]}, per step (CPU ms: worker CPU inside the request, per step):", ""]
        out += step_table(ours, bare)
        if bare:
            out += ["", f"{DATABASE_NAMES[database]}, bare baseline per step:", ""]
            out += step_table(bare, None)
    warnings = [
        f"{DATABASE_NAMES[f.database]} / {f.target}: {f.lost_processes} server process(es) exited during the window; "
        "their CPU after the first sample is missing"
        for f in all_figures
        if f.lost_processes
    ]
    return "\n".join(out + (["", *warnings] if warnings else [])) + "\n"


_SYNTHESISED = {True: ("cycle", "save 20 answers"), False: ("cycle",)}
"""Rows made of other requests' times (a failed request also fails its step and cycle): not counted twice."""


def summary(served: list[Served]) -> list[dict[str, Any]]:
    """The same figures as data (`--json`), for the smoke test and for comparing runs."""
    result = []
    for f in map(figures, served):
        result.append(
            {
                "database": f.database,
                "target": f.target,
                "cycles": f.cycles,
                "failed_cycles": f.failed_cycles,
                "errors": sum(row.errors for name, row in f.rows.items() if name not in _SYNTHESISED["autosave" in f.rows]),
                "cpu_seconds_per_cycle": f.cpu_per_cycle,
                "statements_per_cycle": f.statements_per_cycle,
                "steps": {name: vars(row) for name, row in f.rows.items()},
            }
        )
    return result
