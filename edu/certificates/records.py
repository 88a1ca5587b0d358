"""A learner's own certificates, as their pages read them: the list, one by its public id (its PDF and credential
downloads), the latest one of a course. Whose certificate a user may open is policy.py's rule; anyone else is told
it does not exist.

What is offered follows from the certificate's state that day: a revoked or replaced certificate's PDF is stamped
REVOKED and its signed credential is no longer served; an expired one's PDF is stamped EXPIRED (its credential says
so itself, in validUntil); only a valid one is offered for a LinkedIn profile.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from edu.auth.models import User
from edu.catalog.models import Course
from edu.db import session
from edu.errors import NotFound

from . import policy, signing
from .completion import latest_certificate
from .linkedin import add_to_profile_url
from .models import Certificate
from .pdf import Stamp, expired_stamp, render_certificate_pdf, revoked_stamp
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


def printable(certificate: Certificate, today: date) -> bytes:
    """The certificate's PDF, stamped when it no longer stands (see the module docstring)."""
    stamp: Stamp | None = None
    state = certificate.state_on(today)
    if state == "revoked":
        stamp = revoked_stamp(certificate.revoked_at, certificate.revocation_label or "")
    elif state == "expired" and certificate.expiry_date is not None:
        stamp = expired_stamp(certificate.expiry_date)
    return render_certificate_pdf(certificate.snapshot(), signing.verify_url(certificate.code), stamp=stamp)


def credential_offered(certificate: Certificate) -> bool:
    """A revoked or replaced certificate's signed credential is not handed out again: a verifier would find it
    revoked in the status list, but a file that looks like a credential should not be given as if it stood."""
    return certificate.status == "valid"


def linkedin_url(certificate: Certificate, today: date) -> str | None:
    """LinkedIn's add-certification link for a certificate valid today (None otherwise). The organisation is the
    signed credential's issuer (ISSUER_NAME) and the link its verification page at PUBLIC_URL: configuration, never
    the request."""
    if certificate.state_on(today) != "valid":
        return None
    return add_to_profile_url(
        certificate.snapshot(), organisation=signing.issuer().name, verify_url=signing.verify_url(certificate.code)
    )
