"""Regrading after a corrected key, on SQLite and PostgreSQL: the dry run says who changes, the regrade applies that in
one go, records who/when/which versions, keeps each attempt's frozen version, and is idempotent."""

from __future__ import annotations

import shutil
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
from edu.db import session
from edu.errors import Conflict, Forbidden
from edu.quizzes import attempts, eligibility, grading
from edu.quizzes.models import Attempt, AttemptItem, Quiz
from edu.results import regrade
from edu.results.models import RegradeChange, RegradeItem, RegradeRun
from tests.conftest import MINI_COURSE, assign_instructor, sync_folder

WRONG: dict[str, Any] = {
    "q-single": "b",
    "q-multiple": ["c"],
    "q-tf": True,
    "q-match": {"p1": "Moo", "p2": "Moo"},
    "q-order": ["i3", "i2", "i1"],
}


def course_copy(tmp_path: Path, questions: int = 5) -> Path:
    """The mini course with a module quiz that asks every question of its bank (so attempts are deterministic)."""
    copy = tmp_path / "mini"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(MINI_COURSE, copy)
    module = copy / "modules/basics/module.yaml"
    module.write_text(module.read_text().replace("questions: 3", f"questions: {questions}").replace("attempts: 2", "attempts: 5"))
    return copy


def fix_single_key(copy: Path) -> None:
    """The "corrected key": option b of q-single becomes the right answer."""
    bank = copy / "modules/basics/questions.yaml"
    text = bank.read_text()
    text = text.replace("{id: a, text: Right, correct: true}", "{id: a, text: Right, feedback: Not this one after all.}")
    text = text.replace("{id: b, text: Wrong, feedback: Not this one.}", "{id: b, text: Wrong, correct: true}")
    bank.write_text(text)


def user(email: str) -> User:
    found = session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def module_quiz() -> Quiz:
    found = session.scalar(select(Quiz).where(Quiz.kind == "module", Quiz.key == "basics"))
    assert found is not None
    return found


def enrol(app: Flask, make_user: Any, email: str, name: str | None = None) -> int:
    make_user(email, name=name or email.split("@")[0].title())
    with app.app_context():
        learner = user(email)
        course = session.scalar(select(Course).where(Course.slug == "mini"))
        assert course is not None
        catalog.enrol(learner, course)
        for key in ("first", "second"):
            catalog.complete_lesson(learner, course, key)
        session.commit()
        return learner.id


def take(app: Flask, email: str, wrong: tuple[str, ...] = (), *, submit: bool = True) -> int:
    """One attempt at the module quiz: every question right except the keys in `wrong`; returns the attempt id."""
    with app.app_context():
        learner = user(email)
        attempt = attempts.start_attempt(learner, module_quiz())
        for item in attempt.items:
            key = session.get(Question, item.question_id).key
            question = as_model(item.question_version.data)
            response = WRONG[key] if key in wrong else grading.key_for(question)["response"]
            assert attempts.save_answer(learner, attempt.id, item.slot, response).saved
        if submit:
            attempts.submit(learner, attempt.id)
        session.commit()
        return attempt.id


@pytest.fixture
def cohort(app: Flask, make_user: Any, tmp_path: Path) -> dict[str, Any]:
    """Three learners took the 5-question quiz (pass mark 60 %) under the wrong key for q-single, then the key was fixed.

    ann answered everything "right" (1.0) -> 0.8, still passes; bob chose the truly right b (0.8) -> 1.0;
    cat chose a and got two others wrong (0.6, pass) -> 0.4, fail.
    """
    copy = course_copy(tmp_path)
    sync_folder(app, copy)
    make_user("teacher@example.com", "instructor", name="Tess Teacher")
    assign_instructor(app, "teacher@example.com")
    for email in ("ann@example.com", "bob@example.com", "cat@example.com"):
        enrol(app, make_user, email)
    ids = {
        "ann": take(app, "ann@example.com"),
        "bob": take(app, "bob@example.com", ("q-single",)),
        "cat": take(app, "cat@example.com", ("q-tf", "q-match")),
    }
    fix_single_key(copy)
    sync_folder(app, copy)
    return {"attempts": ids, "copy": copy}


def scores(app: Flask, ids: dict[str, int]) -> dict[str, tuple[float, bool]]:
    with app.app_context():
        out = {}
        for name, attempt_id in ids.items():
            attempt = session.get(Attempt, attempt_id)
            out[name] = (round(attempt.score, 6), attempt.passed)
        return out


def test_dry_run_lists_old_and_new_scores_and_changes_nothing(app, cohort):
    before = scores(app, cohort["attempts"])
    assert before == {"ann": (1.0, True), "bob": (0.8, True), "cat": (0.6, True)}
    with app.app_context():
        plan = regrade.plan_regrade(user("teacher@example.com"), module_quiz().id)
        assert [(v.key, v.from_numbers, v.to_number, v.items) for v in plan.versions] == [("q-single", (1,), 2, 3)]
        changes = {
            c.learner.email.split("@")[0]: (round(c.old_score, 6), round(c.new_score, 6), c.direction) for c in plan.changed
        }
        assert changes == {
            "ann": (1.0, 0.8, None),
            "bob": (0.8, 1.0, None),
            "cat": (0.6, 0.4, "pass → fail"),
        }
        assert (plan.pass_to_fail, plan.fail_to_pass, plan.unchanged) == (1, 0, 0)
        session.rollback()
    assert scores(app, cohort["attempts"]) == before
    with app.app_context():
        assert session.scalar(select(func.count(RegradeRun.id))) == 0


