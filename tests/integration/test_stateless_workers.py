"""Two app servers, one PostgreSQL and one Redis: a learner moved between them mid-attempt loses and doubles nothing.

Behind a load balancer any request may reach any worker, on any machine. So everything that must outlive a request
lives in what the workers share (PostgreSQL: login sessions, attempts, answers, grades, certificates, the outbox;
Redis: rate-limit counts; the same SECRET_KEY and PUBLIC_URL; one folder of signing keys, CERT_KEYS_DIR), and nothing
in a worker's memory or on its local disk (DEPLOY.md lists what must be shared). Two separate gunicorn servers, each with its own (empty) instance folder, play the two machines;
one browser (one cookie jar, as behind one host name) alternates between them through a whole course.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from flask import Flask
from sqlalchemy import select

from edu.application import create_app
from edu.auth import services as auth
from edu.certificates import signing
from edu.certificates.models import Certificate
from edu.db import Base, database, session
from edu.mail.models import OutboxMessage
from edu.quizzes.models import Attempt, AttemptAnswerEvent, AttemptItem
from tests.conftest import MINI_COURSE, PASSWORD, fresh_postgres_database, sync_folder
from tests.functional.test_quiz_pages import all_five_questions, form_fields, items_of
from tests.integration.test_serving import REPO

pytestmark = pytest.mark.postgres_only

SECRET = "stateless-secret-" + "x" * 32
PUBLIC = "https://ce.example.org"
EMAIL = "learner@example.com"
WAIT = 10  # seconds any one HTTP request may take
BOOT = 90  # seconds two servers may take to boot and warm up on a busy 2-core machine
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    instance: Path
    url: str = ""

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:]) if self.log.exists() else ""


@contextmanager
def two_servers(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    """`gunicorn app:app` twice (one sync worker each, warmed by gunicorn.conf.py), on ports the kernel picks."""
    servers: list[Server] = []
    try:
        for name in ("A", "B"):
            folder = tmp_path / name
            folder.mkdir()
            log = folder / "gunicorn.log"
            command = [
                sys.executable, "-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:0", "--no-control-socket",
                "--error-logfile", str(log), "app:app",
            ]  # fmt: skip
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env={**env, "INSTANCE_PATH": str(folder / "instance")},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append(Server(name, process, log, folder / "instance"))
        deadline = time.monotonic() + BOOT
        for server in servers:
            while True:
                text = server.log.read_text(errors="replace") if server.log.exists() else ""
                listening = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", text)
                if listening and ("warmed up" in text or "serves without warming up" in text):
                    server.url = listening.group(1)
                    break
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server {server.name} did not start:\n{server.tail()}")
                time.sleep(0.1)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.process.terminate()
        for server in servers:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(timeout=15)


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """A fresh PostgreSQL database with the mini course (its module quiz draws all five questions) and one learner."""
    with fresh_postgres_database("edu_stateless") as url:
        app = create_app(
            {
                "APP_ENV": "testing",
                "SECRET_KEY": SECRET,
                "DATABASE_URL": url,
                "RATELIMIT_STORAGE_URI": "memory://",
                "PUBLIC_URL": PUBLIC,
                "PASSWORD_HASH_PROFILE": "cheapest",
                "CERT_KEYS_DIR": str(tmp_path / "keys"),
            }
        )
        try:
            with app.app_context():
                Base.metadata.create_all(database().engine)
            sync_folder(app, MINI_COURSE)
            all_five_questions(app)
            with app.app_context():
                auth.register(name="Lee Learner", email=EMAIL, password=PASSWORD, verified=True)
                session.commit()
            yield url, app
        finally:
            app.extensions["edu.db"].engine.dispose()


def token_on(browser: requests.Session, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would read it."""
    page = browser.get(url, timeout=WAIT)
    assert page.status_code == 200, (url, page.status_code)
    match = _TOKEN.search(page.text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post(browser: requests.Session, url: str, token: str, data: dict[str, Any] | None = None) -> requests.Response:
    return browser.post(url, data={"csrf_token": token, **(data or {})}, timeout=WAIT, allow_redirects=False)


def autosave(browser: requests.Session, base: str, attempt_id: int, slot: int, response: Any, token: str) -> None:
    saved = browser.post(
        f"{base}/attempts/{attempt_id}/answers/{slot}",
        json={"response": response},
        headers={"X-CSRFToken": token},
        timeout=WAIT,
    )
    assert saved.status_code == 200 and saved.json()["saved"] is True, (base, slot, saved.status_code, saved.text)


def form_save(browser: requests.Session, base: str, attempt_id: int, answers: dict[int, dict[str, Any]], token: str) -> None:
    """The plain form posts every answer the page shows (those saved before, and the new one)."""
    fields: dict[str, Any] = {"action": "save"}
    for slot_fields in answers.values():
        fields.update(slot_fields)
    saved = post(browser, f"{base}/attempts/{attempt_id}/save", token, fields)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/attempts/{attempt_id}"), saved.text


def saved_slots(browser: requests.Session, base: str, attempt_id: int) -> set[int]:
    """The questions the attempt page marks "Saved"."""
    page = browser.get(f"{base}/attempts/{attempt_id}", timeout=WAIT)
    assert page.status_code == 200
    return {int(n) for n in re.findall(r'id="status-(\d+)" role="status" aria-live="polite">Saved<', page.text)}


def page_without_tokens(browser: requests.Session, url: str) -> str:
    """A page as the learner reads it: the per-second CSRF token of its forms aside."""
    page = browser.get(url, timeout=WAIT)
    assert page.status_code == 200, (url, page.status_code)
    return _TOKEN.sub('name="csrf_token" value=""', page.text)


def start(browser: requests.Session, base: str, quiz_page: str, token: str) -> int:
    started = post(browser, f"{base}/quizzes/{quiz_id_on(browser, quiz_page)}/start", token)
    assert started.status_code == 302, started.text
    match = re.search(r"/attempts/(\d+)$", started.headers["Location"])
    assert match, started.headers["Location"]
    return int(match.group(1))


def quiz_id_on(browser: requests.Session, quiz_page: str) -> int:
    match = re.search(r'action="/quizzes/(\d+)/start"', browser.get(quiz_page, timeout=WAIT).text)
    assert match, f"no Start button on {quiz_page}"
    return int(match.group(1))


def test_a_learner_alternating_between_two_servers_loses_and_doubles_nothing(
    redis_url: str, tmp_path: Path, seeded: tuple[str, Flask]
) -> None:
    url, app = seeded
    keys = tmp_path / "keys"
    prefix = f"stateless-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "APP_ENV": "production",
        "PUBLIC_URL": PUBLIC,
        "SESSION_COOKIE_SECURE": "0",  # plain http on loopback; everything else as deployed
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "RATELIMIT_KEY_PREFIX": prefix,
        "SECRET_KEY": SECRET,
        "CERT_KEYS_DIR": str(keys),
        "MAIL_BACKEND": "log",
        "PASSWORD_HASH_PROFILE": "cheapest",
        "LOGIN_LIMITS_PER_ACCOUNT": "3 per minute",
    }
    for name in ("RATELIMIT_STORAGE_URI", "ISSUER_URL", "SMTP_HOST", "SERVER_NAME"):
        env.pop(name, None)

    try:
        with two_servers(tmp_path, env) as (server_a, server_b):
            a, b = server_a.url, server_b.url
            browser = requests.Session()  # one cookie jar: cookies are per host, not per port, as behind one name

            # Logged in on A is logged in on B; a form token minted by A is accepted by B.
            logged_in = post(browser, f"{a}/login", token_on(browser, f"{a}/login"), {"email": EMAIL, "password": PASSWORD})
            assert logged_in.status_code == 302, logged_in.text
            dashboard = browser.get(f"{b}/dashboard", timeout=WAIT, allow_redirects=False)
            assert dashboard.status_code == 200 and "<h1>My learning</h1>" in dashboard.text and "Log out" in dashboard.text
            token = token_on(browser, f"{a}/courses/mini")
            assert post(browser, f"{b}/courses/mini/enrol", token).status_code == 302
            for key, opened_on, completed_on in (("first", a, b), ("second", b, a)):
                assert browser.get(f"{opened_on}/courses/mini/lessons/{key}", timeout=WAIT).status_code == 200
                assert post(browser, f"{completed_on}/courses/mini/lessons/{key}/complete", token).status_code == 302

            # The module quiz: started on B, started again on A (the same attempt resumes).
            attempt_id = start(browser, b, f"{a}/courses/mini/modules/basics/quiz", token)
            assert start(browser, a, f"{b}/courses/mini/modules/basics/quiz", token) == attempt_id
            items = items_of(app, attempt_id)
            assert [slot for slot, _kind, _key in items] == [1, 2, 3, 4, 5]
            keyed = {slot: key for slot, _kind, key in items}
            fields = {slot: form_fields(slot, kind, key) for slot, kind, key in items}

            # Answers saved alternately on A and B, by autosave and by the plain form; each page shows the other's.
            autosave(browser, a, attempt_id, 1, keyed[1], token)
            autosave(browser, b, attempt_id, 2, keyed[2], token)
            assert saved_slots(browser, a, attempt_id) == {1, 2}
            form_save(browser, a, attempt_id, {s: fields[s] for s in (1, 2, 3)}, token)
            form_save(browser, b, attempt_id, {s: fields[s] for s in (1, 2, 3, 4)}, token)
            autosave(browser, a, attempt_id, 5, keyed[5], token)
            autosave(browser, b, attempt_id, 5, keyed[5], token)  # the same answer again, on the other server
            assert saved_slots(browser, b, attempt_id) == {1, 2, 3, 4, 5}

            # Submitted on A, submitted again on B: one grade.
            submitted = post(browser, f"{a}/attempts/{attempt_id}/submit", token)
            assert submitted.status_code == 302 and submitted.headers["Location"].endswith(f"/attempts/{attempt_id}/review")
            with app.app_context():
                graded_at = session.get(Attempt, attempt_id).graded_at  # type: ignore[union-attr]
            again = post(browser, f"{b}/attempts/{attempt_id}/submit", token)
            assert again.status_code == 302 and again.headers["Location"].endswith(f"/attempts/{attempt_id}/review")
            assert post(browser, f"{b}/attempts/{attempt_id}/save", token, fields[1]).headers["Location"].endswith("/review")

            browser.get(f"{a}/attempts/{attempt_id}/review", timeout=WAIT)  # shows, and so clears, the flash messages
            review_a = page_without_tokens(browser, f"{a}/attempts/{attempt_id}/review")
            review_b = page_without_tokens(browser, f"{b}/attempts/{attempt_id}/review")
            assert review_a == review_b
            assert "You scored <strong>100%</strong>" in review_a and "You passed this attempt." in review_a

            with app.app_context():
                attempts = session.scalars(select(Attempt)).all()
                assert [(x.id, x.state, x.score, x.passed) for x in attempts] == [(attempt_id, "submitted", 1.0, True)]
                assert attempts[0].graded_at == graded_at  # the second submit graded nothing again
                stored = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)).all()
                assert {i.slot: i.response for i in stored} == keyed
                assert {i.slot: i.fraction for i in stored} == dict.fromkeys(keyed, 1.0)
                events = session.execute(
                    select(AttemptItem.slot, AttemptAnswerEvent.response)
                    .join(AttemptItem, AttemptItem.id == AttemptAnswerEvent.item_id)
                    .order_by(AttemptAnswerEvent.id)
                ).all()
                assert [tuple(e) for e in events] == [(slot, keyed[slot]) for slot in (1, 2, 3, 4, 5)]  # each once

            # The final exam, started on A and saved and submitted on B, completes the course: one certificate.
            final = start(browser, a, f"{b}/courses/mini/final-exam", token)
            for slot, _kind, key in items_of(app, final):
                autosave(browser, b, final, slot, key, token)
            assert post(browser, f"{b}/attempts/{final}/submit", token).status_code == 302
            with app.app_context():
                certificate = session.scalars(select(Certificate)).one()
                code, public_id = certificate.code, certificate.public_id

            # It verifies on both, against the one key ring in CERT_KEYS_DIR.
            for base in (a, b):
                assert "<strong>Valid.</strong>" in browser.get(f"{base}/verify/{code}", timeout=WAIT).text
            looked_up = [requests.get(f"{base}/api/v1/certificates/{code}", timeout=WAIT).json() for base in (a, b)]
            assert looked_up[0] == looked_up[1] and looked_up[0]["state"] == "valid"
            jwt = browser.get(f"{a}/certificates/{public_id}/credential.jwt", timeout=WAIT).text
            verdicts = [requests.post(f"{base}/api/v1/credentials/verify", data=jwt, timeout=WAIT).json() for base in (a, b)]
            assert [(v["valid"], v["reason"]) for v in verdicts] == [(True, None), (True, None)]
            active = (keys / "active").read_text().strip()
            jwks = [requests.get(f"{base}/.well-known/jwks.json", timeout=WAIT).json() for base in (a, b)]
            assert [[k["kid"] for k in j["keys"]] for j in jwks] == [[active], [active]] == [[verdicts[0]["kid"]]] * 2

            # An operator rotates the key (another process): both servers publish the new key and the old one.
            with app.app_context():
                rotated = signing.rotate_key()
            for base in (a, b):
                published = requests.get(f"{base}/.well-known/jwks.json", timeout=WAIT).json()
                assert [k["kid"] for k in published["keys"]] == [rotated, active]
                verdict = requests.post(f"{base}/api/v1/credentials/verify", data=jwt, timeout=WAIT).json()
                assert (verdict["valid"], verdict["kid"]) == (True, active)

            # The login session lives in the database: logged out on B, the same cookie is refused by A.
            kept = requests.Session()
            kept.cookies.update(browser.cookies)
            assert kept.get(f"{a}/dashboard", timeout=WAIT, allow_redirects=False).status_code == 200
            assert post(browser, f"{b}/logout", token).status_code == 302
            refused = kept.get(f"{a}/dashboard", timeout=WAIT, allow_redirects=False)
            assert refused.status_code == 302 and "/login" in refused.headers["Location"]

            # The outbox is a table: a reset link queued by A opens on B.
            assert post(browser, f"{a}/reset", token_on(browser, f"{a}/reset"), {"email": EMAIL}).status_code == 302
            with app.app_context():
                message = session.scalars(select(OutboxMessage).where(OutboxMessage.subject == "Reset your password")).one()
                assert message.state == "sent"  # the log backend, right after A's commit
                link = re.search(re.escape(PUBLIC) + r"(/reset/\S+)", message.body)
            assert link, message.body
            new_password = "a new password for B"
            changed = post(
                browser,
                b + link.group(1),
                token_on(browser, b + link.group(1)),
                {"password": new_password, "confirm": new_password},
            )
            assert changed.status_code == 302, changed.text

            relogin = requests.Session()
            again_in = post(relogin, f"{a}/login", token_on(relogin, f"{b}/login"), {"email": EMAIL, "password": new_password})
            assert again_in.status_code == 302, again_in.text

            # Rate limits count in Redis: an account's failed logins add up across servers (3 a minute here).
            statuses = []
            for base in (a, b, a, b):
                form = token_on(browser, f"{base}/login")
                wrong = {"email": "someone@example.com", "password": "not the password"}
                statuses.append(post(browser, f"{base}/login", form, wrong).status_code)
            assert statuses == [401, 401, 401, 429]

            # Nothing was written to either server's own disk.
            for server in (server_a, server_b):
                assert not server.instance.exists() or not any(server.instance.rglob("*")), server.name
    finally:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
        stale = list(client.scan_iter(f"{prefix}*"))
        if stale:
            client.delete(*stale)
