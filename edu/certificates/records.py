"""A learner's own certificates, as their pages read them: the list, one by its public id (its PDF and credential
downloads), the latest one of a course. Whose certificate a user may open is policy.py's rule; anyone else is told
it does not exist.
"""

from __future__ import annotations

from sqlalchemy import select

from edu.auth.models import User
from edu.catalog.models import Course
from edu.db import session
from edu.errors import NotFound

from . import policy
from .completion import latest_certificate
from .models import Certificate
from .snapshot import is_valid_public_id


def my_certificates(user: User) -> list[Certificate]:
    """The learner's certificates, newest first, superseded ones left out (their replacement is listed)."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id, Certificate.status != "superseded")
            .order_by(Certificate.issue_date.desc(), Certificate.id.desc())
        )
    )


def by_public_id(public_id: str) -> Certificate:
    """Any certificate, whoever holds it, with no permission check: its callers ask policy.py."""
    if not is_valid_public_id(public_id):
        raise NotFound("No such certificate.")
    found = session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if found is None:
        raise NotFound("No such certificate.")
    return found


def get_own(user: User, public_id: str, *, staff_may: bool = False) -> Certificate:
    """The learner's own certificate (or, when `staff_may`, one of a course the user teaches or any for an admin);
    anyone else gets a 404."""
    found = by_public_id(public_id)
    if not policy.may_open(user, found, staff_may=staff_may):
        raise NotFound("No such certificate.")
    return found


def certificate_for_course(user: User, course: Course) -> Certificate | None:
    return latest_certificate(user.id, course.id)
