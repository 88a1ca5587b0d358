"""Where each kind of user lands: after logging in, on the login page while logged in, and from the site's name in
the navigation.

Staff log in to work, not to learn: landing an instructor, a clinic administrator or an administrator on an empty
learner dashboard made every visit start with a second click. A user with several roles lands where their most
privileged role works (admin, then instructor, then clinic admin); the navigation's "My learning" still leads every
user to their own learner dashboard. The homes are endpoint names, not imports, so auth depends on no other domain.
"""

from __future__ import annotations

from typing import Final

from .models import Role, User

STAFF_HOMES: Final[tuple[tuple[Role, str], ...]] = (
    (Role.ADMIN, "admin.users"),
    (Role.INSTRUCTOR, "instructor.index"),
    (Role.CLINIC_ADMIN, "clinics.index"),
)
"""Most privileged first: the first role a user holds decides."""

LEARNER_HOME: Final = "catalog.dashboard"


def home_endpoint(user: User) -> str:
    """The endpoint of the user's home page (read from their roles as stored, not `has_role`, for which an admin
    holds every role)."""
    names = user.role_names
    for role, endpoint in STAFF_HOMES:
        if role.value in names:
            return endpoint
    return LEARNER_HOME
