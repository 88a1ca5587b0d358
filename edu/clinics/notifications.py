"""What clinics hear of their staff's certificates: copies of expiry reminders, and revocations.

Certificates may not import clinics (clinics depend on certificates), so the certificates service announces each
reminder it sends and each revocation with a blinker signal and this module answers it: the administrators of every
clinic the learner currently shares their record with get a short note. Clinics the learner withdrew from, or never
consented to, get nothing; nor does any clinic while the learner's address is unconfirmed (the rule of
policy.consented: an unconfirmed account's records are shared with no one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from edu.auth.models import User
from edu.certificates import signing
from edu.certificates.models import Certificate
from edu.certificates.signals import certificate_revoked, reminder_sent
from edu.db import session
from edu.mail import services as mail
from edu.presentation import day

from .models import Clinic, ClinicAdmin, StaffLink


def clinic_recipients(user_id: int) -> list[tuple[Clinic, User]]:
    """(clinic, administrator) for every clinic with the learner's active consent, the learner's address confirmed;
    one query."""
    learner = aliased(User)
    rows = session.execute(
        select(Clinic, User)
        .join(StaffLink, StaffLink.clinic_id == Clinic.id)
        .join(learner, learner.id == StaffLink.user_id)
        .join(ClinicAdmin, ClinicAdmin.clinic_id == Clinic.id)
        .join(User, User.id == ClinicAdmin.user_id)
        .where(
            StaffLink.user_id == user_id,
            StaffLink.accepted_at.is_not(None),
            StaffLink.withdrawn_at.is_(None),
            learner.email_verified_at.is_not(None),
            User.is_active.is_(True),
        )
        .order_by(Clinic.name, User.email)
    )
    return [(clinic, admin) for clinic, admin in rows]


def copy_reminder_to_clinics(certificate: Certificate, **_: Any) -> int:
    if certificate.expiry_date is None:
        return 0
    sent = 0
    for clinic, admin in clinic_recipients(certificate.user_id):
        mail.queue(
            admin.email,
            f"{certificate.learner_name}: certificate expires {day(certificate.expiry_date)}",
            f"Hello {admin.name},\n\n{certificate.learner_name}, who shares their certificates with {clinic.name}, "
            f"was reminded today that their certificate for {certificate.course_title} (version "
            f"{certificate.course_version}, code {certificate.code}) expires on {day(certificate.expiry_date)}.\n\n"
            "You can see every staff member's status on your clinic roster.\n",
        )
        sent += 1
    return sent


def tell_clinics_of_revocation(certificate: Certificate, **_: Any) -> int:
    """What was revoked, when and why in the plain words the verification page uses (never the staff's note)."""
    sent = 0
    for clinic, admin in clinic_recipients(certificate.user_id):
        mail.queue(
            admin.email,
            f"{certificate.learner_name}: certificate revoked",
            f"Hello {admin.name},\n\n{certificate.learner_name}, who shares their certificates with {clinic.name}, "
            f"no longer holds a valid certificate for {certificate.course_title} (version {certificate.course_version}, "
            f"code {certificate.code}): it was revoked on {day(certificate.revoked_at)}.\n\n"
            f"Why: {certificate.revocation_label}.\n\n"
            f"Its verification page says the same: {signing.verify_url(certificate.code)}\n"
            "You can see every staff member's status on your clinic roster.\n",
        )
        sent += 1
    return sent


def connect() -> None:
    """Subscribe once (weakly referenced receivers would vanish, so keep a strong reference)."""
    reminder_sent.connect(copy_reminder_to_clinics, weak=False)
    certificate_revoked.connect(tell_clinics_of_revocation, weak=False)
