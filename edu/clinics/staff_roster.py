"""The clinic's roster: every consenting staff member's status per published course, read from the database.

The status rules themselves are pure and live in roster.py; this module gathers their facts, a handful of queries
whatever the number of staff or courses, each joined through the clinic's consented links (policy.consented).

What a clinic sees of a consenting learner: their name, per published course a status (with lesson progress),
certificate codes, CE hours and expiry dates, and the email address the clinic itself typed. Never the
account's own email (when it differs in case only, the clinic's spelling is shown), never the licence number or
jurisdiction, never quiz answers or grades.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select

from edu.auth.models import User
from edu.catalog.models import Course, CourseVersion, Lesson, LessonCompletion
from edu.certificates.models import Certificate
from edu.db import session, utcnow
from edu.errors import NotFound

from . import policy
from . import roster as rules
from .models import Clinic, StaffLink


@dataclass(frozen=True)
class RosterCourse:
    id: int
    slug: str
    title: str
    ce_hours: Decimal
    lessons: int


@dataclass(frozen=True)
class StaffCertificate:
    course_id: int
    course_title: str
    code: str
    state: str
    """valid | expired | revoked, today."""
    ce_hours: Decimal
    issue_date: date
    expiry_date: date | None


@dataclass
class Roster:
    clinic: Clinic
    courses: list[RosterCourse]
    rows: list[rules.StaffRow]
    today: date
    window_days: int
    certificates: dict[int, list[StaffCertificate]] = field(default_factory=dict)
    """By staff link id: every current certificate of the person (for the detail page and exports)."""

    @property
    def counts(self) -> dict[int, dict[str, int]]:
        return rules.counts(self.rows, [c.id for c in self.courses])

    def course(self, course_id: int) -> RosterCourse | None:
        return next((c for c in self.courses if c.id == course_id), None)


def roster(
    actor: User,
    clinic: Clinic,
    *,
    today: date | None = None,
    window_days: int = rules.DEFAULT_WINDOW_DAYS,
    link_id: int | None = None,
) -> Roster:
    policy.require_admin(actor, clinic)
    return build_roster(clinic, today or utcnow().date(), window_days, link_id)


def build_roster(clinic: Clinic, today: date, window_days: int, link_id: int | None = None) -> Roster:
    """Five queries whatever the number of staff or courses. No permission check: its callers ask policy.py (`roster`)
    or run for the clinic itself (the daily digest to its administrators)."""
    courses = [
        RosterCourse(course.id, course.slug, version.title, Decimal(version.ce_hours), 0)
        for course, version in session.execute(
            select(Course, CourseVersion)
            .join(CourseVersion, CourseVersion.id == Course.current_version_id)
            .where(Course.published.is_(True))
            .order_by(CourseVersion.title, Course.id)
        )
    ]
    totals = dict(
        session.execute(
            select(Course.id, func.count(Lesson.id))
            .join(Lesson, Lesson.course_version_id == Course.current_version_id)
            .where(Course.published.is_(True))
            .group_by(Course.id)
        ).all()
    )
    courses = [RosterCourse(c.id, c.slug, c.title, c.ce_hours, int(totals.get(c.id, 0))) for c in courses]
    staff_query = (
        select(StaffLink.id, StaffLink.invited_email, User.id, User.name)
        .join(User, User.id == StaffLink.user_id)
        .where(
            StaffLink.clinic_id == clinic.id,
            StaffLink.accepted_at.is_not(None),
            StaffLink.withdrawn_at.is_(None),
            User.email_verified_at.is_not(None),
        )
    )
    if link_id is not None:
        staff_query = staff_query.where(StaffLink.id == link_id)
    staff = session.execute(staff_query).all()
    people = policy.consented(clinic.id)
    if link_id is not None:
        people = people.where(StaffLink.id == link_id)
    course_ids = [c.id for c in courses]
    certificates: dict[tuple[int, int], list[Certificate]] = {}
    done: dict[tuple[int, int], int] = {}
    if staff and courses:
        for certificate in session.scalars(
            select(Certificate)
            .where(Certificate.user_id.in_(people), Certificate.course_id.in_(course_ids), Certificate.status != "superseded")
            .order_by(Certificate.issue_date, Certificate.id)
        ):
            certificates.setdefault((certificate.user_id, certificate.course_id), []).append(certificate)
        done = {
            (user_id, course_id): count
            for user_id, course_id, count in session.execute(
                select(LessonCompletion.user_id, LessonCompletion.course_id, func.count(LessonCompletion.id))
                .join(Course, Course.id == LessonCompletion.course_id)
                .join(
                    Lesson, and_(Lesson.course_version_id == Course.current_version_id, Lesson.key == LessonCompletion.lesson_key)
                )
                .where(LessonCompletion.user_id.in_(people), LessonCompletion.course_id.in_(course_ids))
                .group_by(LessonCompletion.user_id, LessonCompletion.course_id)
            )
        }
    rows: list[rules.StaffRow] = []
    held: dict[int, list[StaffCertificate]] = {}
    titles = {c.id: c.title for c in courses}
    for link, email, user_id, name in staff:
        statuses: dict[int, rules.CourseStatus] = {}
        facts_all: list[rules.CertificateFact] = []
        for course in courses:
            found = certificates.get((user_id, course.id), [])
            facts = [_fact(c) for c in found]
            facts_all += facts
            statuses[course.id] = rules.course_status(
                facts, done.get((user_id, course.id), 0), course.lessons, today, window_days
            )
            held.setdefault(link, []).extend(
                StaffCertificate(
                    c.course_id, titles[c.course_id], c.code, c.state_on(today), Decimal(c.ce_hours), c.issue_date, c.expiry_date
                )
                for c in found
            )
        rows.append(rules.StaffRow(link, name, email, statuses, rules.hours_earned(facts_all)))
    return Roster(clinic, courses, rows, today, window_days, held)


def _fact(certificate: Certificate) -> rules.CertificateFact:
    return rules.CertificateFact(
        certificate.code,
        certificate.status,
        certificate.cycle,
        certificate.issue_date,
        certificate.expiry_date,
        Decimal(certificate.ce_hours),
    )


def staff_member(
    actor: User, clinic: Clinic, link_id: int, *, today: date | None = None, window_days: int = rules.DEFAULT_WINDOW_DAYS
) -> Roster:
    """One consenting staff member's roster; NotFound for anything else (another clinic's link, a pending or
    withdrawn one, an id that does not exist: the same answer, so ids cannot be probed)."""
    found = roster(actor, clinic, today=today, window_days=window_days, link_id=link_id)
    if not found.rows:
        raise NotFound("No such staff member.")
    return found
