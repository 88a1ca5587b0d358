"""Clinic rules: who administers a clinic, invitations and the learner's consent, the roster, bulk
verification and the expiry digest.

The one rule everything here serves: a clinic sees a learner's records only through a staff link that the
learner accepted and has not withdrawn, and only people who administer *that* clinic see it. Every read starts
from `open_clinic(actor, slug)` (a 404 for anyone who is not one of its administrators, so a clinic's existence
leaks nothing) and every query of learner data is joined through the consented links of that clinic.

What a clinic sees of a consenting learner: their name, per published course a status (with lesson progress),
certificate codes, CE hours and expiry dates, and the email address the clinic itself typed. Never the
account's own email (when it differs in case only, the clinic's spelling is shown), never the licence number or
jurisdiction, never quiz answers or grades.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from edu.auth.models import Role, User
from edu.auth.services import normalise_email
from edu.auth.tokens import digest as hash_token
from edu.auth.tokens import new_token
from edu.catalog.models import Course, CourseVersion, Lesson, LessonCompletion
from edu.certificates import verification
from edu.certificates.models import Certificate
from edu.certificates.snapshot import InvalidCode, normalise_code
from edu.db import session, utcnow
from edu.errors import Conflict, Forbidden, Invalid, NotFound
from edu.mail import services as mail
from edu.slugs import slugify

from . import roster as rules
from .models import Clinic, ClinicAdmin, DigestSent, StaffEvent, StaffLink

INVITATION_DAYS = 30
RESERVED_SLUGS = frozenset({"invitations", "join", "new", "static"})
NO_CLINIC = "No such clinic."
NO_INVITATION = "This invitation is not available: it may have been answered, cancelled or replaced by a newer one."
CONFIRM_EMAIL_FIRST = (
    "Confirm your email address before you answer this invitation: open the link we emailed you when you created "
    "your account, or send it again with the button at the top of this page. The invitation waits for you."
)
WRONG_ACCOUNT = (
    "This invitation was sent to a different email address. Log in with the account that uses that address, "
    "or ask the clinic to invite the address of this account."
)


# --- clinics and their administrators -----------------------------------------------------------------------------------


def can_administer(user: User | None) -> bool:
    return user is not None and user.has_role(Role.CLINIC_ADMIN)


def create_clinic(actor: User, name: str, *, now: datetime | None = None) -> Clinic:
    if not can_administer(actor):
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
    if not can_administer(actor):
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
    """The clinic, for one of its administrators (who still holds the clinic_admin role); NotFound for anyone else,
    including site administrators who are not among the clinic's administrators: consent was given to the clinic."""
    if actor is None or not can_administer(actor) or len(slug) > 80:
        raise NotFound(NO_CLINIC)
    clinic = session.scalar(
        select(Clinic)
        .join(ClinicAdmin, ClinicAdmin.clinic_id == Clinic.id)
        .where(Clinic.slug == slug, ClinicAdmin.user_id == actor.id)
    )
    if clinic is None:
        raise NotFound(NO_CLINIC)
    session.info.setdefault("edu.clinics.admin_of", set()).add((actor.id, clinic.id))
    return clinic


def _require_admin(actor: User, clinic: Clinic) -> None:
    checked: set[tuple[int, int]] = session.info.setdefault("edu.clinics.admin_of", set())
    if (actor.id, clinic.id) in checked and can_administer(actor):
        return
    open_clinic(actor, clinic.slug)


def administrators(actor: User, clinic: Clinic) -> list[User]:
    _require_admin(actor, clinic)
    return list(
        session.scalars(
            select(User)
            .join(ClinicAdmin, ClinicAdmin.user_id == User.id)
            .where(ClinicAdmin.clinic_id == clinic.id)
            .order_by(User.name)
        )
    )


def add_administrator(actor: User, clinic: Clinic, email: str, *, now: datetime | None = None) -> User:
    _require_admin(actor, clinic)
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active or not can_administer(user):
        raise Invalid("There is no clinic administrator account with that email. Ask the site administrator to create one.")
    exists = session.scalar(select(ClinicAdmin.id).where(ClinicAdmin.clinic_id == clinic.id, ClinicAdmin.user_id == user.id))
    if exists is not None:
        raise Conflict(f"{user.name} already administers this clinic.")
    session.add(ClinicAdmin(clinic_id=clinic.id, user_id=user.id, added_by_id=actor.id, added_at=now or utcnow()))
    session.flush()
    return user


