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
        [str(bin_dir / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"],
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
