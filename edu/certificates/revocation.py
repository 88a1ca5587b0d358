"""What staff do to issued certificates: find them, read one's history, revoke it, or reissue it (after a name
correction, say). Certificates are never deleted: a revoked or replaced one keeps its row with the reason, the time
and who did it, its history gains an entry, and its bit in the status list flips so verifiers elsewhere learn of it.
A revocation is emailed to the learner (notifications.py) and announced with the certificate_revoked signal, which
clinics answer by telling the clinics the learner shares their records with. Who may do this to which certificate is
policy.py's rule.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from sqlalchemy import func, or_, select

from edu.auth.models import User
from edu.catalog.models import Course, CourseVersion
from edu.db import session, utcnow
from edu.errors import Conflict, Invalid, NotFound

from . import notifications, policy
from .issuance import new_certificate, record_event
from .models import REVOCATION_CATEGORIES, Certificate, CertificateEvent, StatusList
from .records import by_public_id
from .signals import certificate_revoked
from .snapshot import InvalidCode, is_valid_public_id, normalise_code
from .status_list import decode_list, encode_list, set_bit


def _flip_status_bit(certificate: Certificate, now: datetime) -> None:
    status_list = session.scalar(select(StatusList).where(StatusList.id == certificate.status_list_id).with_for_update())
    if status_list is None:  # pragma: no cover - the foreign key makes this impossible
        raise Conflict("The certificate's status list is missing.")
    bits = decode_list(status_list.encoded_list)
    set_bit(bits, certificate.status_list_index, True)
    status_list.encoded_list = encode_list(bits)
    status_list.updated_at = now


def revoke(actor: User, certificate: Certificate, category: str, reason: str, *, now: datetime | None = None) -> Certificate:
    policy.require_manager(actor, certificate)
    now = now or utcnow()
    reason = (reason or "").strip()
    if category not in REVOCATION_CATEGORIES or category == "superseded_by_reissue":
        raise Invalid("Choose why the certificate is being revoked.")
    if not reason:
        raise Invalid("Give the reason for the revocation; it is kept in the certificate's history.")
    if certificate.status != "valid":
        raise Conflict("This certificate is already revoked or replaced.")
    certificate.status = "revoked"
    certificate.revoked_at, certificate.revoked_by_id = now, actor.id
    certificate.revocation_category, certificate.revocation_reason = category, reason[:2000]
    _flip_status_bit(certificate, now)
    record_event(certificate, "revoked", actor, now, category=category, reason=reason[:2000])
    session.flush()
    notifications.certificate_revoked(certificate)
    certificate_revoked.send(certificate, actor=actor)
    return certificate


def reissue(actor: User, certificate: Certificate, reason: str, *, now: datetime | None = None) -> Certificate:
    """A new certificate with a fresh snapshot of the learner (e.g. after a name correction) and the same course
    version, completion, expiry, cycle and attempt; the old one is marked superseded, linked to it and its
    credential revoked in the status list. Nothing is deleted."""
    policy.require_manager(actor, certificate)
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Give the reason for the reissue; it is kept in the certificate's history.")
    if certificate.status != "valid":
        raise Conflict("Only a valid certificate can be reissued.")
    user = session.get(User, certificate.user_id)
    course = session.get(Course, certificate.course_id)
    version = session.get(CourseVersion, certificate.course_version_id)
    if user is None or course is None or version is None:  # pragma: no cover - foreign keys
        raise NotFound("No such certificate.")
    certificate.status = "superseded"
    certificate.revoked_at, certificate.revoked_by_id = now, actor.id
    certificate.revocation_category, certificate.revocation_reason = "superseded_by_reissue", reason[:2000]
    session.flush()  # free the (user, course, cycle) slot before the replacement takes it
    replacement = new_certificate(
        user=user,
        course=course,
        version=version,
        cycle=certificate.cycle,
        completed_at=certificate.completed_at,
        attempt_id=certificate.attempt_id,
        now=now,
        completion_date=certificate.completion_date,
        expiry_date=certificate.expiry_date,
        keep_dates=True,
    )
    certificate.superseded_by_id = replacement.id
    _flip_status_bit(certificate, now)
    record_event(replacement, "issued", actor, now, cycle=replacement.cycle, replaces=certificate.code, reason=reason[:2000])
    record_event(certificate, "superseded", actor, now, by=replacement.code, reason=reason[:2000])
    record_event(replacement, "reissued", actor, now, replaces=certificate.code)
    session.flush()
    return replacement


def search(actor: User, query: str, limit: int = 50) -> list[Certificate]:
    """By code (sloppy input welcome), public id, or part of the learner's name; certificates of the courses the
    actor teaches."""
    policy.require_manager(actor)
    query = query.strip()[:100]
    stmt = (
        select(Certificate)
        .where(policy.managed_filter(actor))
        .order_by(Certificate.created_at.desc(), Certificate.id.desc())
        .limit(limit)
    )
    if query:
        conditions = [func.lower(Certificate.learner_name).contains(query.lower(), autoescape=True)]
        with contextlib.suppress(InvalidCode):
            conditions.append(Certificate.code == normalise_code(query))
        if is_valid_public_id(query.lower()):
            conditions.append(Certificate.public_id == query.lower())
        stmt = stmt.where(or_(*conditions))
    return list(session.scalars(stmt))


def manage(actor: User, public_id: str) -> tuple[Certificate, list[CertificateEvent]]:
    policy.require_manager(actor)
    certificate = by_public_id(public_id)
    policy.require_manager(actor, certificate)
    events = list(
        session.scalars(
            select(CertificateEvent)
            .where(CertificateEvent.certificate_id == certificate.id)
            .order_by(CertificateEvent.at, CertificateEvent.id)
        )
    )
    return certificate, events
