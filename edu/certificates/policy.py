"""Who may open and act on a certificate.

A learner opens their own certificates. Admins and instructors also open the certificate pages, and which
certificates they then find, open and revoke or reissue is edu.catalog.policy's rule: those of the courses they teach,
every one for an admin. A certificate one may not open is answered exactly as a missing one (404), so its existence
leaks to no one. Services call these checks; views never decide them.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from edu.auth.models import Role, User
from edu.catalog import policy as catalog_policy
from edu.errors import Forbidden

from .models import Certificate


def can_manage(actor: User | None) -> bool:
    """Admins and instructors may open the certificate pages; which certificates they then see and act on is
    edu.catalog.policy's rule (those of the courses they teach, every one for an admin)."""
    return actor is not None and actor.has_role(Role.ADMIN, Role.INSTRUCTOR)


def require_manager(actor: User, certificate: Certificate | None = None) -> None:
    if not can_manage(actor):
        raise Forbidden("Only an administrator or an instructor of the course can do this.")
    if certificate is not None:
        catalog_policy.require_teaches(actor, certificate.course_id, "No such certificate.")


def managed_filter(actor: User) -> ColumnElement[bool]:
    """A WHERE clause keeping the certificates of the courses the actor teaches (every one for an admin)."""
    return catalog_policy.taught_filter(actor, Certificate.course_id)


def may_open(user: User, certificate: Certificate, *, staff_may: bool = False) -> bool:
    """The learner's own certificate; when `staff_may`, also one of a course the user teaches (any for an admin)."""
    return certificate.user_id == user.id or (staff_may and catalog_policy.teaches(user, certificate.course_id))