def test_regrade_applies_records_and_keeps_the_frozen_versions(app, cohort):
    with app.app_context():
        teacher = user("teacher@example.com")
        plan = regrade.plan_regrade(teacher, module_quiz().id)
        run = regrade.apply_regrade(teacher, module_quiz().id, plan.fingerprint)
        session.commit()
        assert run is not None
        run_id = run.id
    assert scores(app, cohort["attempts"]) == {"ann": (0.8, True), "bob": (1.0, True), "cat": (0.4, False)}
    with app.app_context():
        run = session.get(RegradeRun, run_id)
        assert run.user_id == user("teacher@example.com").id and run.created_at is not None
        assert run.summary == {"attempts": 3, "items": 3, "changed": 3, "pass_to_fail": 1, "fail_to_pass": 0}
        assert [(v["key"], v["from"], v["to"]) for v in run.versions] == [("q-single", [1], 2)]
        changes = {c.attempt_id: (round(c.old_score, 6), round(c.new_score, 6), c.old_passed, c.new_passed) for c in run.changes}
        assert changes[cohort["attempts"]["cat"]] == (0.6, 0.4, True, False)
        single = session.scalar(select(Question).where(Question.key == "q-single"))
        v1 = session.scalar(
            select(QuestionVersion.id).where(QuestionVersion.question_id == single.id, QuestionVersion.number == 1)
        )
        items = session.scalars(select(AttemptItem).where(AttemptItem.question_id == single.id)).all()
        assert len(items) == 3 and {i.question_version_id for i in items} == {v1}  # history keeps the version taken
        pointers = session.scalars(select(RegradeItem).where(RegradeItem.run_id == run_id)).all()
        assert {(p.from_version_id, p.to_version_id) for p in pointers} == {(v1, single.current_version_id)}
        bob_item = next(i for i in items if i.attempt_id == cohort["attempts"]["bob"])
        assert (bob_item.fraction, bob_item.state, bob_item.response) == (1.0, "correct", "b")  # response kept
        # the quiz grade follows: cat has now failed the quiz, so the final exam is closed to her again
        cat = user("cat@example.com")
        assert not eligibility.quiz_status(cat, module_quiz()).passed


def test_regrading_twice_changes_nothing_the_second_time(app, cohort):
    with app.app_context():
        teacher = user("teacher@example.com")
        assert regrade.apply_regrade(teacher, module_quiz().id) is not None
        session.commit()
        after_first = scores(app, cohort["attempts"])
        plan = regrade.plan_regrade(teacher, module_quiz().id)
        assert plan.nothing_to_do and plan.attempts == []
        assert regrade.apply_regrade(teacher, module_quiz().id) is None
        session.commit()
        assert session.scalar(select(func.count(RegradeRun.id))) == 1
        assert session.scalar(select(func.count(RegradeChange.id))) == 3
    assert scores(app, cohort["attempts"]) == after_first


def test_a_second_correction_regrades_against_the_newest_version(app, cohort):
    with app.app_context():
        regrade.apply_regrade(user("teacher@example.com"), module_quiz().id)
        session.commit()
    bank = cohort["copy"] / "modules/basics/questions.yaml"
    bank.write_text(
        bank.read_text()
        .replace("{id: a, text: Right, feedback: Not this one after all.}", "{id: a, text: Right, correct: true}")
        .replace("{id: b, text: Wrong, correct: true}", "{id: b, text: Wrong, feedback: No.}")
    )
    sync_folder(app, cohort["copy"])
    with app.app_context():
        plan = regrade.plan_regrade(user("teacher@example.com"), module_quiz().id)
        assert [(v.from_numbers, v.to_number) for v in plan.versions] == [((2,), 3)]
        regrade.apply_regrade(user("teacher@example.com"), module_quiz().id)
        session.commit()
    assert scores(app, cohort["attempts"]) == {"ann": (1.0, True), "bob": (0.8, True), "cat": (0.6, True)}


def test_a_stale_dry_run_is_refused_and_in_progress_attempts_are_left_alone(app, cohort, make_user):
    with app.app_context():
        stale = regrade.plan_regrade(user("teacher@example.com"), module_quiz().id).fingerprint
        session.rollback()
    enrol(app, make_user, "dan@example.com")
    take(app, "dan@example.com", submit=False)  # in progress: graded at submit, not regraded now
    take(app, "ann@example.com")  # a new graded attempt under the fixed key: nothing to regrade in it
    enrol(app, make_user, "eve@example.com")
    with app.app_context():
        # a graded attempt taken with the old version arrives after the dry run: the plan moved on
        eve = user("eve@example.com")
        old = session.scalar(
            select(QuestionVersion.id)
            .join(Question, Question.id == QuestionVersion.question_id)
            .where(Question.key == "q-single", QuestionVersion.number == 1)
        )
        attempt = attempts.start_attempt(eve, module_quiz())
        for item in attempt.items:
            if session.get(Question, item.question_id).key == "q-single":
                item.question_version_id = old
        session.commit()
        attempts.submit(eve, attempt.id)
        session.commit()
        with pytest.raises(Conflict, match="changed since your dry run"):
            regrade.apply_regrade(user("teacher@example.com"), module_quiz().id, stale)
        session.rollback()
        plan = regrade.plan_regrade(user("teacher@example.com"), module_quiz().id)
        assert len(plan.attempts) == 4  # ann's first, bob, cat, eve; not dan (in progress) nor ann's second
        assert session.scalar(select(func.count(RegradeRun.id))) == 0


def test_learners_cannot_regrade(app, cohort):
    with app.app_context():
        with pytest.raises(Forbidden):
            regrade.plan_regrade(user("ann@example.com"), module_quiz().id)
        with pytest.raises(Forbidden):
            regrade.apply_regrade(user("ann@example.com"), module_quiz().id)
