"""Expiry reminders: email a learner a few times before their certificate expires (REMINDER_LEAD_DAYS, e.g.
60,30,7), from `flask certificates remind`, run daily by cron. Each (certificate, lead time) is sent at most once,
whoever runs it and however often: a unique key on ReminderSent decides. Lead times a missed run skipped are recorded,
not emailed, so a learner gets one email rather than a burst. Clinics copy each reminder to the learner's clinic
through the reminder_sent signal (signals.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from edu.auth.models import User
from edu.db import session, utcnow
from edu.errors import Invalid
from edu.presentation import day

from .issuance import record_event
from .models import Certificate, ReminderSent
from .signals import reminder_sent


def parse_lead_days(value: str | Iterable[int]) -> list[int]:
    if isinstance(value, str):
        try:
            leads = [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        except ValueError as exc:
            raise Invalid(f"REMINDER_LEAD_DAYS must be whole numbers of days, e.g. 60,30,7: {value!r}") from exc
    else:
        leads = list(value)
    if not leads or any(lead < 1 or lead > 3650 for lead in leads):
        raise Invalid("Reminder lead times must be between 1 and 3650 days.")
    return sorted(set(leads), reverse=True)


@dataclass(frozen=True)
class DueReminder:
    certificate: Certificate
    user: User
    lead_days: int
    """The nearest lead time due: the one the email is for."""
    passed_over: tuple[int, ...]
    """Farther lead times also due but never sent (cron missed them): recorded, not emailed."""
    days_left: int


def due_reminders(today: date, leads: Sequence[int]) -> list[DueReminder]:
    """Current, valid certificates expiring within the longest lead time whose nearest due reminder has not been
    sent, for the latest cycle only (a renewed learner is not reminded about the old certificate). Two queries."""
    if not leads:
        return []
    newer = aliased(Certificate)
    rows = session.execute(
        select(Certificate, User)
        .join(User, User.id == Certificate.user_id)
        .where(
            Certificate.status == "valid",
            Certificate.expiry_date.is_not(None),
            Certificate.expiry_date > today,
            Certificate.expiry_date <= today + timedelta(days=max(leads)),
            ~exists().where(
                and_(
                    newer.user_id == Certificate.user_id,
                    newer.course_id == Certificate.course_id,
                    newer.cycle > Certificate.cycle,
                    newer.status != "superseded",
                )
            ),
        )
        .order_by(Certificate.expiry_date, Certificate.id)
    ).all()
    if not rows:
        return []
    sent: dict[int, set[int]] = {}
    for certificate_id, lead in session.execute(
        select(ReminderSent.certificate_id, ReminderSent.lead_days).where(
            ReminderSent.certificate_id.in_([c.id for c, _ in rows])
        )
    ):
        sent.setdefault(certificate_id, set()).add(lead)
    due: list[DueReminder] = []
    for certificate, user in rows:
        assert certificate.expiry_date is not None
        days_left = (certificate.expiry_date - today).days
        applicable = sorted(lead for lead in leads if days_left <= lead)
        if not applicable or applicable[0] in sent.get(certificate.id, set()):
            continue
        nearest = applicable[0]
        passed = tuple(lead for lead in applicable[1:] if lead not in sent.get(certificate.id, set()))
        due.append(DueReminder(certificate, user, nearest, passed, days_left))
    return due


def reminder_text(reminder: DueReminder, renew_url: str) -> tuple[str, str]:
    c = reminder.certificate
    assert c.expiry_date is not None
    subject = f"Your certificate for {c.course_title} expires on {day(c.expiry_date)}"
    body = (
        f"Hello {reminder.user.name},\n\n"
        f"Your certificate {c.code} for {c.course_title} (version {c.course_version}) expires on "
        f"{day(c.expiry_date)}, in {reminder.days_left} day{'s' if reminder.days_left != 1 else ''}.\n\n"
        f"You can renew it by passing the final exam again: {renew_url}\n\n"
        "You receive this email because you hold a certificate from us. It is sent a few times before expiry only.\n"
    )
    return subject, body


def send_reminder(reminder: DueReminder, renew_url: str, *, now: datetime | None = None) -> bool:
    """Record one reminder and queue its email (it leaves when the caller commits); False when another run already
    recorded it (the unique key decides)."""
    from edu.mail import services as mail

    now = now or utcnow()
    try:
        with session.begin_nested():
            session.add(ReminderSent(certificate_id=reminder.certificate.id, lead_days=reminder.lead_days, sent_at=now))
            for lead in reminder.passed_over:
                session.add(ReminderSent(certificate_id=reminder.certificate.id, lead_days=lead, sent_at=now, emailed=False))
            session.flush()
    except IntegrityError:
        return False
    subject, body = reminder_text(reminder, renew_url)
    mail.queue(reminder.user.email, subject, body)
    record_event(
        reminder.certificate, "reminder_sent", None, now, lead_days=reminder.lead_days, passed_over=list(reminder.passed_over)
    )
    session.flush()
    reminder_sent.send(reminder.certificate, lead_days=reminder.lead_days, user=reminder.user)
    return True
