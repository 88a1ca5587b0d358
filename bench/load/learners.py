"""Seeding through the app's own doors: `alembic upgrade head`, `flask courses sync`, `flask users create` (accounts
made by the CLI are verified), then each learner logs in, enrols, opens the lesson and marks it complete over HTTP,
so the module quiz's lessons gate is open. Nothing here imports edu: it drives the app as an operator and a learner
would. The learners' cookies and CSRF tokens go to the load generator in a JSON file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.load.servers import ROOT

COURSE = Path(__file__).resolve().parent / "course"
COURSE_SLUG = "bench-exam"
MODULE_KEY = "exam"
LESSON_KEY = "before-the-exam"
PASSWORD = "bench password 1"  # throwaway accounts in a throwaway database
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def email(n: int) -> str:
    return f"learner{n}@example.com"


def run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed:\n{done.stdout}\n{done.stderr}")


def seed_app(env: dict[str, str], learners: int) -> None:
    """Schema, the benchmark course, and the learners' accounts (two CLI processes at a time: each pays the app's
    start-up, which is most of its cost)."""
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    run([sys.executable, "-m", "alembic", "upgrade", "head"], env)
    run([*flask, "courses", "sync", str(COURSE)], env)
    with ThreadPoolExecutor(max_workers=2) as pool:
        creations = [
            pool.submit(run, [*flask, "users", "create", email(n), "--name", f"Learner {n}", "--password", PASSWORD], env)
            for n in range(1, learners + 1)
        ]
        for creation in creations:
            creation.result()


def _cookies(session: Any) -> list[dict[str, str]]:
    return [{"name": c.name, "value": c.value or "", "domain": c.domain, "path": c.path} for c in session.cookies]


def sign_in(base_url: str, n: int) -> dict[str, Any]:
    """Log learner n in, enrol, read the lesson, mark it complete; return what the load generator needs."""
    import requests

    with requests.Session() as session:
        token = TOKEN.search(session.get(f"{base_url}/login").text)
        assert token, "no CSRF token on the login page"
        steps = [
            ("/login", {"email": email(n), "password": PASSWORD}),
            (f"/courses/{COURSE_SLUG}/enrol", {}),
            (f"/courses/{COURSE_SLUG}/lessons/{LESSON_KEY}", None),
            (f"/courses/{COURSE_SLUG}/lessons/{LESSON_KEY}/complete", {}),
        ]
        for path, form in steps:
            if form is None:
                response = session.get(base_url + path, allow_redirects=False)
                expected = 200
            else:
                response = session.post(base_url + path, data={"csrf_token": token.group(1), **form}, allow_redirects=False)
                expected = 302
            if response.status_code != expected:
                raise RuntimeError(f"learner {n}: {path} answered {response.status_code}, expected {expected}")
        page = session.get(f"{base_url}/courses/{COURSE_SLUG}/modules/{MODULE_KEY}/quiz").text
        quiz = re.search(r'action="/quizzes/(\d+)/start"', page)
        if quiz is None:
            raise RuntimeError(f"learner {n}: the quiz page offers no Start: {page[-2000:]}")
        token = TOKEN.search(page)
        assert token
        return {"learner": n, "quiz": int(quiz.group(1)), "csrf": token.group(1), "cookies": _cookies(session)}


def sign_in_all(base_url: str, learners: int, path: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(lambda n: sign_in(base_url, n), range(1, learners + 1)))
    path.write_text(json.dumps({"target": "app", "learners": rows}))


def bare_learners(learners: int, path: Path) -> None:
    """The bare app knows a learner by a plain cookie; it has no CSRF and one quiz."""
    rows = [
        {
            "learner": n,
            "quiz": 1,
            "csrf": "",
            "cookies": [{"name": "learner", "value": str(n), "domain": "127.0.0.1", "path": "/"}],
        }
        for n in range(1, learners + 1)
    ]
    path.write_text(json.dumps({"target": "bare", "learners": rows}))
