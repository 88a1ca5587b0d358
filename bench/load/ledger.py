"""What each step costs inside a gunicorn worker: CPU time and, in the counting phase, the statements the database
executed. Loaded by gunicorn_conf.py, so the app under test is not changed to be measured.

The load generator names every request in an `X-Bench-Step: <phase>/<step>` header; requests without it (warm-up,
the harness's own log-ins) are not booked. Each worker keeps its totals in memory and writes them to
`$BENCH_LEDGER_DIR/worker-<pid>.json` when it exits.

CPU is `time.process_time()` from gunicorn's pre_request to its post_request hook (a sync worker serves one request
at a time, so the process's CPU in between is the request's). Statements are counted only in the counting phase
(`count/...`), never while CPU is being measured, by the database's own account:

- SQLite: the connection's trace callback, called by SQLite for every statement it runs (BEGIN and COMMIT
  included); SQLite runs inside the worker, so this is the database's view.
- PostgreSQL: libpq's protocol trace of the worker's connections; every CommandComplete (EmptyQueryResponse,
  ErrorResponse) the server sends back is one statement it executed: BEGIN, the pool's pre-ping (an empty query),
  each row of an executemany, COMMIT.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.pool import Pool

STEP_HEADER = "X-BENCH-STEP"
COUNTING_PHASE = "count"
SHOWN = 300
"""Characters kept of each statement in the ledger's example of a step (its first counted request)."""


@dataclass
class Entry:
    requests: int = 0
    errors: int = 0
    cpu_ns: int = 0
    statements: int = 0
    counted: int = 0
    example: list[str] = field(default_factory=list)


class StatementTrace:
    """Counts the statements run on every pooled DBAPI connection of this process while switched on."""

    def __init__(self, trace_path: str) -> None:
        self.connections: dict[int, Any] = {}  # id -> DBAPI connection (sqlite3's cannot be weakly referenced)
        self.on = False
        self.statements = 0
        self.seen: list[str] = []
        """What the database was sent and answered during the request (SQL, and for PostgreSQL the protocol)."""
        self.trace_fd = os.open(trace_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        event.listen(Pool, "connect", self._connected)
        event.listen(Pool, "close", self._closed)
        event.listen(Pool, "close_detached", self._closed_detached)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        self.connections[id(dbapi_connection)] = dbapi_connection
        if self.on:
            self._trace(dbapi_connection)

    def _closed(self, dbapi_connection: Any, _record: Any) -> None:
        self._closed_detached(dbapi_connection)

    def _closed_detached(self, dbapi_connection: Any) -> None:
        if self.on:
            self._untrace(dbapi_connection)
        self.connections.pop(id(dbapi_connection), None)

    def _statement(self, sql: str) -> None:
        self.statements += 1
        self.seen.append(" ".join(sql.split())[:SHOWN])

    def _trace(self, connection: Any) -> None:
        if hasattr(connection, "set_trace_callback"):  # sqlite3
            connection.set_trace_callback(self._statement)
        elif hasattr(connection, "pgconn"):  # psycopg 3
            from psycopg import pq

            connection.pgconn.trace(self.trace_fd)
            connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    def _untrace(self, connection: Any) -> None:
        if hasattr(connection, "set_trace_callback"):
            with contextlib.suppress(Exception):  # closed meanwhile
                connection.set_trace_callback(None)
        elif hasattr(connection, "pgconn") and not connection.closed:
            connection.pgconn.untrace()  # flushes the trace stream

    def start(self) -> None:
        self.on, self.statements, self.seen = True, 0, []
        for connection in list(self.connections.values()):
            self._trace(connection)

    def stop(self) -> int:
        self.on = False
        for connection in list(self.connections.values()):
            self._untrace(connection)
        size = os.fstat(self.trace_fd).st_size
        if size:
            text = os.pread(self.trace_fd, size, 0).decode("utf-8", "replace")
            os.ftruncate(self.trace_fd, 0)
            for line in text.splitlines():
                kind, _, rest = line.partition("\t")
                message = rest.partition("\t")[2]
                executed = kind == "B" and message.startswith(("CommandComplete", "EmptyQueryResponse", "ErrorResponse"))
                self.statements += executed
                if executed or (kind == "F" and message.startswith(("Query", "Parse", "Bind"))):
                    self.seen.append(f"{kind} {message}"[:SHOWN])
        return self.statements


@dataclass
class Ledger:
    out_dir: str
    entries: dict[str, Entry] = field(default_factory=dict)
    trace: StatementTrace | None = None
    _tag: str | None = None
    _cpu_at: int = 0

    def install(self) -> None:
        """Before the worker's first connection, so every connection it opens is known to the trace."""
        self.trace = StatementTrace(os.path.join(self.out_dir, f"pqtrace-{os.getpid()}.txt"))

    def pre_request(self, req: Any) -> None:
        self._tag = next((value for name, value in req.headers if name == STEP_HEADER), None)
        if self._tag is None:
            return
        if self._tag.startswith(COUNTING_PHASE + "/") and self.trace is not None:
            self.trace.start()
        self._cpu_at = time.process_time_ns()

    def post_request(self, resp: Any) -> None:
        if self._tag is None:
            return
        cpu = time.process_time_ns() - self._cpu_at
        entry = self.entries.setdefault(self._tag, Entry())
        entry.requests += 1
        entry.cpu_ns += cpu
        entry.errors += (getattr(resp, "status_code", None) or 500) >= 400
        if self.trace is not None and self.trace.on:
            entry.statements += self.trace.stop()
            entry.counted += 1
            entry.example = entry.example or self.trace.seen
        self._tag = None

    def write(self) -> None:
        path = os.path.join(self.out_dir, f"worker-{os.getpid()}.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({tag: vars(entry) for tag, entry in self.entries.items()}, handle)
