"""Public verification: look a certificate up by what is printed on it, say what a stranger may know, log it.

A verifier learns the learner's name, the course title and version, the CE hours, the dates and the state, and
for a revoked certificate the category in plain words: never the email, the licence number or the free-text
reason. Every look-up is logged (VerificationLog) without the raw IP address: a keyed hash that changes every
day lets an operator spot one client hammering the service without building a history of who checked whom.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from edu.db import session, utcnow
from edu.presentation import format_hours

from .models import REVOCATION_CATEGORIES, VERIFICATION_CHANNELS, Certificate, VerificationLog
from .snapshot import InvalidCode, is_valid_public_id, normalise_code

STATES = ("valid", "expired", "revoked", "not_found")


@dataclass(frozen=True)
class PublicCertificate:
    """What the public may see, and nothing else."""

    code: str
    learner_name: str
    course_title: str
    course_version: str
    ce_hours: Decimal
    completion_date: date
    issue_date: date
    expiry_date: date | None
    revocation_category: str | None
    revoked_on: date | None
    statement: str | None = None
    """What the certificate does not attest, in the course's words at issuance (shown on the page, not in JSON)."""

    @property
    def revocation_label(self) -> str | None:
        return REVOCATION_CATEGORIES.get(self.revocation_category or "") if self.revocation_category else None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "learner_name": self.learner_name,
            "course_title": self.course_title,
            "course_version": self.course_version,
            "ce_hours": format_hours(self.ce_hours),
            "completion_date": self.completion_date.isoformat(),
            "issue_date": self.issue_date.isoformat(),
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
        }
        if self.revocation_category:
            data["revocation_category"] = self.revocation_category
            data["revocation_label"] = self.revocation_label
        return data


def public_view(certificate: Certificate) -> PublicCertificate:
    revoked = certificate.status != "valid"
    return PublicCertificate(
        code=certificate.code,
        learner_name=certificate.learner_name,
        course_title=certificate.course_title,
        course_version=certificate.course_version,
        ce_hours=Decimal(certificate.ce_hours),
        completion_date=certificate.completion_date,
        issue_date=certificate.issue_date,
        expiry_date=certificate.expiry_date,
        revocation_category=certificate.revocation_category if revoked else None,
        revoked_on=certificate.revoked_at.date() if revoked and certificate.revoked_at else None,
        statement=certificate.statement,
    )


@dataclass(frozen=True)
class Outcome:
    state: str
    """valid | expired | revoked | not_found"""
    lookup: str
    certificate: PublicCertificate | None = None
    problem: str | None = None
    """Why the input cannot be a code (a typing error), fit to show the person who typed it."""
    replaced_by: str | None = None
    """For a reissued certificate: the code of the one that replaced it."""


def ip_hash(ip: str | None, secret: str, today: date) -> str | None:
    if not ip:
        return None
    key = hashlib.sha256(f"{secret}|verification-log|{today.isoformat()}".encode()).digest()
    return hmac.new(key, ip.encode(), hashlib.sha256).hexdigest()


def lookup(
    raw: str,
    *,
    via: str,
    ip: str | None = None,
    user_agent: str | None = None,
    secret: str = "",
    now: datetime | None = None,
) -> Outcome:
    """Find by code (sloppy input normalised) or by public id; log the look-up; flush, never commit."""
    if via not in VERIFICATION_CHANNELS:
        raise ValueError(f"unknown verification channel {via!r}")
    now = now or utcnow()
    raw = (raw or "").strip()[:200]
    certificate: Certificate | None = None
    problem: str | None = None
    key = raw[:64]
    if is_valid_public_id(raw.lower()):
        key = raw.lower()
        certificate = session.scalar(select(Certificate).where(Certificate.public_id == key))
    else:
        try:
            key = normalise_code(raw)
        except InvalidCode as exc:
            problem = str(exc)
        else:
            certificate = session.scalar(select(Certificate).where(Certificate.code == key))
    if certificate is None:
        outcome = Outcome("not_found", key, problem=problem)
    else:
        replaced_by = None
        if certificate.superseded_by_id is not None:
            replaced_by = session.scalar(select(Certificate.code).where(Certificate.id == certificate.superseded_by_id))
        outcome = Outcome(certificate.state_on(now.date()), key, public_view(certificate), replaced_by=replaced_by)
    session.add(
        VerificationLog(
            lookup=key,
            certificate_id=certificate.id if certificate else None,
            result="invalid" if problem else outcome.state,
            via=via,
            ip_hash=ip_hash(ip, secret, now.date()),
            user_agent=(user_agent or "")[:200] or None,
            at=now,
        )
    )
    session.flush()
    return outcome
