"""Staff invitations and the learner's consent: the staff link between a clinic and a learner.

A clinic invites an email address; the learner behind it accepts (consent: the clinic now sees their records),
declines, or later withdraws; the clinic may cancel an invitation or take someone off its staff list. A link is never
deleted: its state is its timestamps, and every step is a StaffEvent, for the record. The single-use token in the
email is stored only as a hash. Who may see and answer a link is policy.py's rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from edu.auth.models import User
from edu.auth.services import normalise_email
from edu.auth.tokens import digest as hash_token
from edu.auth.tokens import new_token
from edu.db import session, utcnow
from edu.errors import Conflict, Invalid, NotFound
from edu.mail import services as mail

from . import policy
from .models import Clinic, StaffEvent, StaffLink

INVITATION_DAYS = 30
NO_INVITATION = "This invitation is not available: it may have been answered, cancelled or replaced by a newer one."


@dataclass(frozen=True)
class Invitation:
    link: StaffLink
    token: str
    """The raw single-use token, for the email only: the database keeps its hash."""
    reinvited: bool


def _event(link: StaffLink, action: str, actor: User | None, now: datetime, **detail: object) -> None:
    session.add(StaffEvent(staff_link_id=link.id, actor_id=actor.id if actor else None, action=action, detail=detail, at=now))


def invite(actor: User, clinic: Clinic, email: str, *, now: datetime | None = None) -> Invitation:
    """Invite an email address; inviting it again sends a fresh link (the old one stops working). Someone who
    declined or withdrew may be invited again: nothing is shared until they accept again."""
    policy.require_admin(actor, clinic)
    now = now or utcnow()
    email = normalise_email(email)
    if not email or "@" not in email or len(email) > 254:
        raise Invalid("Enter a valid email address.")
    token, token_hash = new_token()
    link = session.scalar(select(StaffLink).where(StaffLink.clinic_id == clinic.id, StaffLink.invited_email == email))
    if link is not None:
        if link.state == "accepted":
            raise Conflict(f"{email} is already on your staff list.")
        previous = link.state
        link.token_hash = token_hash
        link.invited_by_id, link.invited_at = actor.id, now
        link.user_id, link.accepted_at, link.declined_at, link.withdrawn_at = None, None, None, None
        _event(link, "reinvited", actor, now, previous=previous)
        session.flush()
        return Invitation(link, token, True)
    link = StaffLink(clinic_id=clinic.id, invited_email=email, token_hash=token_hash, invited_by_id=actor.id, invited_at=now)
    try:
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError:
        raise Conflict(f"{email} was invited by someone else at the same moment.") from None
    _event(link, "invited", actor, now)
    session.flush()
    return Invitation(link, token, False)


def send_invitation(clinic: Clinic, invitation: Invitation, accept_url: str, inviter: User) -> None:
    body = (
        f"{inviter.name} has invited you to join the staff of {clinic.name} on Needlepoint CE.\n\n"
        f"If you accept, {clinic.name} will see your name and, for each course, your progress, certificate codes, "
        "CE hours and expiry dates. It will not see your licence number or your quiz answers, and you can withdraw "
        "at any time.\n\n"
        f"To accept or decline, log in (or create an account with this email address) and open:\n{accept_url}\n\n"
        f"The link works once and for {INVITATION_DAYS} days. If you were not expecting this, ignore this email: "
        "nothing is shared unless you accept."
    )
    mail.queue(invitation.link.invited_email, f"{clinic.name} invites you to share your CE records", body)


def _open(link: StaffLink, now: datetime) -> bool:
    return link.state == "pending" and link.token_hash is not None and now < link.invited_at + timedelta(days=INVITATION_DAYS)


def invitation_by_token(actor: User, token: str, *, now: datetime | None = None) -> StaffLink:
    """The pending invitation behind a link, for the account it was sent to. Anyone else is refused (Forbidden,
    without saying to whom it was sent); a used, cancelled, replaced or expired link is NotFound."""
    now = now or utcnow()
    if not token or len(token) > 100:
        raise NotFound(NO_INVITATION)
    link = session.scalar(
        select(StaffLink).options(joinedload(StaffLink.clinic)).where(StaffLink.token_hash == hash_token(token))
    )
    if link is None or not _open(link, now):
        raise NotFound(NO_INVITATION)
    policy.require_invitee(actor, link)
    return link


def _own_pending(actor: User, link_id: int, now: datetime) -> StaffLink:
    link = session.get(StaffLink, link_id)
    if link is None or not policy.is_invitee(actor, link) or not _open(link, now):
        raise NotFound(NO_INVITATION)
    return link


def respond(actor: User, link: StaffLink, accept: bool, *, now: datetime | None = None) -> StaffLink:
    """Accept (the learner's consent) or decline. The link's token is spent either way.

    Only an account whose address is confirmed may answer: an invitation goes to an address, and whoever registers
    that address without owning it must neither join the clinic's staff nor turn the invitation down for its owner."""
    now = now or utcnow()
    policy.require_invitee(actor, link)
    if not _open(link, now):
        raise NotFound(NO_INVITATION)
    policy.require_owns_address(actor)
    link.user_id, link.token_hash = actor.id, None
    if accept:
        link.accepted_at = now
    else:
        link.declined_at = now
    _event(link, "accepted" if accept else "declined", actor, now)
    session.flush()
    return link


def respond_by_id(actor: User, link_id: int, accept: bool, *, now: datetime | None = None) -> StaffLink:
    now = now or utcnow()
    return respond(actor, _own_pending(actor, link_id, now), accept, now=now)


def withdraw(actor: User, link_id: int, *, now: datetime | None = None) -> StaffLink:
    """The learner ends their consent; from now on the clinic sees nothing of them. The row stays, for the record."""
    now = now or utcnow()
    link = session.get(StaffLink, link_id)
    if link is None or not policy.shares_through(actor, link):
        raise NotFound("You do not share your records through this link.")
    link.withdrawn_at, link.token_hash = now, None
    _event(link, "withdrawn", actor, now)
    session.flush()
    return link


def end_link(actor: User, clinic: Clinic, link_id: int, *, now: datetime | None = None) -> StaffLink:
    """The clinic cancels a pending invitation or takes someone off its staff list."""
    policy.require_admin(actor, clinic)
    now = now or utcnow()
    link = session.get(StaffLink, link_id)
    if link is None or not policy.of_clinic(link, clinic) or link.state not in ("pending", "accepted"):
        raise NotFound("No such invitation or staff member.")
    action = "removed" if link.state == "accepted" else "cancelled"
    link.withdrawn_at, link.token_hash = now, None
    _event(link, action, actor, now)
    session.flush()
    return link


@dataclass(frozen=True)
class MyLinks:
    pending: list[StaffLink]
    sharing: list[StaffLink]
    past: list[StaffLink]


def my_links(actor: User, *, now: datetime | None = None) -> MyLinks:
    """The learner's invitations (by email: an account created after the invitation sees it too) and links.
    Invitations found by email alone are shown only once the address is confirmed: until then the account may
    belong to someone who merely typed that address, and which clinics invited it is not theirs to learn."""
    now = now or utcnow()
    links = session.scalars(
        select(StaffLink)
        .options(joinedload(StaffLink.clinic))
        .where(
            or_(
                StaffLink.user_id == actor.id,
                and_(StaffLink.user_id.is_(None), StaffLink.invited_email == normalise_email(actor.email)),
            )
        )
        .order_by(StaffLink.invited_at.desc(), StaffLink.id.desc())
    ).all()
    pending = [link for link in links if link.user_id is None and _open(link, now) and policy.owns_address(actor)]
    sharing = [link for link in links if link.user_id == actor.id and link.state == "accepted"]
    past = [link for link in links if link.user_id == actor.id and link.state in ("declined", "withdrawn")]
    return MyLinks(pending, sharing, past)


def staff_links(actor: User, clinic: Clinic) -> list[StaffLink]:
    """Every invitation of the clinic, for its management page. Names only of those who consented."""
    policy.require_admin(actor, clinic)
    return list(
        session.scalars(
            select(StaffLink)
            .options(joinedload(StaffLink.user))
            .where(StaffLink.clinic_id == clinic.id)
            .order_by(StaffLink.invited_at.desc(), StaffLink.id.desc())
        )
    )
