"""A gunicorn worker SIGKILLed in the middle of an attempt loses no answer it acknowledged.

A learner autosaves answers over HTTP to a real gunicorn; after every acknowledged save the worker is killed with
SIGKILL (no cleanup, no atexit), the master starts a new one, and the learner carries on. Every answer the server
said it saved is in the database afterwards, and the attempt is still the learner's one attempt.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from edu.application import create_app
from edu.catalog import services as catalog
from edu.db import session
from edu.quizzes import attempts
from edu.quizzes.models import Attempt, AttemptItem
from tests.certificate_helpers import user
from tests.conftest import MINI_COURSE, PASSWORD, sync_folder
from tests.integration.test_attempts import mini, module_quiz
from tests.integration.test_serving import REPO, free_port


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def _wait_for(url: str) -> None:
    for _ in range(200):
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find gunicorn's worker")
def test_killing_the_worker_after_each_save_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "APP_ENV": "development",
        "SECRET_KEY": "kill-test-secret",
        "CERT_KEYS_DIR": str(tmp_path / "keys"),
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "alembic"), "upgrade", "head"], cwd=REPO, env=env, check=True, capture_output=True)
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "kill-test-secret", "DATABASE_URL": url})
    sync_folder(app, MINI_COURSE)
    with app.app_context():
        from edu.auth import services as auth

        auth.register(name="Lee Learner", email="learner@example.com", password=PASSWORD)
        catalog.enrol(user(), mini())
        for key in ("first", "second"):
            catalog.complete_lesson(user(), mini(), key)
        attempt = attempts.start_attempt(user(), module_quiz())
        session.commit()
        attempt_id = attempt.id
        slots = {i.slot: i for i in session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))}
        from tests.integration.test_attempts import key_response

        answers = {slot: key_response(item) for slot, item in slots.items()}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket", "app:app"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    acknowledged: dict[int, object] = {}
    kills = 0
    try:
        _wait_for(base + "/")
        browser = requests.Session()
        page = browser.get(base + "/login", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token
        logged_in = browser.post(
            base + "/login",
            data={"csrf_token": token.group(1), "email": "learner@example.com", "password": PASSWORD},
            timeout=10,
            allow_redirects=False,
        )
        assert logged_in.status_code == 302
        for slot, response in answers.items():
            page = browser.get(f"{base}/attempts/{attempt_id}", timeout=10).text
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token, "the attempt page carries a CSRF token"
            saved = browser.post(
                f"{base}/attempts/{attempt_id}/answers/{slot}",
                json={"response": response},
                headers={"X-CSRFToken": token.group(1)},
                timeout=10,
            )
            assert saved.status_code == 200, saved.text
            acknowledged[slot] = response
            worker = _workers(server.pid)
            assert worker, "gunicorn has a worker"
            os.kill(worker[0], signal.SIGKILL)
            kills += 1
            for _ in range(200):  # the master notices and starts a new worker
                if _workers(server.pid) and _workers(server.pid) != worker:
                    break
                time.sleep(0.05)
            _wait_for(base + "/")
    finally:
        server.terminate()
        server.wait(timeout=20)

    assert kills == len(answers) >= 3
    with app.app_context():
        stored = {i.slot: i.response for i in session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id))}
        assert {slot: stored[slot] for slot in acknowledged} == acknowledged
        assert len(session.scalars(select(Attempt)).all()) == 1
