"""The expiry digest: once a day, each clinic's administrators get one email listing the staff certificates that
expire within the window, and the roster page shows the same list.

`flask clinics digest` (edu/cli.py) runs it from cron, one clinic per commit. A DigestSent row per clinic and day,
unique, makes a second run (or two at once) send nothing twice. Only consenting staff are listed: the digest reads
the same roster as the clinic's own page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from edu.auth.models import User
from edu.db import session, utcnow
from edu.mail import services as mail

from . import policy
from .models import Clinic, ClinicAdmin, DigestSent
from .staff_roster import Roster, build_roster


@dataclass(frozen=True)
class DigestEntry:
    name: str
    course_title: str
    code: str
    expiry_date: date
    days_left: int


def upcoming_expiries(report: Roster) -> list[DigestEntry]:
    entries = []
    for row in report.rows:
        for course in report.courses:
            status = row.statuses[course.id]
            if (
                status.status == "expiring"
                and status.certificate
                and status.certificate.expiry_date
                and status.days_left is not None
            ):
                entries.append(
                    DigestEntry(row.name, course.title, status.certificate.code, status.certificate.expiry_date, status.days_left)
                )
    return sorted(entries, key=lambda e: (e.expiry_date, e.name.casefold(), e.course_title))


@dataclass(frozen=True)
class Digest:
    clinic: Clinic
    entries: list[DigestEntry]
    recipients: list[User]


def due_digests(today: date, window_days: int) -> list[Digest]:
    """Clinics with consenting staff whose certificates expire within the window and no digest sent today."""
    sent_today = select(DigestSent.clinic_id).where(DigestSent.day == today)
    clinics = session.scalars(select(Clinic).where(Clinic.id.not_in(sent_today)).order_by(Clinic.id)).all()
    admins: dict[int, list[User]] = {}
    for clinic_id, user in session.execute(
        select(ClinicAdmin.clinic_id, User)
        .join(User, User.id == ClinicAdmin.user_id)
        .where(ClinicAdmin.clinic_id.in_([c.id for c in clinics]), User.is_active.is_(True))
        .order_by(User.name)
    ):
        if policy.can_administer(user):
            admins.setdefault(clinic_id, []).append(user)
    due = []
    for clinic in clinics:
        if not admins.get(clinic.id):
            continue
        entries = upcoming_expiries(build_roster(clinic, today, window_days))
        if entries:
            due.append(Digest(clinic, entries, admins[clinic.id]))
    return due


def digest_body(digest: Digest, today: date, window_days: int, roster_url: str) -> str:
    lines = [
        f"Certificates of {digest.clinic.name} staff that expire in the next {window_days} days (as of {today.isoformat()}):",
        "",
    ]
    for entry in digest.entries:
        when = "tomorrow" if entry.days_left == 1 else f"in {entry.days_left} days"
        lines.append(
            f"- {entry.name}: {entry.course_title}, certificate {entry.code}, expires {entry.expiry_date.isoformat()} ({when})"
        )
    lines += [
        "",
        f"The full roster: {roster_url}",
        "",
        "Only staff who agreed to share their records with the clinic are listed.",
    ]
    return "\n".join(lines)


def send_digest(digest: Digest, today: date, window_days: int, roster_url: str, *, now: datetime | None = None) -> bool:
    """Queue one clinic's digest to each of its administrators, once per day: False if another run got there first."""
    try:
        with session.begin_nested():
            session.add(
                DigestSent(
                    clinic_id=digest.clinic.id,
                    day=today,
                    window_days=window_days,
                    recipients=len(digest.recipients),
                    entries=len(digest.entries),
                    sent_at=now or utcnow(),
                )
            )
            session.flush()
    except IntegrityError:
        return False
    body = digest_body(digest, today, window_days, roster_url)
    count = len(digest.entries)
    subject = f"{digest.clinic.name}: {count} certificate{'s' if count != 1 else ''} expiring within {window_days} days"
    for admin in digest.recipients:
        mail.queue(admin.email, subject, body)
    return True