# --- invitations and consent ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    link: StaffLink
    token: str
    """The raw single-use token, for the email only: the database keeps its hash."""
    reinvited: bool


def _event(link: StaffLink, action: str, actor: User | None, now: datetime, **detail: object) -> None:
    session.add(StaffEvent(staff_link_id=link.id, actor_id=actor.id if actor else None, action=action, detail=detail, at=now))


def invite(actor: User, clinic: Clinic, email: str, *, now: datetime | None = None) -> Invitation:
    """Invite an email address; inviting it again sends a fresh link (the old one stops working). Someone who
    declined or withdrew may be invited again: nothing is shared until they accept again."""
    _require_admin(actor, clinic)
    now = now or utcnow()
    email = normalise_email(email)
    if not email or "@" not in email or len(email) > 254:
        raise Invalid("Enter a valid email address.")
    token, token_hash = new_token()
    link = session.scalar(select(StaffLink).where(StaffLink.clinic_id == clinic.id, StaffLink.invited_email == email))
    if link is not None:
        if link.state == "accepted":
            raise Conflict(f"{email} is already on your staff list.")
        previous = link.state
        link.token_hash = token_hash
        link.invited_by_id, link.invited_at = actor.id, now
        link.user_id, link.accepted_at, link.declined_at, link.withdrawn_at = None, None, None, None
        _event(link, "reinvited", actor, now, previous=previous)
        session.flush()
        return Invitation(link, token, True)
    link = StaffLink(clinic_id=clinic.id, invited_email=email, token_hash=token_hash, invited_by_id=actor.id, invited_at=now)
    try:
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError:
        raise Conflict(f"{email} was invited by someone else at the same moment.") from None
    _event(link, "invited", actor, now)
    session.flush()
    return Invitation(link, token, False)


def send_invitation(clinic: Clinic, invitation: Invitation, accept_url: str, inviter: User) -> None:
    body = (
        f"{inviter.name} has invited you to join the staff of {clinic.name} on Needlepoint CE.\n\n"
        f"If you accept, {clinic.name} will see your name and, for each course, your progress, certificate codes, "
        "CE hours and expiry dates. It will not see your licence number or your quiz answers, and you can withdraw "
        "at any time.\n\n"
        f"To accept or decline, log in (or create an account with this email address) and open:\n{accept_url}\n\n"
        f"The link works once and for {INVITATION_DAYS} days. If you were not expecting this, ignore this email: "
        "nothing is shared unless you accept."
    )
    mail.queue(invitation.link.invited_email, f"{clinic.name} invites you to share your CE records", body)


def _open(link: StaffLink, now: datetime) -> bool:
    return link.state == "pending" and link.token_hash is not None and now < link.invited_at + timedelta(days=INVITATION_DAYS)


def invitation_by_token(actor: User, token: str, *, now: datetime | None = None) -> StaffLink:
    """The pending invitation behind a link, for the account it was sent to. Anyone else is refused (Forbidden,
    without saying to whom it was sent); a used, cancelled, replaced or expired link is NotFound."""
    now = now or utcnow()
    if not token or len(token) > 100:
        raise NotFound(NO_INVITATION)
    link = session.scalar(
        select(StaffLink).options(joinedload(StaffLink.clinic)).where(StaffLink.token_hash == hash_token(token))
    )
    if link is None or not _open(link, now):
        raise NotFound(NO_INVITATION)
    if link.invited_email != normalise_email(actor.email):
        raise Forbidden(WRONG_ACCOUNT)
    return link


def _own_pending(actor: User, link_id: int, now: datetime) -> StaffLink:
    link = session.get(StaffLink, link_id)
    if link is None or link.invited_email != normalise_email(actor.email) or not _open(link, now):
        raise NotFound(NO_INVITATION)
    return link


