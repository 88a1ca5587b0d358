"""Who may administer a clinic, whose records a clinic may see, and who may see and answer an invitation.

The one rule everything in clinics serves: a clinic sees a learner's records only through a staff link that the
learner accepted and has not withdrawn, and only people who administer *that* clinic see it. Every read starts
from `open_clinic(actor, slug)` (administration.py, through `administered_clinic` here: a 404 for anyone who is not
one of its administrators, so a clinic's existence leaks nothing) and every query of learner data is joined through
`consented`, the consented links of that clinic.

An invitation goes to an email address, not to an account: only the account with that address may open or answer
it, and only once the address is confirmed, so whoever registers an address they do not own learns nothing of it.
Services call these checks; views never decide them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.sql import Select

from edu.auth.models import Role, User
from edu.auth.services import normalise_email
from edu.db import session
from edu.errors import Forbidden, NotFound

from .models import Clinic, ClinicAdmin, StaffLink

NO_CLINIC = "No such clinic."
CONFIRM_EMAIL_FIRST = (
    "Confirm your email address before you answer this invitation: open the link we emailed you when you created "
    "your account, or send it again with the button at the top of this page. The invitation waits for you."
)
WRONG_ACCOUNT = (
    "This invitation was sent to a different email address. Log in with the account that uses that address, "
    "or ask the clinic to invite the address of this account."
)
_CHECKED = "edu.clinics.admin_of"
"""session.info key: the (user id, clinic id) pairs already opened in this transaction, so a service called after
`administered_clinic` does not query the administrators again."""


# --- clinics and their administrators -----------------------------------------------------------------------------------


def can_administer(user: User | None) -> bool:
    return user is not None and user.has_role(Role.CLINIC_ADMIN)


def administered_clinic(actor: User | None, slug: str) -> Clinic:
    """The clinic, for one of its administrators (who still holds the clinic_admin role); NotFound for anyone else,
    including site administrators who are not among the clinic's administrators: consent was given to the clinic."""
    if actor is None or not can_administer(actor) or len(slug) > 80:
        raise NotFound(NO_CLINIC)
    clinic = session.scalar(
        select(Clinic)
        .join(ClinicAdmin, ClinicAdmin.clinic_id == Clinic.id)
        .where(Clinic.slug == slug, ClinicAdmin.user_id == actor.id)
    )
    if clinic is None:
        raise NotFound(NO_CLINIC)
    session.info.setdefault(_CHECKED, set()).add((actor.id, clinic.id))
    return clinic


def require_admin(actor: User, clinic: Clinic) -> None:
    checked: set[tuple[int, int]] = session.info.setdefault(_CHECKED, set())
    if (actor.id, clinic.id) in checked and can_administer(actor):
        return
    administered_clinic(actor, clinic.slug)


# --- whose records a clinic sees -----------------------------------------------------------------------------------------


def consented(clinic_id: int) -> Select[Any]:
    """User ids of the clinic's consenting staff, as a subquery: every read of learner data goes through it. Only
    accounts with a confirmed address count (an unconfirmed one cannot accept; this holds should one ever lose its
    confirmation)."""
    return (
        select(StaffLink.user_id)
        .join(User, User.id == StaffLink.user_id)
        .where(
            StaffLink.clinic_id == clinic_id,
            StaffLink.accepted_at.is_not(None),
            StaffLink.withdrawn_at.is_(None),
            User.email_verified_at.is_not(None),
        )
    )


def of_clinic(link: StaffLink, clinic: Clinic) -> bool:
    """A clinic's administrators see and end the links of their own clinic only."""
    return link.clinic_id == clinic.id


# --- the learner's side of a link ----------------------------------------------------------------------------------------


def is_invitee(actor: User, link: StaffLink) -> bool:
    """The invitation was sent to this account's email address."""
    return link.invited_email == normalise_email(actor.email)


def require_invitee(actor: User, link: StaffLink) -> None:
    """Anyone but the invited address is refused, without being told to whom the invitation was sent."""
    if not is_invitee(actor, link):
        raise Forbidden(WRONG_ACCOUNT)


def owns_address(actor: User) -> bool:
    """The account's address is confirmed: until then it may belong to someone who merely typed that address, who must
    neither learn which clinics invited it nor answer (join a clinic's staff, or turn the invitation down for its
    owner)."""
    return actor.email_verified


def require_owns_address(actor: User) -> None:
    if not owns_address(actor):
        raise Forbidden(CONFIRM_EMAIL_FIRST)


def shares_through(actor: User, link: StaffLink) -> bool:
    """The learner shares their records through this link (and so may withdraw it)."""
    return link.user_id == actor.id and link.state == "accepted"
