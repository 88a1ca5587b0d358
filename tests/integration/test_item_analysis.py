"""Item analysis against a real database: the service loads graded attempts and gets stats.py's figures right."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from edu.banks.models import Question
from edu.db import session, utcnow
from edu.errors import Forbidden, Invalid
from edu.quizzes.models import Attempt, AttemptItem, Quiz
from edu.results import analysis, stats


def quiz_id(app: Flask) -> int:
    with app.app_context():
        found = session.scalar(select(Quiz.id).where(Quiz.kind == "module", Quiz.key == "basics"))
        assert found is not None
        return found


def graded(app: Flask, user_id: int, number: int, marks: dict[str, tuple[float, Any]], *, state: str = "submitted") -> int:
    """A graded attempt (inserted directly, so the figures are known): question key -> (fraction, response)."""
    with app.app_context():
        qid = quiz_id(app)
        questions = {q.key: q for q in session.scalars(select(Question))}
        score = sum(f for f, _ in marks.values()) / len(marks)
        attempt = Attempt(
            quiz_id=qid,
            user_id=user_id,
            number=number,
            seed=number,
            state=state,
            score=score,
            passed=score >= 0.6,
            graded_at=utcnow() if state == "submitted" else None,
            submitted_at=utcnow() if state == "submitted" else None,
        )
        session.add(attempt)
        session.flush()
        for slot, (key, (fraction, response)) in enumerate(marks.items(), start=1):
            q = questions[key]
            session.add(
                AttemptItem(
                    attempt_id=attempt.id,
                    slot=slot,
                    question_id=q.id,
                    question_version_id=q.current_version_id,
                    order=[],
                    response=response,
                    fraction=fraction,
                    state="correct" if fraction == 1 else "incorrect",
                )
            )
        session.commit()
        return attempt.id


@pytest.fixture
def teacher(app, mini_course, make_user, teach):
    user_id = make_user("teacher@example.com", "instructor", name="Tess Teacher")
    teach("teacher@example.com")
    return user_id


def actor(app: Flask, user_id: int) -> Any:
    from edu.auth.models import User

    return session.get(User, user_id)


# Four learners; q-single is answered right by strong learners, q-tf by nobody (a wrong key?).
PATTERNS = [
    {"q-single": (1.0, "a"), "q-multiple": (1.0, ["a", "b"]), "q-tf": (0.0, True)},
    {"q-single": (1.0, "a"), "q-multiple": (1.0, ["a", "b"]), "q-tf": (0.0, True)},
    {"q-single": (0.0, "b"), "q-multiple": (0.0, ["c"]), "q-tf": (0.0, True)},
    {"q-single": (0.0, "c"), "q-multiple": (1.0, ["a", "b"]), "q-tf": (0.0, None)},
]


def test_figures_match_stats_py_and_flags_explain_why(app, mini_course, make_user, teacher):
    learners = [make_user(f"l{n}@example.com") for n in range(4)]
    for user_id, marks in zip(learners, PATTERNS, strict=True):
        graded(app, user_id, 1, marks)
    with app.app_context():
        result = analysis.analyse_quiz(actor(app, teacher), quiz_id(app), "all")
        expected = stats.analyse(
            [{k: f for k, (f, _) in p.items()} for p in PATTERNS], {"q-multiple": 1.0, "q-single": 1.0, "q-tf": 1.0}
        )
        assert result.quiz_stats == expected.quiz
        by_key = {i.key: i for i in result.items}
        for key, figures in expected.items.items():
            assert by_key[key].figures == figures
        assert by_key["q-single"].figures.facility == 0.5
        assert by_key["q-tf"].figures.facility == 0.0
        assert by_key["q-tf"].figures.review_reasons == ("too_hard",)
        assert by_key["q-tf"].reasons[0].startswith("Facility below 20 %")
        assert result.small_cohort and result.quiz_stats.attempts == 4
        counts = {label: n for label, n in result.histogram if n}
        assert counts == {"0–9": 1, "30–39": 1, "60–69": 2}  # totals 0, 1/3, 2/3 and 2/3
        # distractors: option counts overall and in the high/low thirds of the score range (totals 2, 2, 0, 1)
        single = {o.id: o for o in by_key["q-single"].options}
        assert single["a"].correct and (
            single["a"].counts.count,
            single["a"].counts.high_count,
            single["a"].counts.low_count,
        ) == (2, 2, 0)
        assert (single["b"].counts.count, single["b"].counts.low_count) == (1, 1)
        assert by_key["q-single"].distractors.unanswered == 0
        assert by_key["q-tf"].distractors is None  # not a choice question
        multiple = {o.id: o.counts.count for o in by_key["q-multiple"].options}
        assert multiple == {"a": 3, "b": 3, "c": 1}


def test_which_attempts_count(app, mini_course, make_user, teacher):
    learner = make_user("l@example.com")
    other = make_user("m@example.com")
    graded(app, learner, 1, {"q-single": (0.0, "b"), "q-tf": (0.0, True)})
    graded(app, learner, 2, {"q-single": (1.0, "a"), "q-tf": (1.0, False)})
    graded(app, learner, 3, {"q-single": (1.0, "a"), "q-tf": (0.0, True)})
    graded(app, other, 1, {"q-single": (1.0, "a"), "q-tf": (1.0, False)})
    graded(app, other, 2, {"q-single": (0.0, "b"), "q-tf": (0.0, True)}, state="in_progress")  # not graded: left out
    with app.app_context():
        me = actor(app, teacher)
        means = {}
        for which in ("first", "highest", "last", "all"):
            result = analysis.analyse_quiz(me, quiz_id(app), which)
            means[which] = (result.quiz_stats.attempts, result.quiz_stats.mean)
        assert means == {"first": (2, 1.0), "highest": (2, 2.0), "last": (2, 1.5), "all": (4, 1.25)}
        assert analysis.analyse_quiz(me, quiz_id(app)).which == "highest"  # the quiz's grading method
        with pytest.raises(Invalid, match="first, highest, last or all"):
            analysis.analyse_quiz(me, quiz_id(app), "best")


def test_no_attempts_and_learners(app, mini_course, make_user, teacher):
    learner = make_user("l@example.com")
    with app.app_context():
        result = analysis.analyse_quiz(actor(app, teacher), quiz_id(app), None)
        assert result.items == [] and result.quiz_stats.attempts == 0 and result.quiz_stats.mean is None
        assert sum(c for _, c in result.histogram) == 0
        with pytest.raises(Forbidden):
            analysis.analyse_quiz(actor(app, learner), quiz_id(app))


def test_items_are_flagged_for_review_only_from_the_small_cohort_threshold_on(app, mini_course, make_user, teacher):
    """Below stats.SMALL_COHORT attempts the figures still explain themselves, but nothing is flagged: one learner
    more or less could move an item past a threshold. From the threshold on, the same figures flag the item."""
    learners = [make_user(f"l{n}@example.com") for n in range(stats.SMALL_COHORT)]
    for n, user_id in enumerate(learners):
        graded(app, user_id, 1, PATTERNS[n % len(PATTERNS)])
        if n == stats.SMALL_COHORT - 2:
            with app.app_context():
                below = analysis.analyse_quiz(actor(app, teacher), quiz_id(app), "all")
    with app.app_context():
        at = analysis.analyse_quiz(actor(app, teacher), quiz_id(app), "all")
    assert below.small_cohort and below.quiz_stats.attempts == stats.SMALL_COHORT - 1
    tf_below = next(i for i in below.items if i.key == "q-tf")
    assert tf_below.figures.review_reasons == ("too_hard",) and tf_below.reasons, "the figures still say why"
    assert below.flagged == [] and not any(i.flagged for i in below.items)
    assert not at.small_cohort and at.quiz_stats.attempts == stats.SMALL_COHORT
    tf = next(i for i in at.items if i.key == "q-tf")
    assert tf.flagged and tf in at.flagged
    assert {i.key for i in at.flagged} == {i.key for i in at.items if i.figures.needs_review}