def respond(actor: User, link: StaffLink, accept: bool, *, now: datetime | None = None) -> StaffLink:
    """Accept (the learner's consent) or decline. The link's token is spent either way.

    Only an account whose address is confirmed may answer: an invitation goes to an address, and whoever registers
    that address without owning it must neither join the clinic's staff nor turn the invitation down for its owner."""
    now = now or utcnow()
    if link.invited_email != normalise_email(actor.email):
        raise Forbidden(WRONG_ACCOUNT)
    if not _open(link, now):
        raise NotFound(NO_INVITATION)
    if not actor.email_verified:
        raise Forbidden(CONFIRM_EMAIL_FIRST)
    link.user_id, link.token_hash = actor.id, None
    if accept:
        link.accepted_at = now
    else:
        link.declined_at = now
    _event(link, "accepted" if accept else "declined", actor, now)
    session.flush()
    return link


def respond_by_id(actor: User, link_id: int, accept: bool, *, now: datetime | None = None) -> StaffLink:
    now = now or utcnow()
    return respond(actor, _own_pending(actor, link_id, now), accept, now=now)


def withdraw(actor: User, link_id: int, *, now: datetime | None = None) -> StaffLink:
    """The learner ends their consent; from now on the clinic sees nothing of them. The row stays, for the record."""
    now = now or utcnow()
    link = session.get(StaffLink, link_id)
    if link is None or link.user_id != actor.id or link.state != "accepted":
        raise NotFound("You do not share your records through this link.")
    link.withdrawn_at, link.token_hash = now, None
    _event(link, "withdrawn", actor, now)
    session.flush()
    return link


def end_link(actor: User, clinic: Clinic, link_id: int, *, now: datetime | None = None) -> StaffLink:
    """The clinic cancels a pending invitation or takes someone off its staff list."""
    _require_admin(actor, clinic)
    now = now or utcnow()
    link = session.get(StaffLink, link_id)
    if link is None or link.clinic_id != clinic.id or link.state not in ("pending", "accepted"):
        raise NotFound("No such invitation or staff member.")
    action = "removed" if link.state == "accepted" else "cancelled"
    link.withdrawn_at, link.token_hash = now, None
    _event(link, action, actor, now)
    session.flush()
    return link


@dataclass(frozen=True)
class MyLinks:
    pending: list[StaffLink]
    sharing: list[StaffLink]
    past: list[StaffLink]


def my_links(actor: User, *, now: datetime | None = None) -> MyLinks:
    """The learner's invitations (by email: an account created after the invitation sees it too) and links.
    Invitations found by email alone are shown only once the address is confirmed: until then the account may
    belong to someone who merely typed that address, and which clinics invited it is not theirs to learn."""
    now = now or utcnow()
    links = session.scalars(
        select(StaffLink)
        .options(joinedload(StaffLink.clinic))
        .where(
            or_(
                StaffLink.user_id == actor.id,
                and_(StaffLink.user_id.is_(None), StaffLink.invited_email == normalise_email(actor.email)),
            )
        )
        .order_by(StaffLink.invited_at.desc(), StaffLink.id.desc())
    ).all()
    pending = [link for link in links if link.user_id is None and _open(link, now) and actor.email_verified]
    sharing = [link for link in links if link.user_id == actor.id and link.state == "accepted"]
    past = [link for link in links if link.user_id == actor.id and link.state in ("declined", "withdrawn")]
    return MyLinks(pending, sharing, past)


def staff_links(actor: User, clinic: Clinic) -> list[StaffLink]:
    """Every invitation of the clinic, for its management page. Names only of those who consented."""
    _require_admin(actor, clinic)
    return list(
        session.scalars(
            select(StaffLink)
            .options(joinedload(StaffLink.user))
            .where(StaffLink.clinic_id == clinic.id)
            .order_by(StaffLink.invited_at.desc(), StaffLink.id.desc())
        )
    )


# --- the roster ----------------------------------------------------------------------------------------------------------


def consented(clinic_id: int) -> Select[Any]:
    """User ids of the clinic's consenting staff, as a subquery: every read of learner data goes through it. Only
    accounts with a confirmed address count (an unconfirmed one cannot accept; this holds should one ever lose its
    confirmation)."""
    return (
        select(StaffLink.user_id)
        .join(User, User.id == StaffLink.user_id)
        .where(
            StaffLink.clinic_id == clinic_id,
            StaffLink.accepted_at.is_not(None),
            StaffLink.withdrawn_at.is_(None),
            User.email_verified_at.is_not(None),
        )
    )


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
    _require_admin(actor, clinic)
    return _build_roster(clinic, today or utcnow().date(), window_days, link_id)


