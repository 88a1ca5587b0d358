"""Clinic copies of certificate expiry reminders.

Certificates may not import clinics (clinics depend on certificates), so the certificates service announces each
reminder it sends with a blinker signal and this module answers it: the administrators of every clinic the
learner currently shares their record with get a short copy. Clinics the learner withdrew from get nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from edu.auth.models import User
from edu.certificates.models import Certificate
from edu.certificates.signals import reminder_sent
from edu.db import session
from edu.mail import services as mail
from edu.presentation import day

from .models import Clinic, ClinicAdmin, StaffLink


def clinic_recipients(user_id: int) -> list[tuple[Clinic, User]]:
    """(clinic, administrator) for every clinic with the learner's active consent; one query."""
    rows = session.execute(
        select(Clinic, User)
        .join(StaffLink, StaffLink.clinic_id == Clinic.id)
        .join(ClinicAdmin, ClinicAdmin.clinic_id == Clinic.id)
        .join(User, User.id == ClinicAdmin.user_id)
        .where(
            StaffLink.user_id == user_id,
            StaffLink.accepted_at.is_not(None),
            StaffLink.withdrawn_at.is_(None),
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


def connect() -> None:
    """Subscribe once (weakly referenced receivers would vanish, so keep a strong reference)."""
    reminder_sent.connect(copy_reminder_to_clinics, weak=False)
