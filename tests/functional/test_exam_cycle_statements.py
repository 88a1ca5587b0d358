"""Every step of the exam cycle costs the database a fixed number of statements, whatever the learner's history
(earlier attempts) and whatever the number of questions: start, the attempt page, an autosave, the plain-form save,
the confirm page, submit and review, on SQLite and PostgreSQL.

Counted as the database executes them (`QueryCounter.executed`): an executemany of n rows is n statements, one
multi-row INSERT is one. A step whose cost grew with the quiz or the history (an INSERT or UPDATE per question, the
items of every earlier attempt) shows here as a count that differs between two cycles.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edu.auth.models import User
from edu.banks.models import Question, QuestionBank
from edu.catalog import services as catalog
from edu.catalog.models import Course
from edu.db import database, session
from edu.quizzes import assembly
from edu.quizzes.models import Quiz, QuizSource
from tests.conftest import MINI_COURSE, assign_instructor, csrf_token, sync_folder, transaction_ends
from tests.functional.test_quiz_pages import autosave, enrol_and_read, form_fields, items_of, start

STEPS = ("start", "attempt page", "autosave", "form save", "confirm page", "submit", "review")


def course_of_20(tmp_path: Path) -> Path:
    """The mini course with its five-question bank four times over (20 questions), as course "twenty"."""
    copy = tmp_path / "twenty"
    shutil.copytree(MINI_COURSE, copy)
    course = copy / "course.yaml"
    course.write_text(course.read_text().replace("id: mini", "id: twenty"))
    bank = copy / "modules/basics/questions.yaml"
    header, questions = bank.read_text().split("questions:\n", 1)
    header = header.replace("bank: {id: basics,", "bank: {id: twenty-basics,")
    copies = [re.sub(r"id: (q-[a-z]+)", rf"id: \1-{n}", questions) for n in range(4)]
    bank.write_text(header + "questions:\n" + "".join(copies))
    return copy


def whole_bank_unlimited(app: Flask, slug: str, questions: int) -> int:
    """The course's module quiz draws `questions` questions and allows any number of attempts; its id."""
    with app.app_context():
        quiz = session.scalar(
            select(Quiz).join(Course, Course.id == Quiz.course_id).where(Course.slug == slug, Quiz.kind == "module")
        )
        assert quiz is not None
        quiz.questions, quiz.attempts_allowed = questions, None
        session.scalar(select(QuizSource).where(QuizSource.quiz_id == quiz.id)).count = questions
        session.commit()
        return quiz.id


def cycle(client: FlaskClient, app: Flask, count_queries: Any, slug: str, quiz_id: int) -> dict[str, int]:
    """One full cycle, every answer right (so every measured attempt sees the same review): statements per step."""
    quiz_page = f"/courses/{slug}/modules/basics/quiz"
    token = csrf_token(client, quiz_page)
    counts: dict[str, int] = {}
    with count_queries() as q:
        started = client.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": token})
    assert started.status_code == 302 and "/attempts/" in started.headers["Location"], started.headers["Location"]
    counts["start"] = q.executed
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    page = f"/attempts/{attempt_id}"
    items = items_of(app, attempt_id)
    with count_queries() as q:
        assert client.get(page).status_code == 200
    counts["attempt page"] = q.executed
    slot, _kind, key = items[0]
    with count_queries() as q:
        assert autosave(client, attempt_id, slot, key, token).status_code == 200
    counts["autosave"] = q.executed
    answers: dict[str, Any] = {"csrf_token": token, "action": "finish"}
    for slot, kind, key in items:
        answers.update(form_fields(slot, kind, key))
    with count_queries() as q:
        saved = client.post(f"{page}/save", data=answers)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"{page}/confirm")
    counts["form save"] = q.executed
    with count_queries() as q:
        assert f"You have answered all {len(items)} questions." in client.get(f"{page}/confirm").get_data(as_text=True)
    counts["confirm page"] = q.executed
    with count_queries() as q:
        submitted = client.post(f"{page}/submit", data={"csrf_token": token})
    assert submitted.status_code == 302 and submitted.headers["Location"].endswith(f"{page}/review")
    counts["submit"] = q.executed
    with count_queries() as q:
        review = client.get(f"{page}/review").get_data(as_text=True)
    assert "You scored <strong>100%</strong>" in review
    counts["review"] = q.executed
    return counts


def test_every_step_costs_the_same_statements_at_the_4th_attempt_and_with_20_questions(
    app, learner, mini_course, count_queries, tmp_path
):
    sync_folder(app, course_of_20(tmp_path))
    quizzes = {"mini": whole_bank_unlimited(app, "mini", 5), "twenty": whole_bank_unlimited(app, "twenty", 20)}
    measured: dict[tuple[str, int], dict[str, int]] = {}
    for slug, quiz_id in quizzes.items():
        enrol_and_read(app, slug)
        for number in range(1, 5):
            measured[slug, number] = cycle(learner, app, count_queries, slug, quiz_id)
    first = measured["mini", 1]
    print("\nstatements per step:", {f"{slug} #{n}": list(c.values()) for (slug, n), c in measured.items()}, STEPS)
    for (slug, number), counts in measured.items():
        assert counts == first, (slug, number, counts, first)


def test_the_attempt_and_confirm_pages_end_their_transaction_with_a_commit(app, learner, mini_course):
    """After a ROLLBACK psycopg forgets every statement it prepared on the connection (DEALLOCATE ALL), so the server
    would parse and plan them again on the next request: the pages that only read commit instead."""
    enrol_and_read(app)
    attempt_id = start(learner, app)
    with app.app_context():
        engine = database().engine
    with transaction_ends(engine) as ended:
        for page in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/confirm"):
            ended.clear()
            assert learner.get(page).status_code == 200
            assert ended == ["COMMIT"], (page, ended)


def test_an_authored_quiz_starts_without_reading_lessons(app, learner, make_user, mini_course, count_queries):
    """An authored quiz belongs to no module, so no lessons gate it: starting one reads no lesson or completion
    (it read both, to find nothing to gate)."""
    make_user("tess@example.com", "instructor", name="Tess Teacher")
    assign_instructor(app, "tess@example.com")
    with app.app_context():
        course = session.scalar(select(Course).where(Course.slug == "mini"))
        question = session.scalar(
            select(Question.id).join(QuestionBank, QuestionBank.id == Question.bank_id).where(Question.key == "q-tf")
        )
        teacher = session.scalar(select(User).where(User.email == "tess@example.com"))
        quiz_id = assembly.create_quiz(teacher, assembly.QuizSpec(title="Authored", course_id=course.id, fixed=[question])).id
        catalog.enrol(session.scalar(select(User).where(User.email == "learner@example.com")), course)  # lessons unread
        session.commit()
    token = csrf_token(learner, "/courses/mini")
    with count_queries() as q:
        started = learner.post(f"/quizzes/{quiz_id}/start", data={"csrf_token": token})
    assert started.status_code == 302 and "/attempts/" in started.headers["Location"], started.headers["Location"]
    assert [s for s in q.statements if re.search(r"\b(lessons|lesson_completions)\b", s)] == []
