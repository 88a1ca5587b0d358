"""The servers under load: a fresh database (a temporary SQLite file, or a PostgreSQL database created and dropped
on a shared server that is never restarted), gunicorn, and the CPU time of their processes read from /proc."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.load.gunicorn_conf import READY

ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process (fields 14 and 15 of /proc/<pid>/stat), or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 is fields[0]
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Database:
    """One fresh database for one app; `url` is what the app and alembic are given."""

    kind: str
    url: str
    name: str = ""
    admin_url: str = ""

    def backends(self) -> list[int]:
        """PostgreSQL: the pids of the server processes serving this database's connections."""
        if self.kind != "postgresql":
            return []
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'", (self.name,)
            )
            return [int(pid) for (pid,) in rows]

    def transactions(self) -> int:
        """PostgreSQL: transactions the server committed or rolled back in this database (pg_stat_database)."""
        if self.kind != "postgresql":
            return 0
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute("SELECT pg_stat_clear_snapshot()")
            row = admin.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", (self.name,)
            ).fetchone()
            return int(row[0]) if row else 0


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path, label: str, admin_url: str) -> Iterator[Database]:
    if kind == "sqlite":
        yield Database("sqlite", f"sqlite:///{folder / (label + '.sqlite3')}")
        return
    import psycopg

    name = f"bench_load_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = re.sub(r"^postgresql(\+\w+)?://", "postgresql+psycopg://", admin_url).rsplit("/", 1)[0]
    try:
        yield Database("postgresql", f"{base}/{name}", name, admin_url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Gunicorn:
    """`gunicorn -c bench/load/gunicorn_conf.py APP` from the repository root, sync workers on a loopback port."""

    app: str
    env: dict[str, str]
    workers: int
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "-c", "bench/load/gunicorn_conf.py", "--workers", str(self.workers),
            "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}", "--no-control-socket", self.app,
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        ready = re.escape(READY).replace("%s", r"\d+")
        while len(re.findall(ready, self.log.read_text(errors="replace"))) < self.workers:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start {self.workers} workers: see {self.log}\n{self.tail()}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def stop(self) -> None:
        """A graceful stop: each worker writes its ledger as it exits."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class CpuMeter:
    """CPU seconds of a set of processes over a window: sampled at its start and end; a process seen only at the
    end counts from zero, one gone by the end keeps its last reading (`lost` says how many were not sampled)."""

    start: dict[int, float] = field(default_factory=dict)
    end: dict[int, float] = field(default_factory=dict)

    @staticmethod
    def sample(pids: list[int]) -> dict[int, float]:
        readings = {pid: cpu_seconds(pid) for pid in pids}
        return {pid: value for pid, value in readings.items() if value is not None}

    @property
    def seconds(self) -> float:
        return sum(self.end.get(pid, self.start.get(pid, 0.0)) - self.start.get(pid, 0.0) for pid in self.start | self.end)

    @property
    def lost(self) -> int:
        return len(set(self.start) - set(self.end))
