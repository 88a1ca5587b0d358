"""Shared helpers for the certificate tests: a learner who has (or has not) completed the mini course.

Attempts are written as rows rather than driven through the quiz engine, so these tests pin the completion rule
itself (grading methods, pass marks, cycles) and stay independent of how attempts are taken.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select, update

from edu.auth.models import User
from edu.catalog import services as catalog
from edu.catalog.models import Course, LessonCompletion
from edu.db import session
from edu.quizzes.models import Attempt, Quiz


def user(email: str = "learner@example.com") -> User:
    found = session.scalar(select(User).where(User.email == email))
    assert found is not None
    return found


def mini() -> Course:
    found = session.scalar(select(Course).where(Course.slug == "mini"))
    assert found is not None
    return found


def quiz(kind: str) -> Quiz:
    found = session.scalar(select(Quiz).where(Quiz.kind == kind, Quiz.course_id == mini().id))
    assert found is not None
    return found


def graded_attempt(user_id: int, quiz_: Quiz, score: float, at: datetime) -> Attempt:
    number = (
        session.scalar(select(func.max(Attempt.number)).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_.id)) or 0
    ) + 1
    attempt = Attempt(
        quiz_id=quiz_.id,
        user_id=user_id,
        number=number,
        seed=secrets.randbelow(2**31),
        started_at=at,
        submitted_at=at,
        closed_by="learner",
        state="submitted",
        score=score,
        passed=score * 100 >= quiz_.pass_mark,
        graded_at=at,
    )
    session.add(attempt)
    session.flush()
    return attempt


def enrolled(
    app: Flask, make_user: Any, email: str = "learner@example.com", *roles: str, lessons: bool = True, name: str = "Lee Learner"
) -> int:
    make_user(email, *roles, name=name)
    with app.app_context():
        learner = user(email)
        catalog.enrol(learner, mini())
        if lessons:
            for key in ("first", "second"):
                catalog.complete_lesson(learner, mini(), key)
        session.commit()
        return learner.id


def pass_everything(user_id: int, at: datetime, final_score: float = 1.0) -> Attempt:
    """Pass the module quiz and the final exam (inside an app context; flushes, the caller commits). Lessons are
    dated to `at` too, so a test can place the whole completion in the past."""
    session.execute(update(LessonCompletion).where(LessonCompletion.user_id == user_id).values(completed_at=at))
    graded_attempt(user_id, quiz("module"), 1.0, at)
    return graded_attempt(user_id, quiz("final"), final_score, at)


def revoke_as_admin(app: Flask, make_user: Any, certificate_id: int, email: str = "admin@example.com") -> None:
    """Create an administrator and revoke the certificate as them (category "other"), committed."""
    from edu.certificates import revocation
    from edu.certificates.models import Certificate

    make_user(email, "admin")
    with app.app_context():
        revocation.revoke(user(email), session.get(Certificate, certificate_id), "other", "x")  # type: ignore[arg-type]
        session.commit()
