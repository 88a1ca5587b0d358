"""gunicorn settings for the load harness: the repository's gunicorn.conf.py (each worker warmed before it serves)
plus the ledger's hooks (ledger.py). The bare app (BENCH_TARGET=bare) warms itself the same way, without edu.

    gunicorn -c bench/load/gunicorn_conf.py app:app           # from the repository root, as the harness runs it
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from typing import Any

from gunicorn.config import KNOWN_SETTINGS

from bench.load.ledger import Ledger

ROOT = Path(__file__).resolve().parents[2]
BARE = os.environ.get("BENCH_TARGET") == "bare"

_repository = {} if BARE else runpy.run_path(str(ROOT / "gunicorn.conf.py"))
_settings = {setting.name for setting in KNOWN_SETTINGS}
globals().update({name: value for name, value in _repository.items() if name in _settings})  # hooks are wrapped below
_ledger = Ledger(os.environ.get("BENCH_LEDGER_DIR", "."))
READY = "bench: worker %s ready"
"""Logged once a worker is warmed and booking; the harness waits for one line per worker before it drives load."""


def post_worker_init(worker: Any) -> None:
    _ledger.install()  # first: the warm-up opens the pool's first connection
    if BARE:
        from bench.load.bare import warm

        warm(worker.wsgi)
    elif "post_worker_init" in _repository:
        _repository["post_worker_init"](worker)
    worker.log.info(READY, worker.pid)


def pre_request(worker: Any, req: Any) -> None:
    _ledger.pre_request(req)


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    _ledger.post_request(resp)


def worker_exit(server: Any, worker: Any) -> None:
    _ledger.write()
