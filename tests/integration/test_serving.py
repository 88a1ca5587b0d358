"""`gunicorn app:app` serves the app configured only by environment variables."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gunicorn_serves_the_migrated_app(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "APP_ENV": "production",
        "PUBLIC_URL": "https://ce.example.org",
    }
    env.pop("SECRET_KEY", None)
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "alembic"), "upgrade", "head"], cwd=REPO, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--no-control-socket", "app:app"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body, headers = "", {}
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body, headers = response.read().decode(), dict(response.headers)
                break
            except OSError:
                time.sleep(0.1)
        assert "No courses are published yet" in body
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        key_file = tmp_path / "instance" / "secret_key"
        assert key_file.exists() and len(key_file.read_text().strip()) == 64
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_new_worker_warms_up_before_it_serves(tmp_path: Path) -> None:
    """gunicorn.conf.py warms each worker (mappers, every template, the first connection, three public pages) before
    it accepts a connection: the worker's log says so with every page answering 200."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "APP_ENV": "production",
        "PUBLIC_URL": "https://ce.example.org",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "alembic"), "upgrade", "head"], cwd=REPO, env=env, check=True, capture_output=True)
    log = tmp_path / "gunicorn.log"
    server = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{free_port()}",
            "--no-control-socket",
            "--error-logfile",
            str(log),
            "app:app",
        ],
        cwd=REPO,
        env=env,
    )
    try:
        for _ in range(300):
            if log.exists() and "warmed up" in log.read_text():
                break
            time.sleep(0.1)
        templates = len(list((REPO / "templates").rglob("*.html")))
        assert f"warmed up: {templates} templates, pages {{'/': 200, '/login': 200, '/verify': 200}}" in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_warming_up_writes_nothing(app) -> None:
    from sqlalchemy import func, select

    from edu.db import Base, session
    from edu.warmup import warm

    def rows() -> list[int]:
        with app.app_context():
            return [session.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables]

    before = rows()
    assert set(warm(app).pages.values()) == {200}
    assert rows() == before


def test_a_worker_whose_warm_up_fails_still_boots_and_says_so() -> None:
    """gunicorn stops the whole server when post_worker_init raises: with the database down during a respawn, the
    site would be gone instead of answering 503. The hook logs the failure and lets the worker serve cold."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gunicorn_conf", REPO / "gunicorn.conf.py")
    assert spec and spec.loader
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)

    class Log:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def exception(self, message: str, *args: object) -> None:
            self.lines.append(message % args)

        def info(self, message: str, *args: object) -> None:
            self.lines.append(message % args)

    class Worker:
        pid, log, wsgi = 7, Log(), object()  # not an app: warm() raises at once

    conf.post_worker_init(Worker)
    assert Worker.log.lines == ["worker 7 serves without warming up"]
