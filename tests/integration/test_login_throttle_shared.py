"""Login throttling holds across worker processes when the limiter stores its counts in Redis.

Two separate Python processes (as two gunicorn workers would be) each build the app with the same
Redis storage and try to log in; the account limit (5 a minute) is reached by their sum, not by each.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WORKER = r"""
import json, sys
from edu.application import create_app
from edu.db import Base, database
from tests.conftest import login

url, prefix, attempts = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app({"APP_ENV": "testing", "SECRET_KEY": "k", "DATABASE_URL": url,
                  "RATELIMIT_STORAGE_URI": sys.argv[4], "RATELIMIT_KEY_PREFIX": prefix})
with app.app_context():
    Base.metadata.create_all(database().engine)
client = app.test_client()
print(json.dumps([login(client, "someone@example.com", "wrong password").status_code for _ in range(attempts)]))
"""


def run_worker(tmp_path: Path, prefix: str, attempts: int, storage: str) -> list[int]:
    url = f"sqlite:///{tmp_path / 'throttle.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-c", WORKER, url, prefix, str(attempts), storage],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_account_limit_is_shared_by_two_processes(tmp_path: Path, redis_url: str) -> None:
    prefix = f"test-{secrets.token_hex(4)}"
    first = run_worker(tmp_path, prefix, 3, redis_url)
    second = run_worker(tmp_path, prefix, 3, redis_url)
    assert first == [401, 401, 401]
    assert second == [401, 401, 429]


def test_in_memory_storage_would_not_be_shared(tmp_path: Path) -> None:
    """The control: without shared storage each process counts alone (why production needs REDIS_URL)."""
    prefix = f"test-{secrets.token_hex(4)}"
    assert run_worker(tmp_path, prefix, 3, "memory://") == [401, 401, 401]
    assert run_worker(tmp_path, prefix, 3, "memory://") == [401, 401, 401]


def test_with_redis_down_logins_are_still_throttled_in_memory_and_it_is_logged(tmp_path: Path, caplog) -> None:
    """Fails in the documented direction: no 500, no free-for-all; each worker counts in memory until Redis is back."""
    from edu.application import create_app
    from edu.db import Base, database
    from tests.conftest import login

    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "k",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'down.sqlite3'}",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    )
    with app.app_context():
        Base.metadata.create_all(database().engine)
    client = app.test_client()
    with caplog.at_level("WARNING"):
        statuses = [login(client, "someone@example.com", "wrong password").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert any("storage" in r.getMessage().lower() or "redis" in r.getMessage().lower() for r in caplog.records)
