"""Assigning instructors to courses: the rows edu.catalog.policy reads.

Only admins assign (the command line, `actor=None`, is trusted like an admin: its operator has the database).
An account without the instructor role is refused rather than promoted: granting a role is its own decision, taken
on the users page or with `flask users grant`, and a mistyped email must not turn a learner into staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from edu.auth.models import Role, User
from edu.auth.services import find_user
from edu.db import session
from edu.errors import Forbidden, Invalid, NotFound

from .models import Course, CourseInstructor
from .policy import is_admin


def _require_admin(actor: User | None) -> None:
    if actor is not None and not is_admin(actor):
        raise Forbidden("Only an administrator can assign instructors to courses.")


@dataclass
class CourseStaff:
    course: Course
    instructors: list[CourseInstructor] = field(default_factory=list)


def course_staff(actor: User | None) -> list[CourseStaff]:
    """Every course with its assigned instructors, by course title (two statements)."""
    _require_admin(actor)
    found = {c.id: CourseStaff(c) for c in session.scalars(select(Course).order_by(Course.title, Course.id))}
    for row in session.scalars(
        select(CourseInstructor)
        .options(joinedload(CourseInstructor.user))
        .join(User, User.id == CourseInstructor.user_id)
        .order_by(User.name, User.email)
    ):
        found[row.course_id].instructors.append(row)
    return list(found.values())


def get_course(actor: User | None, slug: str) -> Course:
    _require_admin(actor)
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound("No such course.")
    return course


def instructors_of(course: Course) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(CourseInstructor, CourseInstructor.user_id == User.id)
            .where(CourseInstructor.course_id == course.id)
            .order_by(User.name, User.email)
        )
    )


def assign(actor: User | None, course: Course, email: str) -> tuple[User, bool]:
    """Assign the account with this email to the course: (the instructor, False if they already were)."""
    _require_admin(actor)
    user = find_user(email.strip())
    if user is None:
        raise Invalid(f"No account has the email {email.strip()}.")
    if not user.has_role(Role.INSTRUCTOR):
        raise Invalid(
            f"{user.email} is not an instructor. Grant them the instructor role first (Users page, or "
            f"`flask users grant {user.email} instructor`), then assign them."
        )
    if _row(course, user) is not None:
        return user, False
    try:
        with session.begin_nested():  # two admins assigning at once: the unique key decides
            session.add(CourseInstructor(course_id=course.id, user_id=user.id, assigned_by_id=actor.id if actor else None))
    except IntegrityError:
        return user, False
    return user, True


def unassign(actor: User | None, course: Course, user: User) -> bool:
    """Take the instructor off the course (False if they were not on it). Their past actions stay recorded."""
    _require_admin(actor)
    row = _row(course, user)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def _row(course: Course, user: User) -> CourseInstructor | None:
    return session.scalar(
        select(CourseInstructor).where(CourseInstructor.course_id == course.id, CourseInstructor.user_id == user.id)
    )
