"""gunicorn settings read from the working directory (`gunicorn app:app`); the command line still overrides them."""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Warm each new worker before it accepts connections (edu/warmup.py says why and what). A failure is logged and
    the worker serves cold: gunicorn treats an exception here as a boot failure and stops the whole server, so a
    database restarting while a worker respawns would otherwise take the site down instead of giving 503s."""
    from edu.warmup import warm

    try:
        warmth = warm(worker.wsgi)
    except Exception:
        worker.log.exception("worker %s serves without warming up", worker.pid)
        return
    worker.log.info("worker %s warmed up: %d templates, pages %s", worker.pid, warmth.templates, warmth.pages)
