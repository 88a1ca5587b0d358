"""gunicorn settings read from the working directory (`gunicorn app:app`); the command line still overrides them."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Warm each new worker before it accepts connections (edu/warmup.py says why and what)."""
    from edu.warmup import warm

    warmth = warm(worker.wsgi)
    worker.log.info("worker %s warmed up: %d templates, pages %s", worker.pid, warmth.templates, warmth.pages)
