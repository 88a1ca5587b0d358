"""Attempt limits and exactly-once grading under concurrent requests.

The threaded tests run on PostgreSQL only: SQLite serialises writers (one write transaction at a time for the
whole file), so racing requests there cannot interleave the way they do on a server database. The sequential
double submit runs on both.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from edu.db import database, session
from edu.extensions import limiter
from edu.quizzes.models import Attempt, AttemptItem, Quiz
from tests.conftest import csrf_token, login
from tests.integration.test_attempts import prepare

THREADS = 8
QUIZ_PAGE = "/courses/mini/modules/basics/quiz"


def postgres_only(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite serialises writers, so concurrent requests cannot race there; this runs on PostgreSQL")


def clients(app: Flask, n: int, page: str) -> list[tuple[FlaskClient, str]]:
    """n browsers of the same learner, each with its own login session and CSRF token."""
    out = []
    for _ in range(n):
        limiter.reset()  # n logins in a row would trip the login rate limit
        client = app.test_client()
        assert login(client, "learner@example.com").status_code == 302
        out.append((client, csrf_token(client, page)))
    return out


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at the same instant (a barrier lines the threads up); return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # collected and asserted on below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def one_attempt_quiz(app: Flask) -> int:
    with app.app_context():
        quiz = session.scalar(select(Quiz).where(Quiz.kind == "module"))
        quiz.attempts_allowed = 1
        session.commit()
        return quiz.id


def test_concurrent_starts_make_exactly_one_attempt(app, backend, mini_course, make_user):
    postgres_only(backend)
    prepare(app, make_user)
    quiz_id = one_attempt_quiz(app)
    browsers = clients(app, THREADS, QUIZ_PAGE)
    responses = race([lambda c=c, t=t: c.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": t}) for c, t in browsers])
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [302] * THREADS
    locations = {r.headers["Location"] for r in responses}
    assert len(locations) == 1 and re.search(r"/attempts/\d+$", locations.pop())
    with app.app_context():
        assert session.scalar(select(func.count(Attempt.id))) == 1
        assert session.scalar(select(func.count(AttemptItem.id))) == 3

    # the one allowed attempt is used up: a second wave of starts is refused, still one attempt
    attempt_id = int(next(iter({r.headers["Location"] for r in responses})).rsplit("/", 1)[1])
    client, token = browsers[0]
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    again = race([lambda c=c, t=t: c.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": t}) for c, t in browsers])
    assert all(r.status_code == 302 and r.headers["Location"].endswith(QUIZ_PAGE) for r in again)
    assert "You have used all 1 attempt allowed for this quiz." in client.get(QUIZ_PAGE).get_data(as_text=True)
    with app.app_context():
        assert session.scalar(select(func.count(Attempt.id))) == 1


def test_concurrent_submits_grade_exactly_once(app, backend, mini_course, make_user):
    postgres_only(backend)
    prepare(app, make_user)
    browsers = clients(app, THREADS, QUIZ_PAGE)
    client, token = browsers[0]
    response = client.post(f"/quizzes/{one_attempt_quiz(app)}/start", data={"csrf_token": token})
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])

    claims: list[int] = []
    with app.app_context():
        engine = database().engine

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().startswith("UPDATE attempts SET") and "graded_at" in statement:
            claims.append(cursor.rowcount)

    event.listen(engine, "after_cursor_execute", after)
    try:
        responses = race([lambda c=c, t=t: c.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": t}) for c, t in browsers])
    finally:
        event.remove(engine, "after_cursor_execute", after)
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [302] * THREADS
    assert all(r.headers["Location"].endswith(f"/attempts/{attempt_id}/review") for r in responses)
    assert claims.count(1) == 1, f"exactly one grading claimed the attempt: {claims}"
    with app.app_context():
        attempt = session.get(Attempt, attempt_id)
        assert attempt.state == "submitted" and attempt.graded_at is not None and attempt.score == 0.0
        assert session.scalar(select(func.count(Attempt.id))) == 1
    reviews = {
        c.get(f"/attempts/{attempt_id}/review").get_data(as_text=True).count("You scored <strong>0%</strong>")
        for c, _ in browsers
    }
    assert reviews == {1}


def test_double_submit_in_sequence_gives_one_result(app, mini_course, make_user):
    """Both backends: the second submit is a no-op that shows the first result."""
    prepare(app, make_user)
    ((client, token),) = clients(app, 1, QUIZ_PAGE)
    response = client.post(f"/quizzes/{one_attempt_quiz(app)}/start", data={"csrf_token": token})
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    first = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    with app.app_context():
        graded_at = session.get(Attempt, attempt_id).graded_at
    second = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert first.headers["Location"] == second.headers["Location"]
    assert "You scored <strong>0%</strong>" in client.get(second.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert session.get(Attempt, attempt_id).graded_at == graded_at
        assert session.scalar(select(func.count(Attempt.id))) == 1
