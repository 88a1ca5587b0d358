"""Syncing course files into the database: idempotent, versioned, nothing lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edu.banks.models import Question, QuestionVersion
from edu.catalog.models import Asset, Course, CourseVersion, Lesson
from edu.db import session
from tests.conftest import MINI_COURSE, sync_folder


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, target)
    return target


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Course, CourseVersion, Lesson, Asset, Question, QuestionVersion)
        }


def test_first_sync_creates_then_resync_changes_nothing(app, folder):
    status, banks, _quizzes = sync_folder(app, folder)
    assert status == "created"
    assert (banks.new_questions, banks.new_versions) == (5, 5)
    first = counts(app)
    assert first == {"Course": 1, "CourseVersion": 1, "Lesson": 2, "Asset": 1, "Question": 5, "QuestionVersion": 5}
    status, banks, _quizzes = sync_folder(app, folder)
    assert status == "unchanged"
    assert (banks.new_questions, banks.new_versions, banks.retired) == (0, 0, 0)
    assert counts(app) == first


def test_edited_lesson_makes_a_new_version_and_the_old_stays_readable(app, folder):
    sync_folder(app, folder)
    lesson = folder / "modules/basics/lessons/02-second.md"
    lesson.write_text(lesson.read_text().replace("Second lesson text.", "Second lesson text, revised."))
    status, banks, _quizzes = sync_folder(app, folder)
    assert status == "updated" and banks.new_versions == 0
    with app.app_context():
        versions = session.scalars(select(CourseVersion).order_by(CourseVersion.id)).all()
        assert len(versions) == 2
        course = session.scalar(select(Course))
        assert course.current_version_id == versions[1].id
        old = session.scalar(select(Lesson).where(Lesson.course_version_id == versions[0].id, Lesson.key == "second"))
        new = session.scalar(select(Lesson).where(Lesson.course_version_id == versions[1].id, Lesson.key == "second"))
        assert "revised" not in old.html and "revised" in new.html
        assert session.scalar(select(func.count()).select_from(Asset)) == 1  # the unchanged figure is stored once


def test_edited_question_gets_a_new_version_and_keeps_the_old(app, folder):
    sync_folder(app, folder)
    bank = folder / "modules/basics/questions.yaml"
    bank.write_text(bank.read_text().replace("prompt: Which is right?", "prompt: Which one is right?"))
    _, banks, _quizzes = sync_folder(app, folder)
    assert banks.new_versions == 1 and banks.new_questions == 0
    with app.app_context():
        question = session.scalar(select(Question).where(Question.key == "q-single"))
        versions = session.scalars(
            select(QuestionVersion).where(QuestionVersion.question_id == question.id).order_by(QuestionVersion.number)
        ).all()
        assert [v.number for v in versions] == [1, 2]
        assert versions[0].data["prompt"] == "Which is right?"
        assert question.current_version_id == versions[1].id


def test_removed_question_is_retired_not_deleted_and_returns_when_restored(app, folder):
    sync_folder(app, folder)
    bank = folder / "modules/basics/questions.yaml"
    original = bank.read_text()
    start = original.index("  - id: q-order")
    bank.write_text(original[:start])
    (folder / "modules/basics/module.yaml").write_text((folder / "modules/basics/module.yaml").read_text())
    _, banks, _quizzes = sync_folder(app, folder)
    assert banks.retired == 1
    with app.app_context():
        retired = session.scalar(select(Question).where(Question.key == "q-order"))
        assert retired.retired_at is not None
    bank.write_text(original)
    sync_folder(app, folder)
    with app.app_context():
        assert session.scalar(select(Question).where(Question.key == "q-order")).retired_at is None
        assert session.scalar(select(func.count()).select_from(QuestionVersion)) == 5


def test_real_course_syncs(app):
    course_dir = Path(__file__).resolve().parents[2] / "courses" / "dry-needling"
    status, banks, _quizzes = sync_folder(app, course_dir)
    assert status == "created"
    assert banks.new_questions >= 8 * 12
    with app.app_context():
        assert session.scalar(select(func.count()).select_from(Lesson)) >= 24
        assert session.scalar(select(func.count()).select_from(Asset)) >= 8


def test_foreign_keys_are_enforced_in_every_test(app):
    """The harness must never leave SQLite's foreign key checks off (a wipe between tests once did)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        if session.get_bind().dialect.name == "sqlite":
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        with pytest.raises(IntegrityError):
            session.execute(
                text(
                    "INSERT INTO lessons (course_version_id, module_id, key, position, title, html, words, reading_minutes) VALUES (999, 999, 'x', 0, 't', '', 0, 1)"
                )
            )
            session.flush()
        session.rollback()
