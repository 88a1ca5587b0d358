"""The attempt lifecycle against a real database (SQLite and PostgreSQL): quiz definitions from sync, gating,
start/resume, autosave, deadlines owned by the server, exactly-once grading, accommodations."""

from __future__ import annotations

import re
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from edu.auth.models import User
from edu.banks.models import Question, QuestionVersion
from edu.banks.services import as_model
from edu.catalog import services as catalog
from edu.catalog.models import Course
from edu.db import session, utcnow
from edu.errors import Forbidden, Invalid, NotFound
from edu.quizzes import attempts, eligibility, grading, pages
from edu.quizzes.accommodations import set_accommodation
from edu.quizzes.grading_methods import grade_by_method, meets_pass_mark
from edu.quizzes.models import DEFAULT_REVIEW, Attempt, AttemptAnswerEvent, AttemptItem, Quiz, QuizSource
from tests.conftest import MINI_COURSE, assign_instructor, sync_folder


def user(email: str = "learner@example.com") -> User:
    found = session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def mini() -> Course:
    found = session.scalar(select(Course).where(Course.slug == "mini"))
    assert found is not None
    return found


def module_quiz() -> Quiz:
    found = session.scalar(select(Quiz).where(Quiz.kind == "module", Quiz.key == "basics"))
    assert found is not None
    return found


def final_quiz() -> Quiz:
    found = session.scalar(select(Quiz).where(Quiz.kind == "final"))
    assert found is not None
    return found


def prepare(app: Flask, make_user: Any, email: str = "learner@example.com", *, lessons: bool = True) -> int:
    """A learner enrolled in the mini course, with its lessons read (unless told otherwise)."""
    make_user(email)
    with app.app_context():
        learner = user(email)
        catalog.enrol(learner, mini())
        if lessons:
            for key in ("first", "second"):
                catalog.complete_lesson(learner, mini(), key)
        session.commit()
        return learner.id


def key_response(item: AttemptItem) -> Any:
    return grading.key_for(as_model(item.question_version.data))["response"]


def answer_all(learner: User, attempt: Attempt, correct: bool = True) -> None:
    for item in attempt.items:
        response = key_response(item)
        if not correct:
            question = as_model(item.question_version.data)
            response = {
                "single": next((o.id for o in getattr(question, "options", ()) if not o.correct), None),
                "true_false": not response if isinstance(response, bool) else None,
                "ordering": list(reversed(response)) if isinstance(response, list) else None,
                "matching": {k: "Moo" for k in response} if isinstance(response, dict) else None,
                "multiple": [o.id for o in getattr(question, "options", ()) if not o.correct],
            }.get(question.type)
        result = attempts.save_answer(learner, attempt.id, item.slot, response)
        assert result.saved, result.message


# --- quiz definitions from sync ---------------------------------------------------------------------------------------


def test_sync_creates_module_quiz_and_final_exam_with_their_sources(app, mini_course):
    with app.app_context():
        quiz = module_quiz()
        assert (quiz.title, quiz.questions, quiz.pass_mark, quiz.time_limit_minutes, quiz.attempts_allowed) == (
            "Basics: module quiz",
            3,
            60,
            10,
            2,
        )
        assert [(s.kind, s.count) for s in quiz.sources] == [("draw", 3)]
        final = final_quiz()
        assert final.module_key is None and final.questions == 2 and final.pass_mark == 50
        kinds = sorted((s.kind, s.tag, s.count) for s in final.sources)
        assert kinds == [("draw", None, 2), ("minimum", "safety", 1)]


def test_resync_is_idempotent_and_updates_settings_in_place(app, make_user, tmp_path: Path):
    sync_folder(app, MINI_COURSE)
    prepare(app, make_user)
    with app.app_context():
        quiz_id = module_quiz().id
        attempt = attempts.start_attempt(user(), module_quiz())
        frozen = sorted(i.question_version_id for i in attempt.items)
        session.commit()
    status, _banks, quizzes = sync_folder(app, MINI_COURSE)
    assert status == "unchanged" and (quizzes.created, quizzes.updated, quizzes.retired) == (0, 0, 0)

    copy = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, copy)
    module = copy / "modules/basics/module.yaml"
    module.write_text(module.read_text().replace("pass_mark: 60", "pass_mark: 80"))
    bank = copy / "modules/basics/questions.yaml"
    bank.write_text(bank.read_text().replace("Which is right?", "Which one is right?"))
    _status, _banks, quizzes = sync_folder(app, copy)
    assert quizzes.updated == 1 and quizzes.created == 0
    with app.app_context():
        quiz = module_quiz()
        assert quiz.id == quiz_id and quiz.pass_mark == 80
        assert session.scalar(select(func.count(Quiz.id))) == 2
        items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
        assert sorted(i.question_version_id for i in items) == frozen  # the attempt keeps its versions
        assert session.scalar(select(func.count(QuestionVersion.id))) == 6  # one question got a new version


