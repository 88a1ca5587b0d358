"""Gradebook services on SQLite and PostgreSQL: the grid, the quiz list, one attempt in full, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from edu.db import session
from edu.errors import Forbidden, NotFound
from edu.quizzes.models import Quiz
from edu.results import gradebook
from tests.integration.test_regrade import course_copy, enrol, module_quiz, take, user


@pytest.fixture
def graded(app, make_user, tmp_path):
    """ann: 0.8 then 1.0 (two attempts); bob: 0.4 (fail); cat: enrolled, no attempt; teacher: an instructor."""
    from tests.conftest import assign_instructor, sync_folder

    sync_folder(app, course_copy(tmp_path))
    make_user("teacher@example.com", "instructor", name="Tess Teacher")
    assign_instructor(app, "teacher@example.com")
    enrol(app, make_user, "ann@example.com", "Ann Able")
    enrol(app, make_user, "bob@example.com", '=HYPERLINK("x") Bob')
    enrol(app, make_user, "cat@example.com", "Cat Calm")
    ids = {
        "ann1": take(app, "ann@example.com", ("q-single",)),
        "ann2": take(app, "ann@example.com"),
        "bob": take(app, "bob@example.com", ("q-single", "q-tf", "q-match")),
    }
    return ids


def test_course_gradebook_has_every_learner_and_quiz_with_grade_best_attempts_and_result(app, graded):
    with app.app_context():
        book = gradebook.course_gradebook(user("teacher@example.com"), "mini")
        assert [q.kind for q in book.quizzes] == ["module", "final"]
        rows = {r.learner.email: r.cells for r in book.rows}
        assert set(rows) == {"ann@example.com", "bob@example.com", "cat@example.com"}  # not the instructor
        ann, bob, cat = rows["ann@example.com"][0], rows["bob@example.com"][0], rows["cat@example.com"][0]
        assert (ann.grade, ann.best, ann.used, ann.result) == (1.0, 1.0, 2, "pass")
        assert (round(bob.grade, 6), bob.used, bob.passed, bob.result) == (0.4, 1, False, "fail")
        assert (cat.grade, cat.used, cat.result) == (None, 0, "not attempted")
        assert rows["ann@example.com"][1].result == "not attempted"  # the final exam
        quiz = module_quiz()
        quiz.grading_method = "first"
        session.flush()
        book = gradebook.course_gradebook(user("teacher@example.com"), "mini")
        ann = next(r for r in book.rows if r.learner.email == "ann@example.com").cells[0]
        assert (round(ann.grade, 6), ann.best, ann.result) == (0.8, 1.0, "pass")
        session.rollback()


def test_quiz_gradebook_and_csv(app, graded):
    with app.app_context():
        book = gradebook.quiz_gradebook(user("teacher@example.com"), module_quiz().id)
        assert book.filename.startswith(f"gradebook-mini-quiz-{module_quiz().id}-") and book.filename.endswith(".csv")
        text = gradebook.gradebook_csv(book)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "Learner",
        "Email",
        "Basics: module quiz: grade (%)",
        "Basics: module quiz: best (%)",
        "Basics: module quiz: attempts",
        "Basics: module quiz: result",
    ]
    by_email = {r[1]: r for r in rows[1:]}
    assert by_email["ann@example.com"] == ["Ann Able", "ann@example.com", "100.0", "100.0", "2", "pass"]
    assert by_email["bob@example.com"][0].startswith("'=HYPERLINK")  # a formula stays text in a spreadsheet
    assert by_email["bob@example.com"][2:] == ["40.0", "40.0", "1", "fail"]
    assert by_email["cat@example.com"][2:] == ["", "", "0", "not attempted"]


def test_quiz_overview_counts_attempts_mean_and_pass_rate(app, graded):
    with app.app_context():
        summaries = {s.quiz.kind: s for s in gradebook.quiz_overview(user("teacher@example.com"))}
        module = summaries["module"]
        assert (module.attempts, module.learners, module.passed) == (3, 2, 2)
        assert module.mean == pytest.approx((0.8 + 1.0 + 0.4) / 3) and module.pass_rate == pytest.approx(2 / 3)
        assert (summaries["final"].attempts, summaries["final"].mean, summaries["final"].pass_rate) == (0, None, None)


def test_attempt_detail_shows_version_response_key_mark_and_saves(app, graded):
    with app.app_context():
        detail = gradebook.attempt_detail(user("teacher@example.com"), graded["ann1"])
        assert detail.learner.email == "ann@example.com" and len(detail.items) == 5
        single = next(i for i in detail.items if i.question_key == "q-single")
        assert (single.version, single.current_version, single.response, single.key) == (1, 1, ["Wrong"], ["Right"])
        assert (single.fraction, single.state) == (0.0, "incorrect")
        assert len(single.history) == 1 and single.history[0].lines == ["Wrong"] and single.saved_at is not None
        order = next(i for i in detail.items if i.question_key == "q-order")
        assert order.key == ["1. First", "2. Second", "3. Third"] and order.fraction == 1.0


def test_learners_are_refused_and_unknown_ids_are_not_found(app, graded):
    with app.app_context():
        ann = user("ann@example.com")
        for call in (
            lambda: gradebook.course_gradebook(ann, "mini"),
            lambda: gradebook.quiz_gradebook(ann, module_quiz().id),
            lambda: gradebook.attempt_detail(ann, graded["ann1"]),
            lambda: gradebook.quiz_overview(ann),
        ):
            with pytest.raises(Forbidden):
                call()
        teacher = user("teacher@example.com")
        missing = (session.scalar(select(Quiz.id).order_by(Quiz.id.desc())) or 0) + 100
        with pytest.raises(NotFound):
            gradebook.quiz_gradebook(teacher, missing)
        with pytest.raises(NotFound):
            gradebook.attempt_detail(teacher, 10_000)
        with pytest.raises(NotFound):
            gradebook.course_gradebook(teacher, "nope")
