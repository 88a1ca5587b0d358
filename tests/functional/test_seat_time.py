"""Seat time: the server records when a lesson was first opened and completed, enforces a course's minimum time
per lesson whatever the client sends, and reports time on task on the transcript and in the gradebook."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from edu.catalog.models import Course, CourseVersion, LessonCompletion, LessonOpening
from edu.db import session, utcnow
from tests.conftest import assign_instructor, login
from tests.functional.test_catalog import complete, enrol


def _require_minutes(app, minutes: int) -> None:
    """Give the synced mini course a minimum time per lesson (as `completion: minimum_lesson_minutes` would)."""
    with app.app_context():
        version = session.scalar(select(CourseVersion).join(Course, Course.current_version_id == CourseVersion.id))
        rules = dict(version.rules)
        rules["completion"] = {**rules["completion"], "minimum_lesson_minutes": minutes}
        version.rules = rules
        session.commit()


def _completions(app) -> list[str]:
    with app.app_context():
        return list(session.scalars(select(LessonCompletion.lesson_key).order_by(LessonCompletion.lesson_key)))


def _age_opening(app, key: str, minutes: float) -> None:
    """As if the learner had opened the lesson `minutes` ago."""
    with app.app_context():
        opening = session.scalar(select(LessonOpening).where(LessonOpening.lesson_key == key))
        opening.opened_at = utcnow() - timedelta(minutes=minutes)
        session.commit()


def test_completion_before_the_minimum_is_refused_with_a_clear_message_and_nothing_stored(learner, mini_course, app):
    _require_minutes(app, 2)
    enrol(learner)
    page = learner.get("/courses/mini/lessons/first").get_data(as_text=True)
    assert "at least 2 minutes with each lesson" in page
    response = complete(learner, "first")
    assert response.status_code == 302 and response.headers["Location"] == "/courses/mini/lessons/first"
    shown = learner.get("/courses/mini/lessons/first").get_data(as_text=True)
    assert "asks for at least 2 minutes with each lesson before it is marked complete" in shown
    assert _completions(app) == []
    _age_opening(app, "first", 2.5)
    assert complete(learner, "first").headers["Location"] == "/courses/mini/lessons/second"
    assert _completions(app) == ["first"]


def test_a_client_that_posts_completion_without_opening_the_lesson_is_refused(learner, mini_course, app):
    _require_minutes(app, 2)
    enrol(learner)
    response = complete(learner, "second")  # never opened: a hand-made POST
    assert response.status_code == 302
    assert "Open and read the lesson first" in learner.get("/courses/mini/lessons/second").get_data(as_text=True)
    assert _completions(app) == []


def test_reopening_a_lesson_keeps_the_first_opening(learner, mini_course, app):
    enrol(learner)
    learner.get("/courses/mini/lessons/first")
    _age_opening(app, "first", 30)
    learner.get("/courses/mini/lessons/first")
    with app.app_context():
        openings = session.scalars(select(LessonOpening)).all()
        assert len(openings) == 1
        assert utcnow() - openings[0].opened_at >= timedelta(minutes=29)


def test_without_a_minimum_a_lesson_completes_at_once(learner, mini_course, app):
    enrol(learner)
    learner.get("/courses/mini/lessons/first")
    complete(learner, "first")
    assert _completions(app) == ["first"]


def test_time_on_task_shows_on_the_transcript_and_in_the_gradebook(app, mini_course, make_user, learner):
    enrol(learner)
    learner.get("/courses/mini/lessons/first")
    learner.get("/courses/mini/lessons/second")
    _age_opening(app, "first", 12)
    _age_opening(app, "second", 300)  # left open for hours: counts at most an hour
    complete(learner, "first")
    complete(learner, "second")
    transcript = learner.get("/transcript").get_data(as_text=True)
    assert "Time on task" in transcript and "2 of 2" in transcript
    assert "1 h 12 min" in transcript  # 12 min + the 60-minute cap

    make_user("teacher@example.com", "instructor", name="Ida Instructor")
    assign_instructor(app, "teacher@example.com")
    teacher = app.test_client()
    login(teacher, "teacher@example.com")
    book = teacher.get("/instructor/quizzes/courses/mini/gradebook").get_data(as_text=True)
    assert "Time on task" in book and "1 h 12 min" in book and "2/2 lessons" in book
    csv = teacher.get("/instructor/quizzes/courses/mini/gradebook.csv").get_data(as_text=True)
    header, row = csv.lstrip("\ufeff").splitlines()[:2]
    assert header.endswith(": time on task (min)")
    assert row.endswith(",72")


def test_a_learner_with_no_courses_sees_an_empty_state(learner):
    assert "time on task appears here once you enrol" in learner.get("/transcript").get_data(as_text=True)


def test_the_minimum_is_read_from_the_course_file(tmp_path, app):
    """`completion: minimum_lesson_minutes` in course.yaml reaches the synced rules."""
    import shutil

    from tests.conftest import MINI_COURSE, sync_folder

    folder = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, folder)
    text = (folder / "course.yaml").read_text()
    (folder / "course.yaml").write_text(text + "completion: {minimum_lesson_minutes: 3}\n")
    sync_folder(app, folder)
    with app.app_context():
        version = session.scalar(select(CourseVersion))
        assert version.rules["completion"]["minimum_lesson_minutes"] == 3
