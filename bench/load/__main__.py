"""python -m bench.load [--smoke] [--databases sqlite,postgresql] [--learners N] [--duration S] [--write-results]"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.load import report
from bench.load.run import Options, run
from bench.load.servers import ROOT

RESULTS = ROOT / "bench" / "RESULTS.md"


def _postgres_reachable(url: str) -> bool:
    try:
        import psycopg

        psycopg.connect(url, connect_timeout=3).close()
        return True
    except Exception as exc:
        print(f"PostgreSQL at {url} is not reachable ({exc}): skipped", file=sys.stderr)
        return False


def _context(options: Options) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    changed = ["git", "status", "--porcelain", "--", "edu", "templates"]
    dirty = (
        " with uncommitted changes in edu/ or templates/"
        if subprocess.run(changed, cwd=ROOT, capture_output=True, text=True).stdout
        else ""
    )
    import locust

    load = Path("/proc/loadavg").read_text().split()[:3]
    return (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"locust {locust.__version__}; commit {commit or '?'}{dirty}; "
        f"load average before the run {' '.join(load)}."
    )


def _write_results(text: str, options: Options) -> None:
    """Replace the block of the last run with the same shape (learners, save step, databases); keep the prose."""
    shape = f"{options.learners} learners, save by {options.save}, {'+'.join(options.databases)}"
    begin, end = f"<!-- bench-load {shape}: begin -->", f"<!-- bench-load {shape}: end -->"
    current = RESULTS.read_text() if RESULTS.exists() else "# Load harness results\n"
    if begin not in current:
        current = current.rstrip("\n") + f"\n\n{begin}\n{end}\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    RESULTS.write_text(pattern.sub(lambda _: f"{begin}\n{text}{end}", current, count=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds: SQLite, 2 learners, 2 workers, short phases")
    parser.add_argument("--databases", default=None, help="comma-separated: sqlite,postgresql (default: both; smoke: sqlite)")
    parser.add_argument("--learners", type=int, default=None, help="simulated learners, one locust user each (50)")
    parser.add_argument("--duration", type=float, default=None, help="measured seconds per app and database (60)")
    parser.add_argument("--warmup", type=float, default=None, help="unmeasured seconds of load first (10)")
    parser.add_argument("--counting", type=float, default=None, help="seconds of the statement-counting run (5)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn sync workers (4)")
    parser.add_argument("--save", choices=["autosave", "form"], default="autosave", help="our app's save step (autosave)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", Options.postgres_url))
    parser.add_argument("--write-results", action="store_true", help=f"put the tables into {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--keep", type=Path, help="keep logs, ledgers and samples in this folder")
    args = parser.parse_args(argv)

    smoke = {"learners": 2, "duration": 4, "warmup": 0, "counting": 2, "workers": 2} if args.smoke else {}
    databases = (args.databases or ("sqlite" if args.smoke else "sqlite,postgresql")).split(",")
    if "postgresql" in databases and not _postgres_reachable(args.postgres_url):
        databases.remove("postgresql")
    options = Options(databases=databases, postgres_url=args.postgres_url, save=args.save)
    for name in ("learners", "duration", "warmup", "counting", "workers"):
        value = getattr(args, name)
        setattr(options, name, value if value is not None else smoke.get(name, getattr(options, name)))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)

    context = _context(options)
    served = run(options, args.keep)
    text = context + "\n\n" + report.markdown(served, options)
    print()
    print(text)
    if args.json:
        args.json.write_text(json.dumps(report.summary(served), indent=1))
    if args.write_results:
        _write_results(text, options)
        print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
