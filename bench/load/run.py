"""One run of the harness: for each database, our app and then the bare one, each seeded, served by gunicorn and
driven by locust in three phases, each bounded in time:

- warm: load that is not measured (first attempts, pools, caches);
- measure: locust's timings, and the CPU seconds of the gunicorn workers and the database's server processes
  sampled from /proc at its start and end; the ledger books each step's CPU inside the workers;
- count: a short run in which the ledger counts the statements the database executed for each step.

The load generator stops starting cycles at the end of a phase and lets running ones finish (`--stop-timeout`), so
every cycle counted is a whole one and the CPU of the window is divided by whole cycles.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import bare, learners
from bench.load.servers import ROOT, CpuMeter, Database, Gunicorn, fresh_database

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
STOP_TIMEOUT = 60
"""Seconds a simulated learner may take to finish its cycle once a phase's time is up."""


@dataclass
class Options:
    databases: list[str]
    learners: int = 50
    duration: float = 60
    warmup: float = 10
    counting: float = 5
    workers: int = 4
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    save: str = "autosave"
    """How our app's learners save their 20 answers: "autosave" (20 JSON requests) or "form" (one plain post)."""


@dataclass
class Window:
    """What the servers and the machine did during the measured phase."""

    samples: list[tuple[str, float, float, bool]]
    wall_seconds: float
    worker_cpu: float
    database_cpu: float
    generator_cpu: float
    machine_busy: float
    """CPU seconds the whole machine spent busy (all cores, /proc/stat), whoever spent them."""
    transactions: int
    backends: int
    lost_processes: int


@dataclass
class Served:
    """One app on one database: the measured window and the ledger's totals per `phase/step`."""

    target: str
    database: str
    window: Window
    ledger: dict[str, dict[str, Any]] = field(default_factory=dict)


def _machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def _base_env() -> dict[str, str]:
    """Only what a process needs to run: none of this shell's app settings (REDIS_URL, DATABASE_URL...) leak in."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
    return {name: os.environ[name] for name in keep if name in os.environ}


def app_env(database: Database, folder: Path, ledger_dir: Path) -> dict[str, str]:
    return {
        **_base_env(),
        # Production settings, except what plain http on loopback and throwaway accounts need.
        "APP_ENV": "production",
        "PUBLIC_URL": "https://bench.example.com",
        "SESSION_COOKIE_SECURE": "0",
        "SECRET_KEY": secrets.token_hex(32),
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database.url,
        "MAIL_BACKEND": "log",
        # Log-ins are set-up, not measured: the cheapest password hash, and no limit on the harness logging in its
        # learners from one address. Rate limiting stays on (in memory: no Redis), as in a single-server deployment.
        "PASSWORD_HASH_PROFILE": "cheapest",
        "LOGIN_LIMITS": "100000 per minute",
        "LOGIN_LIMITS_PER_ACCOUNT": "100000 per minute",
        "BENCH_TARGET": "app",
        "BENCH_LEDGER_DIR": str(ledger_dir),
    }


def bare_env(database: Database, ledger_dir: Path) -> dict[str, str]:
    return {**_base_env(), "BENCH_TARGET": "bare", "BENCH_BARE_DATABASE_URL": database.url, "BENCH_LEDGER_DIR": str(ledger_dir)}


def locust(server: Gunicorn, learners_file: Path, phase: str, options: Options, folder: Path) -> list[Any]:
    seconds, users = {"warm": options.warmup, "measure": options.duration, "count": options.counting}[phase], options.learners
    samples_file = folder / f"samples-{phase}.json"
    env = {
        **_base_env(),
        "BENCH_LEARNERS": str(learners_file),
        "BENCH_PHASE": phase,
        "BENCH_SAMPLES": str(samples_file),
        "BENCH_SAVE": options.save,
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--users", str(users),
        "--spawn-rate", str(users), "--run-time", f"{max(1, round(seconds))}s", "--stop-timeout", str(STOP_TIMEOUT),
        "--host", server.url, "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    with (folder / f"locust-{phase}.log").open("wb") as log:
        subprocess.run(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + STOP_TIMEOUT + 120, check=True
        )
    return json.loads(samples_file.read_text())


def drive(server: Gunicorn, database: Database, learners_file: Path, options: Options, folder: Path) -> Window:
    if options.warmup > 0:
        locust(server, learners_file, "warm", options, folder)
    workers, backends = CpuMeter(), CpuMeter()
    workers.start, backends.start = CpuMeter.sample(server.worker_pids()), CpuMeter.sample(database.backends())
    transactions, busy = database.transactions(), _machine_busy_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    samples = locust(server, learners_file, "measure", options, folder)
    wall = time.monotonic() - began
    workers.end, backends.end = CpuMeter.sample(server.worker_pids()), CpuMeter.sample(database.backends())
    transactions, busy = database.transactions() - transactions, _machine_busy_seconds() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    if options.counting > 0:
        locust(server, learners_file, "count", options, folder)
    return Window(
        samples, wall, workers.seconds, backends.seconds, generator, busy, transactions,
        len(backends.start | backends.end), workers.lost + backends.lost,
    )  # fmt: skip


def read_ledger(ledger_dir: Path) -> dict[str, dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = {}
    for path in ledger_dir.glob("worker-*.json"):
        for tag, entry in json.loads(path.read_text()).items():
            total = totals.setdefault(tag, {**dict.fromkeys(entry, 0), "example": []})
            for key, value in entry.items():
                if key == "example":
                    total[key] = total[key] or value
                else:
                    total[key] += value
    return totals


def serve(target: str, database: Database, options: Options, folder: Path) -> Served:
    folder.mkdir(parents=True, exist_ok=True)
    ledger_dir = folder / "ledger"
    ledger_dir.mkdir()
    learners_file = folder / "learners.json"
    if target == "app":
        env = app_env(database, folder, ledger_dir)
        print(
            f"  seeding the course and {options.learners} learners (alembic, flask courses sync, flask users create)", flush=True
        )
        learners.seed_app(env, options.learners)
        server = Gunicorn("app:app", env, options.workers, folder / "gunicorn.log")
    else:
        bare.create_schema(database.url)
        learners.bare_learners(options.learners, learners_file)
        server = Gunicorn("bench.load.bare:app", bare_env(database, ledger_dir), options.workers, folder / "gunicorn.log")
    server.start()
    try:
        if target == "app":
            learners.sign_in_all(server.url, options.learners, learners_file)
        phases = f"{options.duration:g} s (+ {options.warmup:g} s warm-up, {options.counting:g} s counting)"
        print(f"  {target}: driving {options.learners} learners for {phases}", flush=True)
        window = drive(server, database, learners_file, options, folder)
    finally:
        server.stop()
    ledger = read_ledger(ledger_dir)
    (folder / "statements.txt").write_text(
        "".join(
            f"== {tag}: {len(entry['example'])} lines\n" + "\n".join(entry["example"]) + "\n\n"
            for tag, entry in sorted(ledger.items())
            if entry["example"]
        )
    )
    return Served(target, database.kind, window, ledger)


def run(options: Options, keep: Path | None = None) -> list[Served]:
    served = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        folder = keep or Path(scratch)
        for kind in options.databases:
            for target in ("app", "bare"):
                print(f"{kind}: {target}", flush=True)
                with fresh_database(kind, folder, target, options.postgres_url) as database:
                    served.append(serve(target, database, options, folder / f"{kind}-{target}"))
    return served
