""" "Unlimited attempts" is stored as no limit, whichever way a quiz is made.

The column carried a Python default of 3, and SQLAlchemy fills a column's default in an INSERT whose value is None:
a quiz authored with a blank "Attempts allowed", or a course quiz with `attempts: null`, came out allowing 3.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from edu.catalog.models import Course
from edu.db import session
from edu.quizzes.models import Quiz
from tests.conftest import MINI_COURSE, sync_folder


def test_a_quiz_made_with_no_attempt_limit_keeps_none(app, mini_course):
    with app.app_context():
        course = session.scalars(select(Course)).one()
        quiz = Quiz(course_id=course.id, kind="module", key="open", title="Practice", questions=2, attempts_allowed=None)
        session.add(quiz)
        session.commit()
        session.expire_all()
        assert session.get(Quiz, quiz.id).attempts_allowed is None  # type: ignore[union-attr]


def test_a_course_quiz_with_attempts_null_is_synced_as_unlimited(app, tmp_path: Path):
    copy = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, copy)
    module = copy / "modules/basics/module.yaml"
    module.write_text(module.read_text().replace("attempts: 2", "attempts: null"))
    sync_folder(app, copy)
    with app.app_context():
        quiz = session.scalars(select(Quiz).where(Quiz.kind == "module")).one()
        assert quiz.attempts_allowed is None
