"""May this learner start an attempt now? Attempts left (with accommodations), the wait between attempts, the
module's lessons read, every module quiz passed before the final exam; and what the quiz page says about it.

Asking finalises the learner's overdue attempts first (edu.quizzes.marking), so the answer never counts an attempt
whose time ran out as still in progress.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select

from edu.auth.models import User
from edu.catalog.models import Course, Enrolment, Lesson, LessonCompletion, Module
from edu.db import session, utcnow
from edu.errors import NotFound
from edu.presentation import clock, day

from .accommodations import Allowance, allowance
from .grading_methods import grade_by_method, meets_pass_mark
from .marking import finalise, is_overdue
from .models import Attempt, Quiz


@dataclass
class QuizStatus:
    quiz: Quiz
    course: Course
    enrolled: bool
    attempts: list[Attempt]
    allowance: Allowance
    reason: str | None = None
    """Why the learner cannot start an attempt now (None: they can, or can resume)."""
    available_at: datetime | None = None
    last_number: int = 0
    """The highest number of any attempt ever made at this quiz, whichever cycle counts: the next one follows it."""

    @property
    def in_progress(self) -> Attempt | None:
        return next((a for a in self.attempts if a.state == "in_progress"), None)

    @property
    def graded(self) -> list[Attempt]:
        return [a for a in self.attempts if a.graded_at is not None]

    @property
    def grade(self) -> float | None:
        return grade_by_method(self.quiz.grading_method, self.attempts)

    @property
    def passed(self) -> bool:
        return meets_pass_mark(self.grade, self.quiz.pass_mark)

    @property
    def allowed(self) -> int | None:
        if self.quiz.attempts_allowed is None:
            return None
        return self.quiz.attempts_allowed + self.allowance.extra_attempts

    @property
    def attempts_left(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - len(self.attempts))

    @property
    def can_start(self) -> bool:
        return self.in_progress is None and self.reason is None

    @property
    def time_limit_minutes(self) -> int | None:
        return allowed_minutes(self.quiz, self.allowance)


def allowed_minutes(quiz: Quiz, extra: Allowance) -> int | None:
    if quiz.time_limit_minutes is None:
        return None
    return math.ceil(quiz.time_limit_minutes * extra.time_multiplier) + extra.extra_minutes


def quiz_status(
    user: User,
    quiz: Quiz,
    course: Course | None = None,
    now: datetime | None = None,
    counted_since: datetime | None = None,
    enrolled: bool | None = None,
) -> QuizStatus:
    """Everything the quiz page needs to say, finalising any overdue attempt of this learner on the way.

    `counted_since` starts a new count for a final exam: in a renewal cycle (decided by the certificates
    domain, which the view asks) only attempts submitted after it count toward the limit, the delay and the grade.
    `enrolled` is for a caller that has just read (and locked) the enrolment, so it is not read twice.
    The statements are the same whatever the learner's history: the attempts, the enrolment, the accommodation,
    and the module's lessons or the module quizzes it depends on.
    """
    now = now or utcnow()
    course = course or session.get(Course, quiz.course_id)
    if course is None:
        raise NotFound("No such quiz.")
    attempts = _attempts_of(user.id, quiz.id)
    for attempt in attempts:
        if is_overdue(attempt, quiz, now):
            finalise(attempt, quiz, now, "timeout")
    last_number = max((a.number for a in attempts), default=0)
    if counted_since is not None and quiz.kind == "final":
        attempts = [a for a in attempts if a.state == "in_progress" or (a.submitted_at or a.started_at) > counted_since]
    if enrolled is None:
        enrolled = (
            session.scalar(
                select(Enrolment.id).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id, Enrolment.active)
            )
            is not None
        )
    status = QuizStatus(quiz, course, enrolled, attempts, allowance(user.id, quiz), last_number=last_number)
    status.reason, status.available_at = _refusal(user, status, now)
    return status


def _attempts_of(user_id: int, quiz_id: int) -> list[Attempt]:
    return list(
        session.scalars(select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id).order_by(Attempt.number))
    )


def _refusal(user: User, status: QuizStatus, now: datetime) -> tuple[str | None, datetime | None]:
    quiz, course = status.quiz, status.course
    if quiz.retired_at is not None:
        return "This quiz is no longer part of the course.", None
    if not status.enrolled:
        return "Enrol in the course to take its quizzes.", None
    if status.in_progress is not None:
        return None, None
    if quiz.kind == "module":
        if quiz.module_key is not None:  # an authored quiz belongs to no module: no lessons gate it
            done, total = _lessons_completed(user, course, quiz.module_key)
            if done < total:
                return f"Finish the lessons of this module first: you have completed {done} of {total}.", None
    else:
        missing = [q.title for q in module_quizzes_not_passed(user, course)]
        if missing:
            return "Pass every module quiz first. Still to pass: " + "; ".join(missing) + ".", None
    if status.allowed is not None and len(status.attempts) >= status.allowed:
        return f"You have used all {status.allowed} attempt{'s' if status.allowed != 1 else ''} allowed for this quiz.", None
    if quiz.delay_minutes and status.attempts:
        last = status.attempts[-1].submitted_at or status.attempts[-1].started_at
        ready = last + timedelta(minutes=quiz.delay_minutes)
        if now < ready:
            return (
                f"You can start your next attempt at {clock(ready)} on {day(ready)} "
                f"({quiz.delay_minutes} minutes after your last one).",
                ready,
            )
    return None, None


def _lessons_completed(user: User, course: Course, module_key: str) -> tuple[int, int]:
    """(completed, total) lessons of the module in the course's current version, in one statement."""
    rows = session.execute(
        select(Lesson.key, LessonCompletion.id)
        .join(Module, Module.id == Lesson.module_id)
        .outerjoin(
            LessonCompletion,
            and_(
                LessonCompletion.user_id == user.id,
                LessonCompletion.course_id == course.id,
                LessonCompletion.lesson_key == Lesson.key,
            ),
        )
        .where(Module.course_version_id == course.current_version_id, Module.key == module_key)
    ).all()
    return sum(completion is not None for _key, completion in rows), len(rows)


def module_quizzes_not_passed(user: User, course: Course) -> list[Quiz]:
    """The course's live module quizzes the learner has not passed (by each quiz's grading method): two queries."""
    quizzes = list(
        session.scalars(
            select(Quiz)
            .where(Quiz.course_id == course.id, Quiz.kind == "module", Quiz.source == "course", Quiz.retired_at.is_(None))
            .order_by(Quiz.id)
        )
    )
    if not quizzes:
        return []
    attempts: dict[int, list[Attempt]] = {}
    for attempt in session.scalars(
        select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id.in_([q.id for q in quizzes]), Attempt.graded_at.is_not(None)
        )
    ):
        attempts.setdefault(attempt.quiz_id, []).append(attempt)
    return [q for q in quizzes if not meets_pass_mark(grade_by_method(q.grading_method, attempts.get(q.id, [])), q.pass_mark)]