def test_option_feedback_in_the_files_sets_that_part_of_the_review_policy_and_nothing_else(app, make_user, tmp_path):
    """`option_feedback: true` adds the part to what every attempt's review shows; the default (false) is today's
    policy, and removing it from the files takes the part away again. Re-syncing changes nothing."""
    sync_folder(app, MINI_COURSE)
    with app.app_context():
        assert module_quiz().review == DEFAULT_REVIEW and final_quiz().review == DEFAULT_REVIEW
    copy = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, copy)
    module = copy / "modules/basics/module.yaml"
    module.write_text(module.read_text().replace("attempts: 2}", "attempts: 2, option_feedback: true}"))
    _status, _banks, quizzes = sync_folder(app, copy)
    assert (quizzes.created, quizzes.updated) == (0, 1)
    with app.app_context():
        review = module_quiz().review
        assert review["after_submit"] == [*DEFAULT_REVIEW["after_submit"], "option_feedback"]
        assert {k: v for k, v in review.items() if k != "after_submit"} == {
            k: v for k, v in DEFAULT_REVIEW.items() if k != "after_submit"
        }
        assert final_quiz().review == DEFAULT_REVIEW
    assert sync_folder(app, copy)[2].updated == 0
    assert sync_folder(app, MINI_COURSE)[2].updated == 1
    with app.app_context():
        assert module_quiz().review == DEFAULT_REVIEW


def test_a_new_course_quiz_with_option_feedback_starts_with_it(app, tmp_path):
    copy = tmp_path / "mini"
    shutil.copytree(MINI_COURSE, copy)
    course = copy / "course.yaml"
    course.write_text(course.read_text().replace("final_exam:\n", "final_exam:\n  option_feedback: true\n"))
    sync_folder(app, copy)
    with app.app_context():
        assert final_quiz().review["after_submit"] == [*DEFAULT_REVIEW["after_submit"], "option_feedback"]
        assert module_quiz().review == DEFAULT_REVIEW


# --- gating -----------------------------------------------------------------------------------------------------------


def test_gating_requires_enrolment_then_lessons_then_passed_module_quizzes(app, mini_course, make_user):
    make_user("learner@example.com")
    with app.app_context():
        learner = user()
        status = eligibility.quiz_status(learner, module_quiz())
        assert status.reason == "Enrol in the course to take its quizzes." and not status.can_start
        with pytest.raises(Forbidden, match="Enrol"):
            attempts.start_attempt(learner, module_quiz())
        catalog.enrol(learner, mini())
        catalog.complete_lesson(learner, mini(), "first")
        session.commit()
        reason = eligibility.quiz_status(learner, module_quiz()).reason
        assert reason == "Finish the lessons of this module first: you have completed 1 of 2."
        catalog.complete_lesson(learner, mini(), "second")
        session.commit()
        assert eligibility.quiz_status(learner, module_quiz()).can_start
        final = eligibility.quiz_status(learner, final_quiz())
        assert final.reason == "Pass every module quiz first. Still to pass: Basics: module quiz."
        attempt = attempts.start_attempt(learner, module_quiz())
        answer_all(learner, attempt)
        attempts.submit(learner, attempt.id)
        session.commit()
        assert eligibility.quiz_status(learner, final_quiz()).can_start


# --- start and resume -------------------------------------------------------------------------------------------------


