"""Who may act on a course's outcomes: its gradebooks and attempts, regrades, accommodations, item analysis, quiz
settings and certificates.

Admins act on every course. An instructor acts on the courses an admin assigned them to (CourseInstructor), and
only while they hold the instructor role: taking the role away silences their assignments without deleting them.
Everyone else acts on none.

An instructor who asks for another course's object is told it does not exist (NotFound, a 404), as for any object
one may not know exists: the answer is the same whether the course, quiz, attempt or certificate exists or not.
Lists are narrowed with `taught_filter` so they never show what a page would then refuse.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression, false, select, true

from edu.auth.models import Role, User
from edu.db import session
from edu.errors import Forbidden, NotFound

from .models import Course, CourseInstructor

INSTRUCTORS_ONLY = "Only instructors and administrators can see gradebooks and quiz results."


def require_instructor(actor: User, message: str = INSTRUCTORS_ONLY) -> None:
    """The role check of the instructor's pages (admins hold every role); which course's objects they may then
    open is `teaches`'s answer."""
    if not actor.has_role(Role.INSTRUCTOR):
        raise Forbidden(message)


def is_admin(actor: User | None) -> bool:
    return actor is not None and actor.has_role(Role.ADMIN)


def teaches(actor: User | None, course_id: int) -> bool:
    """True when the actor may act on this course's outcomes."""
    if actor is None:
        return False
    if actor.has_role(Role.ADMIN):
        return True
    if not actor.has_role(Role.INSTRUCTOR):
        return False
    found = session.scalar(
        select(CourseInstructor.id).where(CourseInstructor.course_id == course_id, CourseInstructor.user_id == actor.id)
    )
    return found is not None


def require_teaches(actor: User | None, course_id: int, message: str = "There is nothing at this address.") -> None:
    """Refuse another course's object exactly as a missing one (the caller passes its own not-found message)."""
    if not teaches(actor, course_id):
        raise NotFound(message)


CourseColumn = SQLColumnExpression[int] | SQLColumnExpression[int | None]


def taught_filter(actor: User | None, course_id: CourseColumn) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of the courses the actor teaches (every row for an admin, none for a learner).

    `course_id` is the column naming a row's course; a NULL course (a global accommodation) counts for admins only.
    """
    if actor is None:
        return false()
    if actor.has_role(Role.ADMIN):
        return true()
    if not actor.has_role(Role.INSTRUCTOR):
        return false()
    return course_id.in_(select(CourseInstructor.course_id).where(CourseInstructor.user_id == actor.id))


def taught_courses(actor: User | None) -> list[Course]:
    """The courses the actor teaches, by title (every course for an admin)."""
    return list(session.scalars(select(Course).where(taught_filter(actor, Course.id)).order_by(Course.title, Course.id)))
