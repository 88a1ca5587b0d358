"""Clinics and the people who administer them.

A clinic is created by someone holding the clinic_admin role, who becomes its first administrator and may add other
clinic administrators. The administrators are who the learners consent to: every clinic page opens the clinic through
`open_clinic`, which refuses anyone else exactly as a clinic that does not exist (policy.py says who may).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from edu.auth.models import User
from edu.auth.services import normalise_email
from edu.db import session, utcnow
from edu.errors import Conflict, Forbidden, Invalid
from edu.slugs import slugify

from . import policy
from .models import Clinic, ClinicAdmin

RESERVED_SLUGS = frozenset({"invitations", "join", "new", "static"})
"""Addresses under /clinics/ that are pages, not clinics."""


def create_clinic(actor: User, name: str, *, now: datetime | None = None) -> Clinic:
    if not policy.can_administer(actor):
        raise Forbidden("Only a clinic administrator can create a clinic.")
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 120:
        raise Invalid("Give the clinic a name of 2 to 120 characters.")
    base = slugify(name) or "clinic"
    taken = set(session.scalars(select(Clinic.slug).where(or_(Clinic.slug == base, Clinic.slug.like(f"{base}-%")))))
    slug, n = base, 1
    while slug in taken or slug in RESERVED_SLUGS:
        n += 1
        slug = f"{base}-{n}"
    clinic = Clinic(name=name, slug=slug, created_by_id=actor.id, created_at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(clinic)
            session.flush()
    except IntegrityError:
        raise Conflict("A clinic with this name was created at the same moment. Please try again.") from None
    session.add(ClinicAdmin(clinic_id=clinic.id, user_id=actor.id, added_by_id=actor.id, added_at=clinic.created_at))
    session.flush()
    return clinic


def my_clinics(actor: User) -> list[Clinic]:
    if not policy.can_administer(actor):
        return []
    return list(
        session.scalars(
            select(Clinic)
            .join(ClinicAdmin, ClinicAdmin.clinic_id == Clinic.id)
            .where(ClinicAdmin.user_id == actor.id)
            .order_by(Clinic.name)
        )
    )


def open_clinic(actor: User | None, slug: str) -> Clinic:
    """Where every clinic page starts: the clinic, for one of its administrators; NotFound for anyone else
    (policy.administered_clinic)."""
    return policy.administered_clinic(actor, slug)


def administrators(actor: User, clinic: Clinic) -> list[User]:
    policy.require_admin(actor, clinic)
    return list(
        session.scalars(
            select(User)
            .join(ClinicAdmin, ClinicAdmin.user_id == User.id)
            .where(ClinicAdmin.clinic_id == clinic.id)
            .order_by(User.name)
        )
    )


def add_administrator(actor: User, clinic: Clinic, email: str, *, now: datetime | None = None) -> User:
    policy.require_admin(actor, clinic)
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active or not policy.can_administer(user):
        raise Invalid("There is no clinic administrator account with that email. Ask the site administrator to create one.")
    exists = session.scalar(select(ClinicAdmin.id).where(ClinicAdmin.clinic_id == clinic.id, ClinicAdmin.user_id == user.id))
    if exists is not None:
        raise Conflict(f"{user.name} already administers this clinic.")
    session.add(ClinicAdmin(clinic_id=clinic.id, user_id=user.id, added_by_id=actor.id, added_at=now or utcnow()))
    session.flush()
    return user
