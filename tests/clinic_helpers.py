"""Shared helpers for the clinic tests: clinics with administrators, staff who consented (or not), and
certificates in every state, issued through the certificate services themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from edu.auth.models import User
from edu.catalog import services as catalog
from edu.certificates import issuance, revocation
from edu.certificates.completion import add_months
from edu.certificates.models import Certificate
from edu.clinics import administration, invitations
from edu.clinics.models import Clinic
from edu.db import session
from tests.certificate_helpers import enrolled, mini, pass_everything, user


def clinic(app: Flask, make_user: Any, admin_email: str, name: str) -> str:
    """A clinic administrator account and the clinic they create; returns the slug."""
    make_user(admin_email, "clinic_admin", name=f"Admin of {name}")
    with app.app_context():
        created = administration.create_clinic(user(admin_email), name)
        session.commit()
        return created.slug


def get_clinic(slug: str) -> Clinic:
    found = session.scalar(select(Clinic).where(Clinic.slug == slug))
    assert found is not None
    return found


def invite(app: Flask, slug: str, admin_email: str, email: str) -> tuple[int, str]:
    """Invite an address; returns (link id, raw token)."""
    with app.app_context():
        invitation = invitations.invite(user(admin_email), get_clinic(slug), email)
        session.commit()
        return invitation.link.id, invitation.token


def staff(
    app: Flask,
    make_user: Any,
    slug: str,
    admin_email: str,
    email: str,
    name: str,
    *,
    consent: bool = True,
    lessons: int = 0,
    create: bool = True,
) -> int:
    """A learner invited to the clinic (and, by default, consenting); `lessons` of the two mini lessons read.
    Returns the staff link id."""
    if create:
        make_user(email, name=name)
    link_id, _token = invite(app, slug, admin_email, email)
    with app.app_context():
        learner = user(email)
        if lessons:
            catalog.enrol(learner, mini())
            for key in ("first", "second")[:lessons]:
                catalog.complete_lesson(learner, mini(), key)
        if consent:
            invitations.respond_by_id(learner, link_id, accept=True)
        session.commit()
    return link_id


def certify(app: Flask, email: str, *, expires_in: int | None = 400, revoked: bool = False) -> Certificate:
    """Issue the learner's mini certificate so that it expires `expires_in` days from today (negative: expired)."""
    today = datetime.now(UTC).date()
    expiry = today + timedelta(days=expires_in if expires_in is not None else 400)
    completed = _completion_for(expiry)
    at = datetime.combine(completed, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    with app.app_context():
        learner = user(email)
        catalog.enrol(learner, mini())
        for key in ("first", "second"):
            catalog.complete_lesson(learner, mini(), key)
        pass_everything(learner.id, at)
        result = issuance.issue_if_complete(learner, mini(), now=at + timedelta(hours=1))
        assert result.certificate is not None, result.completion and result.completion.missing
        certificate = result.certificate
        if revoked:
            admin = session.scalar(select(User).where(User.email == "site-admin@example.com"))
            if admin is None:
                from edu.auth import services as auth

                admin = auth.register(name="Site Admin", email="site-admin@example.com", password="correct horse battery")
                auth.grant_role(admin, "admin")
            revocation.revoke(admin, certificate, "other", "Test revocation")
        session.commit()
        return certificate


def _completion_for(expiry: date) -> date:
    """A completion date whose 24-month validity (the mini course's default) ends on `expiry`, give or take the
    end of a month."""
    return add_months(expiry, -24)


__all__ = ["certify", "clinic", "enrolled", "get_clinic", "invite", "mini", "staff", "user"]
