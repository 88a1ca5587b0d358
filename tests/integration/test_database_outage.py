"""A PostgreSQL restart under the app: clean 503s while it is down, nothing half-written, recovery by itself.

The test starts a throwaway cluster of its own (initdb in a temporary folder, its own port and socket), never the
shared server, and stops and starts it while the app keeps serving.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edu.application import create_app
from edu.auth.models import User
from edu.db import Base, database, session
from tests.conftest import PASSWORD, login, post_form

BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None) if Path("/usr/lib/postgresql").exists() else None


def _as_postgres(*args: str) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres system user when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, root: Path) -> None:
        self.data, self.sockets, self.port = root / "data", root / "sockets", _free_port()
        self.log = root / "server.log"

    def run(self, *args: str) -> None:
        subprocess.run(_as_postgres(*args), check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if BIN is None or not (BIN / "initdb").exists():
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed here")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start a throwaway cluster")
    # Not under pytest's private (0700) temporary folder: the postgres user must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="edu-pg-outage-"))
    root.chmod(0o777)
    made = Cluster(root)
    made.sockets.mkdir()
    made.sockets.chmod(0o777)
    made.run(str(BIN / "initdb"), "-D", str(made.data), "-A", "trust", "-U", "postgres", "--no-sync")
    made.start()
    try:
        yield made
    finally:
        subprocess.run(_as_postgres(str(BIN / "pg_ctl"), "-D", str(made.data), "-m", "immediate", "stop"), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_a_database_restart_gives_clean_503s_writes_nothing_and_recovers(cluster: Cluster) -> None:
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": cluster.url})
    with app.app_context():
        Base.metadata.create_all(database().engine)
    client = app.test_client()
    assert client.get("/").status_code == 200
    registration = {
        "name": "Dana Physio",
        "email": "dana@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "profession": "pt",
    }
    page_token = client.get("/register")  # a form token fetched while the database is up
    assert page_token.status_code == 200

    cluster.stop()
    down = [client.get("/"), client.get("/courses/anything"), post_form(client, "/register", registration, page="/register")]
    for response in down:
        assert response.status_code == 503, response.status_code
        assert int(response.headers["Retry-After"]) > 0
        assert "Temporarily unavailable" in response.get_data(as_text=True)

    cluster.start()
    assert client.get("/").status_code == 200, "the pool reconnects by itself (pre-ping)"
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(User)) == 0, "nothing was written while it was down"
    assert post_form(client, "/register", registration, page="/register").status_code == 302
    assert login(app.test_client(), "dana@example.com").status_code == 302
    with app.app_context():
        database().engine.dispose()