def test_start_freezes_questions_order_and_deadline_and_resume_returns_the_same_attempt(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        before = utcnow()
        attempt = attempts.start_attempt(learner, module_quiz())
        session.commit()
        assert attempt.number == 1 and attempt.state == "in_progress"
        assert len(attempt.items) == 3 and [i.slot for i in attempt.items] == [1, 2, 3]
        assert len({i.question_id for i in attempt.items}) == 3
        assert attempt.deadline_at is not None
        assert timedelta(minutes=10) <= attempt.deadline_at - before <= timedelta(minutes=10, seconds=5)
        for item in attempt.items:
            kind = item.question_version.data["type"]
            if kind in ("single", "multiple"):
                assert sorted(item.order) == sorted(o["id"] for o in item.question_version.data["options"])
            if kind == "ordering":
                # a uniform shuffle of the items (the correct order included: excluding it would leak the key)
                assert sorted(item.order) == sorted(i["id"] for i in item.question_version.data["items"])
        again = attempts.start_attempt(learner, module_quiz())
        assert again.id == attempt.id
        assert session.scalar(select(func.count(Attempt.id))) == 1


def test_the_schema_refuses_a_second_attempt_in_progress(app, mini_course, make_user):
    """The partial unique index backs up the service: even a raw insert cannot make two in progress."""
    from sqlalchemy.exc import IntegrityError

    uid = prepare(app, make_user)
    with app.app_context():
        attempts.start_attempt(user(), module_quiz())
        session.commit()
        session.add(Attempt(quiz_id=module_quiz().id, user_id=uid, number=2, seed=1, state="in_progress"))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


# --- saving -----------------------------------------------------------------------------------------------------------


def test_save_answer_validates_records_history_and_clears(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        attempt = attempts.start_attempt(learner, module_quiz())
        session.commit()
        item = attempt.items[0]
        good = key_response(item)
        result = attempts.save_answer(learner, attempt.id, item.slot, good)
        session.commit()
        assert result.saved and result.saved_at is not None
        with pytest.raises(Invalid, match=f"question {item.slot} is not valid"):
            attempts.save_answer(
                learner,
                attempt.id,
                item.slot,
                {"not": ["an", "answer"]} if item.question_version.data["type"] != "matching" else {"p1": "Nonsense"},
            )
        session.rollback()
        stored = session.get(AttemptItem, item.id)
        session.refresh(stored)
        assert stored.response == good  # the invalid save changed nothing
        attempts.save_answer(learner, attempt.id, item.slot, good)  # unchanged: no new history row
        attempts.save_answer(learner, attempt.id, item.slot, None)  # blank clears
        session.commit()
        session.refresh(stored)
        assert stored.response is None
        history = session.scalars(
            select(AttemptAnswerEvent.response).where(AttemptAnswerEvent.item_id == item.id).order_by(AttemptAnswerEvent.id)
        ).all()
        assert history == [good, None]
        with pytest.raises(NotFound):
            attempts.save_answer(learner, attempt.id, 99, "a")


def test_saving_the_page_writes_each_changed_answer_clears_blanks_and_keeps_every_save(app, mini_course, make_user):
    """The plain form's save writes every changed answer in one UPDATE: each item gets its own response, a blank
    clears a saved one, an unchanged one is not written again, and every change is kept in the history."""
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        attempt = attempts.start_attempt(learner, module_quiz())
        session.commit()
        first, second, third = attempt.items
        for item in (first, second):
            assert attempts.save_answer(learner, attempt.id, item.slot, key_response(item)).saved
        session.commit()
        earlier = session.get(AttemptItem, first.id).saved_at
        result = attempts.save_answers(
            learner, attempt.id, {first.slot: key_response(first), second.slot: None, third.slot: key_response(third)}
        )
        session.commit()
        assert result.saved and result.message == "Saved 2 changed answers."
        session.expire_all()
        stored = {i.slot: i for i in session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id))}
        assert [stored[i.slot].response for i in (first, second, third)] == [key_response(first), None, key_response(third)]
        assert stored[first.slot].saved_at == earlier and stored[third.slot].saved_at == result.saved_at
        assert stored[second.slot].saved_at == result.saved_at
        history = {
            i.slot: session.scalars(
                select(AttemptAnswerEvent.response).where(AttemptAnswerEvent.item_id == i.id).order_by(AttemptAnswerEvent.id)
            ).all()
            for i in (first, second, third)
        }
        assert history == {
            first.slot: [key_response(first)],
            second.slot: [key_response(second), None],
            third.slot: [key_response(third)],
        }


