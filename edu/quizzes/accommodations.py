"""Accommodations: a learner's extra time and attempts, for one quiz, every quiz of a course, or every quiz.

They belong to the quizzes domain because the attempt rules read them (edu.quizzes.eligibility counts the extra
attempts; a new attempt's deadline includes the extra time); instructors grant them from the instructor's quiz
pages. The most specific one applies (quiz, then course, then global), to attempts started after it is set.
Who may grant one for which scope is edu.catalog.policy's: the courses the actor teaches; every quiz, admins only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from edu.auth.models import User
from edu.catalog import policy
from edu.catalog.models import Course
from edu.db import session, utcnow
from edu.errors import Forbidden, Invalid
from edu.storable import parse_id

from .models import Accommodation, Quiz

MAX_MULTIPLIER = 4.0
MAX_EXTRA_MINUTES = 600
MAX_EXTRA_ATTEMPTS = 20


@dataclass(frozen=True)
class Allowance:
    time_multiplier: float = 1.0
    extra_minutes: int = 0
    extra_attempts: int = 0


def set_accommodation(
    actor: User,
    learner: User,
    quiz: Quiz | None = None,
    *,
    course: Course | None = None,
    time_multiplier: float = 1.0,
    extra_minutes: int = 0,
    extra_attempts: int = 0,
    note: str | None = None,
) -> Accommodation:
    """Grant (or change) a learner's extra time and attempts; instructors and admins only.

    Scope: one quiz, every quiz of `course` (quiz None), or every quiz (both None). Applies to attempts
    started from now on: a running attempt keeps the deadline it started with. An instructor sets them for the
    courses they teach; one for every quiz reaches every course, so only an admin sets that.
    """
    policy.require_instructor(actor, "Only instructors and administrators can set accommodations.")
    if quiz is not None:
        course_id: int | None = quiz.course_id
    else:
        course_id = course.id if course is not None else None
    if course_id is None:
        if not policy.is_admin(actor):
            raise Forbidden("Only an administrator can set an accommodation for every quiz.")
    else:
        policy.require_teaches(actor, course_id, "There is no quiz at this address.")
    if not 1.0 <= float(time_multiplier) <= MAX_MULTIPLIER:
        raise Invalid(f"The time multiplier must be between 1 and {MAX_MULTIPLIER:g}.")
    if not 0 <= int(extra_minutes) <= MAX_EXTRA_MINUTES:
        raise Invalid(f"Extra minutes must be between 0 and {MAX_EXTRA_MINUTES}.")
    if not 0 <= int(extra_attempts) <= MAX_EXTRA_ATTEMPTS:
        raise Invalid(f"Extra attempts must be between 0 and {MAX_EXTRA_ATTEMPTS}.")
    quiz_id = quiz.id if quiz is not None else None
    row = session.scalar(
        select(Accommodation).where(
            Accommodation.user_id == learner.id,
            Accommodation.quiz_id.is_(None) if quiz_id is None else Accommodation.quiz_id == quiz_id,
            Accommodation.course_id.is_(None) if course_id is None else Accommodation.course_id == course_id,
        )
    )
    if row is None:
        row = Accommodation(user_id=learner.id, quiz_id=quiz_id, course_id=course_id)
        session.add(row)
    row.time_multiplier = float(time_multiplier)
    row.extra_minutes = int(extra_minutes)
    row.extra_attempts = int(extra_attempts)
    row.note = note
    row.set_by_id = actor.id
    row.updated_at = utcnow()
    session.flush()
    return row


def allowance(user_id: int, quiz: Quiz) -> Allowance:
    """The learner's most specific accommodation for this quiz (quiz, then course, then global), in one query."""
    rows = session.scalars(
        select(Accommodation).where(
            Accommodation.user_id == user_id,
            or_(
                Accommodation.quiz_id == quiz.id,
                and_(Accommodation.quiz_id.is_(None), Accommodation.course_id == quiz.course_id),
                and_(Accommodation.quiz_id.is_(None), Accommodation.course_id.is_(None)),
            ),
        )
    ).all()
    if not rows:
        return Allowance()
    best = max(rows, key=lambda a: (a.quiz_id is not None, a.course_id is not None))
    return Allowance(best.time_multiplier, best.extra_minutes, best.extra_attempts)