def _build_roster(clinic: Clinic, today: date, window_days: int, link_id: int | None = None) -> Roster:
    """Five queries whatever the number of staff or courses."""
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
    people = consented(clinic.id)
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


# --- bulk verification ---------------------------------------------------------------------------------------------------

MAX_BULK_ROWS = 500
MAX_UPLOAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class BulkRow:
    row: int
    """The line (pasted text) or row (CSV) number, from 1."""
    raw: str
    code: str | None = None
    error: str | None = None
    outcome: verification.Outcome | None = None

    @property
    def state(self) -> str:
        if self.error is not None:
            return "error"
        return self.outcome.state if self.outcome else "not_found"


def parse_pasted(text: str) -> list[tuple[int, str]]:
    """One code per line, or several separated by commas or semicolons. Blank lines are not rows; an empty item
    between two commas is (and is reported)."""
    entries: list[tuple[int, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        for item in re.split(r"[,;]", line):
            entries.append((number, item.strip()))
    return entries


def parse_csv(data: bytes) -> list[tuple[int, str]]:
    """A column named `code` (any case), else the first column. Blank rows are skipped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("The file is not a UTF-8 CSV file. Save it as CSV (UTF-8) and try again.") from None
    if "\x00" in text:
        raise Invalid("The file is not a CSV file.")
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Invalid(f"The CSV file could not be read: {exc}.") from None
    column, start = 0, 0
    if table:
        header = [cell.strip().lower() for cell in table[0]]
        if "code" in header:
            column, start = header.index("code"), 1
    entries = []
    for number, cells in enumerate(table[start:], start=start + 1):
        if not any(cell.strip() for cell in cells):
            continue
        entries.append((number, cells[column].strip() if column < len(cells) else ""))
    return entries


def check_entries(entries: Sequence[tuple[int, str]]) -> list[BulkRow]:
    """Normalise every code and mark what cannot be looked up: empty, malformed (with the reason), duplicate."""
    if len(entries) > MAX_BULK_ROWS:
        raise Invalid(
            f"You sent {len(entries)} codes; at most {MAX_BULK_ROWS} can be checked at once. Split the list and try again."
        )
    if not entries:
        raise Invalid("Paste at least one certificate code, or upload a CSV file with a column named code.")
    seen: dict[str, int] = {}
    rows = []
    for number, raw in entries:
        shown = raw[:80]
        if not raw:
            rows.append(BulkRow(number, shown, error="Empty: no code here."))
            continue
        try:
            code = normalise_code(raw[:200])
        except InvalidCode as exc:
            rows.append(BulkRow(number, shown, error=str(exc)))
            continue
        if code in seen:
            rows.append(BulkRow(number, shown, code, error=f"Duplicate of row {seen[code]}: checked once."))
            continue
        seen[code] = number
        rows.append(BulkRow(number, shown, code))
    return rows


def bulk_verify(
    actor: User,
    clinic: Clinic,
    rows: Sequence[BulkRow],
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    secret: str = "",
    now: datetime | None = None,
) -> list[BulkRow]:
    """Look up every well-formed code through the public verification service (logged, via 'bulk'): a clinic
    learns exactly what anyone holding the code could learn on the public page, whether or not the person is on
    its staff."""
    _require_admin(actor, clinic)
    checked = []
    for row in rows:
        if row.error is not None or row.code is None:
            checked.append(row)
            continue
        outcome = verification.lookup(row.code, via="bulk", ip=ip, user_agent=user_agent, secret=secret, now=now)
        checked.append(BulkRow(row.row, row.raw, row.code, outcome=outcome))
    return checked


# --- the expiry digest ---------------------------------------------------------------------------------------------------


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
        if can_administer(user):
            admins.setdefault(clinic_id, []).append(user)
    due = []
    for clinic in clinics:
        if not admins.get(clinic.id):
            continue
        entries = upcoming_expiries(_build_roster(clinic, today, window_days))
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