def test_late_save_is_refused_the_saved_answer_stays_and_the_attempt_is_graded_from_it(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        attempt = attempts.start_attempt(learner, module_quiz())
        first, second = attempt.items[0], attempt.items[1]
        saved = attempts.save_answer(learner, attempt.id, first.slot, key_response(first))
        session.commit()
        attempt.deadline_at = saved.saved_at + timedelta(milliseconds=1)  # the clock runs out just after that save
        session.commit()
        time.sleep(0.01)
        session.commit()
        result = attempts.save_answer(learner, attempt.id, second.slot, key_response(second))
        session.commit()
        assert not result.saved and result.message.startswith("Time is up")
        session.refresh(attempt)
        assert attempt.state == "submitted" and attempt.closed_by == "timeout" and attempt.graded_at is not None
        assert attempt.score == pytest.approx(1 / 3)
        items = {i.slot: i for i in session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id))}
        assert items[first.slot].response == key_response(first) and items[first.slot].fraction == 1.0
        assert items[second.slot].response is None and items[second.slot].state == "unanswered"
        after = attempts.save_answer(learner, attempt.id, first.slot, None)
        assert not after.saved and "submitted" in after.message


def test_grace_period_refuses_changes_but_allows_submit_until_it_ends(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        quiz = module_quiz()
        quiz.overdue_handling, quiz.grace_minutes = "graceperiod", 5
        attempt = attempts.start_attempt(learner, quiz)
        attempt.deadline_at = utcnow() - timedelta(minutes=1)
        session.commit()
        refused = attempts.save_answer(learner, attempt.id, 1, key_response(attempt.items[0]))
        assert not refused.saved and eligibility.quiz_status(learner, quiz).in_progress is not None
        done = attempts.submit(learner, attempt.id)
        session.commit()
        assert done.state == "submitted" and done.closed_by == "learner"


# --- submitting -------------------------------------------------------------------------------------------------------


def test_submit_grades_once_and_a_second_submit_is_a_no_op(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        attempt = attempts.start_attempt(learner, module_quiz())
        answer_all(learner, attempt)
        session.commit()
        graded = attempts.submit(learner, attempt.id)
        session.commit()
        assert (graded.state, graded.score, graded.passed, graded.closed_by) == ("submitted", 1.0, True, "learner")
        first_graded_at = graded.graded_at
        items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
        assert {i.state for i in items} == {"correct"} and all(i.fraction == 1.0 for i in items)
    with app.app_context():
        again = attempts.submit(user(), attempt.id)
        session.commit()
        assert again.graded_at == first_graded_at and again.score == 1.0


def test_wrong_answers_fail_and_score_is_the_mean_of_item_fractions(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        attempt = attempts.start_attempt(learner, module_quiz())
        answer_all(learner, attempt, correct=False)
        graded = attempts.submit(learner, attempt.id)
        session.commit()
        items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id)).all()
        assert graded.score == pytest.approx(sum(i.fraction for i in items) / 3)
        assert graded.passed is (graded.score * 100 >= 60)


def test_attempt_limit_delay_and_accommodations(app, mini_course, make_user):
    prepare(app, make_user)
    make_user("teacher@example.com", "instructor")
    assign_instructor(app, "teacher@example.com")
    with app.app_context():
        learner, teacher = user(), user("teacher@example.com")
        quiz = module_quiz()
        quiz.delay_minutes = 30
        for _ in range(2):
            attempt = attempts.start_attempt(learner, quiz)
            attempts.submit(learner, attempt.id)
            attempt.submitted_at = utcnow() - timedelta(hours=1)  # waited out the delay
            session.commit()
        status = eligibility.quiz_status(learner, quiz)
        assert status.reason == "You have used all 2 attempts allowed for this quiz." and status.attempts_left == 0
        with pytest.raises(Forbidden, match="used all 2 attempts"):
            attempts.start_attempt(learner, quiz)

        with pytest.raises(Forbidden, match="Only instructors"):
            set_accommodation(learner, learner, quiz, extra_attempts=5)
        with pytest.raises(Invalid, match="multiplier"):
            set_accommodation(teacher, learner, quiz, time_multiplier=0.5)
        set_accommodation(teacher, learner, None, course=mini(), time_multiplier=1.5, extra_minutes=3, extra_attempts=2)
        session.commit()
        status = eligibility.quiz_status(learner, quiz)
        assert status.can_start and status.allowed == 4 and status.time_limit_minutes == 18
        third = attempts.start_attempt(learner, quiz)
        assert third.number == 3
        assert timedelta(minutes=17, seconds=55) < third.deadline_at - third.started_at <= timedelta(minutes=18)
        attempts.submit(learner, third.id)
        session.commit()
        status = eligibility.quiz_status(learner, quiz)
        assert status.reason is not None
        # the site's one way of writing a time and a day: "at 14:05 UTC on 3 December 2026"
        assert re.fullmatch(
            r"You can start your next attempt at \d\d:\d\d UTC on \d{1,2} [A-Z][a-z]+ \d{4} \(\d+ minutes .*\)\.", status.reason
        )
        # the most specific accommodation wins: one for this quiz overrides the course-wide one
        set_accommodation(teacher, learner, quiz, extra_attempts=0)
        session.commit()
        assert eligibility.quiz_status(learner, quiz).allowed == 2


def test_grading_methods():
    quiz = Quiz(grading_method="highest", pass_mark=70)

    def graded(number: int, score: float) -> Attempt:
        return Attempt(number=number, score=score, graded_at=utcnow())

    runs = [graded(1, 0.4), graded(2, 0.9), graded(3, 0.5)]
    assert grade_by_method(quiz.grading_method, runs) == 0.9
    quiz.grading_method = "last"
    assert grade_by_method(quiz.grading_method, runs) == 0.5
    quiz.grading_method = "first"
    assert grade_by_method(quiz.grading_method, runs) == 0.4
    quiz.grading_method = "average"
    assert grade_by_method(quiz.grading_method, runs) == pytest.approx(0.6)
    assert grade_by_method(quiz.grading_method, [Attempt(number=1, score=None, graded_at=None)]) is None
    assert meets_pass_mark(0.7, 70) and not meets_pass_mark(0.69, 70)


def test_another_learners_attempt_is_not_found(app, mini_course, make_user):
    prepare(app, make_user)
    prepare(app, make_user, "other@example.com")
    with app.app_context():
        attempt = attempts.start_attempt(user(), module_quiz())
        session.commit()
        other = user("other@example.com")
        for call in (
            lambda: pages.open_attempt(other, attempt.id),
            lambda: attempts.save_answer(other, attempt.id, 1, "a"),
            lambda: attempts.submit(other, attempt.id),
            lambda: pages.review(other, attempt.id),
        ):
            with pytest.raises(NotFound):
                call()


def test_close_overdue_command_finalises_only_overdue_attempts(app, mini_course, make_user):
    prepare(app, make_user)
    prepare(app, make_user, "other@example.com")
    with app.app_context():
        late = attempts.start_attempt(user(), module_quiz())
        late.deadline_at = utcnow() - timedelta(minutes=1)
        on_time = attempts.start_attempt(user("other@example.com"), module_quiz())
        session.commit()
        late_id, on_time_id = late.id, on_time.id
    runner = app.test_cli_runner()
    result = runner.invoke(args=["quizzes", "close-overdue"])
    assert result.exit_code == 0, result.output
    assert "1 overdue attempt" in result.output
    with app.app_context():
        assert session.get(Attempt, late_id).state == "submitted"
        assert session.get(Attempt, late_id).closed_by == "timeout"
        assert session.get(Attempt, on_time_id).state == "in_progress"


def test_final_exam_sources_drive_the_draw(app, mini_course, make_user):
    prepare(app, make_user)
    with app.app_context():
        learner = user()
        attempt = attempts.start_attempt(learner, module_quiz())
        answer_all(learner, attempt)
        attempts.submit(learner, attempt.id)
        session.commit()
        final = attempts.start_attempt(learner, final_quiz())
        session.commit()
        keys = [session.get(Question, i.question_id).key for i in final.items]
        assert len(keys) == 2 and "q-single" in keys  # the only question tagged safety: the minimum holds
        assert session.scalar(select(func.count(QuizSource.id)).where(QuizSource.quiz_id == final.quiz_id)) == 2