# --- the instructor's page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccommodationRow:
    accommodation: Accommodation
    learner: User
    scope: str


@dataclass
class AccommodationsPage:
    scopes: list[tuple[str, str]]
    """(value, label) of each scope the actor may choose."""
    rows: list[AccommodationRow]
    learner: User | None = None
    searched: str | None = None


def accommodations_page(actor: User, email: str | None) -> AccommodationsPage:
    """The scopes the actor may choose (everything for an admin, the courses they teach and their quizzes) and the
    current accommodations within them (of one learner when searched): four statements."""
    policy.require_instructor(actor)
    courses = policy.taught_courses(actor)
    titles = {c.id: c.title for c in courses}
    quizzes = list(
        session.scalars(
            select(Quiz)
            .where(Quiz.retired_at.is_(None), policy.taught_filter(actor, Quiz.course_id))
            .order_by(Quiz.course_id, Quiz.kind.desc(), Quiz.key)
        )
    )
    scopes = [("all", "Every quiz")] if policy.is_admin(actor) else []
    scopes += [(f"course:{c.id}", f"Every quiz of {c.title}") for c in courses]
    scopes += [(f"quiz:{q.id}", f"{q.title} ({titles.get(q.course_id, '')})") for q in quizzes]
    quiz_titles = {q.id: q.title for q in quizzes}
    learner = None
    query = (
        select(Accommodation, User)
        .join(User, User.id == Accommodation.user_id)
        .where(policy.taught_filter(actor, Accommodation.course_id))
    )
    if email:
        learner = session.scalar(select(User).where(User.email == email.lower()))
        query = query.where(Accommodation.user_id == (learner.id if learner else -1))
    rows = []
    for accommodation, user in session.execute(query.order_by(User.email, Accommodation.id)):
        if accommodation.quiz_id is not None:
            scope = quiz_titles.get(accommodation.quiz_id, "A retired quiz")
        elif accommodation.course_id is not None:
            scope = f"Every quiz of {titles.get(accommodation.course_id, '')}"
        else:
            scope = "Every quiz"
        rows.append(AccommodationRow(accommodation, user, scope))
    return AccommodationsPage(scopes, rows, learner, email)


def save_accommodation(
    actor: User,
    *,
    email: str,
    scope: str,
    time_multiplier: float,
    extra_minutes: int,
    extra_attempts: int,
    note: str | None,
) -> User:
    """Find the learner by email and set their accommodation through the engine's set_accommodation.

    A scope outside what the actor may choose (another course, every quiz for an instructor) gets the same answer
    as one that does not exist."""
    policy.require_instructor(actor)
    learner = session.scalar(select(User).where(User.email == email.strip().lower()))
    if learner is None:
        raise Invalid("No learner has this email address.")
    quiz = course = None
    kind, _, ident = scope.partition(":")
    target = parse_id(ident)
    unknown = Invalid("Choose what the accommodation applies to.")
    if kind == "quiz" and target is not None:
        quiz = session.get(Quiz, target)
        if quiz is None or not policy.teaches(actor, quiz.course_id):
            raise unknown
    elif kind == "course" and target is not None:
        course = session.get(Course, target)
        if course is None or not policy.teaches(actor, course.id):
            raise unknown
    elif kind != "all" or not policy.is_admin(actor):
        raise unknown
    set_accommodation(
        actor,
        learner,
        quiz,
        course=course,
        time_multiplier=time_multiplier,
        extra_minutes=extra_minutes,
        extra_attempts=extra_attempts,
        note=note,
    )
    return learner
