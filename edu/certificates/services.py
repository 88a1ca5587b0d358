"""Certificate rules: when a course is complete, issuing exactly once, renewal cycles, revocation, reissue,
transcripts, the status list and expiry reminders.

Completion (course_versions.rules['completion']):

- lessons: all: every lesson of the *current* course version has a LessonCompletion (keyed by the stable lesson id);
- module_quizzes: passed: every live module quiz of a current module is passed;
- final_exam: passed: the live final exam is passed (not required when the course defines no final exam).

A quiz is passed when the learner's grade on it, by the quiz's grading method (highest, last, first or average of
the graded attempts), reaches its pass mark. Only attempts of the current certification cycle count.

Certification cycles (renewal). The first certificate of a course is cycle 1. A certificate in its last
RENEWAL_WINDOW_DAYS days, or expired, or revoked, opens the next cycle. The attempt model has no cycle column (the
quiz engine was still changing), so the boundary is a time: an attempt belongs to the new cycle when it was
submitted after the later of (a) the previous certificate's issuance and (b) the opening of its renewal window
(its revocation, for a revoked one). (b) is stricter than "after the issue date" on purpose: an exam retaken a
year before expiry must not renew a certificate automatically when the window opens. A renewal asks for the
final exam again (lessons stay read); a course without a final exam asks for its module quizzes again.

Issuing exactly once: the learner's user row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises
writers), the current cycle is re-read under the lock, and a partial unique index on (user, course, cycle) of
current certificates turns any race that slips past into "return the certificate the other request made".
"""

from __future__ import annotations

import base64
import calendar
import contextlib
import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from blinker import Namespace
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from edu.auth.models import Role, User
from edu.catalog import policy
from edu.catalog.models import Course, CourseVersion, Enrolment, Lesson, LessonCompletion, Module
from edu.db import session, utcnow
from edu.errors import Conflict, Forbidden, Invalid, NotFound
from edu.quizzes.grading_methods import grade_by_method, meets_pass_mark
from edu.quizzes.models import Attempt, Quiz

from . import signing
from .credential import VerificationResult, build_credential, issuer_urls, sign_credential, verify_credential
from .models import REVOCATION_CATEGORIES, Certificate, CertificateEvent, ReminderSent, StatusList
from .pdf import TranscriptRow
from .snapshot import InvalidCode, is_valid_public_id, new_code, new_public_id, normalise_code
from .status_list import (
    MIN_ENTRIES,
    StatusEntry,
    StatusListError,
    build_status_list_credential,
    decode_list,
    encode_list,
    get_bit,
    new_bitstring,
    random_free_index,
    set_bit,
)

RENEWAL_WINDOW_DAYS = 90
_ISSUE_RETRIES = 4
AWAITING_VERIFICATION = (
    "Your certificate will be issued as soon as you confirm your email address: open the link we emailed you, "
    "or send it again with the button at the top of the page."
)

signals = Namespace()
certificate_issued = signals.signal("certificate-issued")
certificate_revoked = signals.signal("certificate-revoked")
reminder_sent = signals.signal("certificate-reminder-sent")
"""Hook for clinics: connect a receiver `(sender=Certificate, lead_days=int, user=User)` to copy expiry reminders to
the learner's clinic (with the learner's consent). It fires after the learner's email was sent."""


# --- grades ------------------------------------------------------------------------------------------------------------


def graded(attempts: Iterable[Attempt]) -> list[Attempt]:
    return sorted((a for a in attempts if a.graded_at is not None and a.score is not None), key=lambda a: (a.number, a.id))


def deciding_attempt(method: str, attempts: Sequence[Attempt]) -> Attempt | None:
    """The attempt that settled the grade: the first best one (highest), the last, the first; for an average, the
    last attempt averaged in."""
    ordered = graded(attempts)
    if not ordered:
        return None
    if method == "first":
        return ordered[0]
    if method in ("last", "average"):
        return ordered[-1]
    best = max(a.score or 0.0 for a in ordered)
    return next(a for a in ordered if (a.score or 0.0) == best)


def add_months(day: date, months: int) -> date:
    """Same day of the month, `months` later; the 31st becomes the month's last day (Aug 31 + 6 months = Feb 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- cycles ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    number: int
    since: datetime | None
    """Attempts submitted after this moment count (None: all attempts)."""
    previous: Certificate | None
    """The latest current certificate of the learner for the course, if any."""
    certificate: Certificate | None
    """The certificate already issued for this cycle (the learner is certified and not yet due to renew)."""

    @property
    def renewal(self) -> bool:
        return self.number > 1


def renewal_opens(certificate: Certificate) -> date | None:
    if certificate.expiry_date is None:
        return None
    return certificate.expiry_date - timedelta(days=RENEWAL_WINDOW_DAYS)


def _latest(user_id: int, course_id: int) -> Certificate | None:
    return session.scalar(
        select(Certificate)
        .where(Certificate.user_id == user_id, Certificate.course_id == course_id, Certificate.status != "superseded")
        .order_by(Certificate.cycle.desc())
        .limit(1)
    )


def current_cycle(user: User, course: Course, today: date | None = None) -> Cycle:
    today = today or utcnow().date()
    latest = _latest(user.id, course.id)
    if latest is None:
        return Cycle(1, None, None, None)
    if latest.status == "revoked":
        return Cycle(latest.cycle + 1, latest.revoked_at, latest, None)
    opens = renewal_opens(latest)
    if opens is None or today < opens:
        return Cycle(latest.cycle, None, latest, latest)
    window = datetime.combine(opens, datetime.min.time(), tzinfo=latest.created_at.tzinfo)
    return Cycle(latest.cycle + 1, max(latest.created_at, window), latest, None)


# --- completion --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    label: str
    met: bool
    detail: str


@dataclass
class Completion:
    course: Course
    version: CourseVersion
    cycle: Cycle
    requirements: list[Requirement] = field(default_factory=list)
    completed_at: datetime | None = None
    attempt: Attempt | None = None

    @property
    def complete(self) -> bool:
        return all(r.met for r in self.requirements)

    @property
    def missing(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.met]


def _rules(version: CourseVersion) -> tuple[dict[str, Any], dict[str, Any], bool]:
    rules = version.rules or {}
    completion = {"lessons": "all", "module_quizzes": "passed", "final_exam": "passed", **(rules.get("completion") or {})}
    certificate = {
        "validity_months": 24,
        "approval_number": None,
        "signatory": None,
        "statement": None,
        **(rules.get("certificate") or {}),
    }
    return completion, certificate, rules.get("final_exam") is not None


def evaluate_completion(user: User, course: Course, *, now: datetime | None = None) -> Completion:
    """Whether the learner has met the course's completion rules in the current cycle; five queries."""
    now = now or utcnow()
    version = session.get(CourseVersion, course.current_version_id) if course.current_version_id else None
    if version is None:
        raise NotFound("No such course.")
    cycle = current_cycle(user, course, now.date())
    result = Completion(course, version, cycle)
    rules, _certificate, has_final = _rules(version)
    moments: list[datetime] = []

    if rules["lessons"] == "all":
        keys = list(session.scalars(select(Lesson.key).where(Lesson.course_version_id == version.id)))
        done = dict(
            session.execute(
                select(LessonCompletion.lesson_key, LessonCompletion.completed_at).where(
                    LessonCompletion.user_id == user.id, LessonCompletion.course_id == course.id
                )
            ).all()
        )
        read = [done[k] for k in keys if k in done]
        result.requirements.append(
            Requirement("Read every lesson", len(read) == len(keys), f"{len(read)} of {len(keys)} lessons completed")
        )
        moments.extend(read)

    final_required = rules["final_exam"] == "passed" and has_final
    # A renewal asks for the final exam again; module quizzes passed in an earlier cycle keep counting, unless the
    # course has no final exam, in which case the module quizzes are what a renewal retakes.
    modules_in_cycle = not (cycle.renewal and final_required)
    module_keys = set(session.scalars(select(Module.key).where(Module.course_version_id == version.id)))
    quizzes = [
        q
        for q in session.scalars(
            select(Quiz).where(Quiz.course_id == course.id, Quiz.retired_at.is_(None)).order_by(Quiz.kind, Quiz.id)
        )
        if q.kind == "final" or q.module_key in module_keys
    ]
    attempts: dict[int, list[Attempt]] = {}
    if quizzes:
        for attempt in session.scalars(
            select(Attempt).where(
                Attempt.user_id == user.id,
                Attempt.quiz_id.in_([q.id for q in quizzes]),
                Attempt.graded_at.is_not(None),
            )
        ):
            attempts.setdefault(attempt.quiz_id, []).append(attempt)

    def in_cycle(quiz: Quiz, every: bool = False) -> list[Attempt]:
        found = attempts.get(quiz.id, [])
        if every or cycle.since is None:
            return found
        return [a for a in found if (a.submitted_at or a.graded_at or now) > cycle.since]

    module_deciders: list[Attempt] = []
    if rules["module_quizzes"] == "passed":
        for quiz in (q for q in quizzes if q.kind == "module"):
            counted = in_cycle(quiz, every=not modules_in_cycle)
            grade = grade_by_method(quiz.grading_method, counted)
            passed = meets_pass_mark(grade, quiz.pass_mark)
            detail = "not attempted yet" if grade is None else f"grade {round(grade * 100)}%, pass mark {quiz.pass_mark}%"
            result.requirements.append(Requirement(f"Pass {quiz.title}", passed, detail))
            decider = deciding_attempt(quiz.grading_method, counted)
            if passed and decider is not None:
                module_deciders.append(decider)

    final_decider: Attempt | None = None
    if final_required:
        final = next((q for q in quizzes if q.kind == "final"), None)
        if final is None:
            result.requirements.append(Requirement("Pass the final exam", False, "the final exam is not available yet"))
        else:
            counted = in_cycle(final)
            grade = grade_by_method(final.grading_method, counted)
            passed = meets_pass_mark(grade, final.pass_mark)
            if grade is None:
                detail = "not attempted in this renewal yet" if cycle.renewal else "not attempted yet"
            else:
                detail = f"grade {round(grade * 100)}%, pass mark {final.pass_mark}%"
            result.requirements.append(Requirement(f"Pass {final.title}", passed, detail))
            if passed:
                final_decider = deciding_attempt(final.grading_method, counted)

    deciders = [final_decider] if final_decider is not None else []
    deciders += module_deciders
    moments.extend(a.submitted_at or a.graded_at for a in deciders if (a.submitted_at or a.graded_at) is not None)  # type: ignore[misc]
    if result.complete:
        if final_decider is not None:
            result.attempt = final_decider
        elif module_deciders:
            result.attempt = max(module_deciders, key=lambda a: a.submitted_at or a.graded_at or now)
        result.completed_at = min(max(moments), now) if moments else now
    return result


# --- issuing -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueResult:
    certificate: Certificate | None
    created: bool
    completion: Completion | None
    awaiting_verification: bool = False
    """The course is complete, but the learner's email address is not confirmed yet: nothing was issued. Confirming
    it issues what was earned (`issue_earned`)."""


def _lock_user(user_id: int) -> None:
    # The row lock that serialises one learner's issuance (a no-op on SQLite, which serialises writers anyway).
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def _status_list_for_new_entry() -> StatusList:
    current = session.scalar(select(StatusList).where(StatusList.purpose == "revocation").order_by(StatusList.id.desc()).limit(1))
    if current is not None:
        used = session.scalar(select(func.count(Certificate.id)).where(Certificate.status_list_id == current.id)) or 0
        if used < current.entries:
            return current
    fresh = StatusList(purpose="revocation", entries=MIN_ENTRIES, encoded_list=encode_list(new_bitstring(MIN_ENTRIES)))
    session.add(fresh)
    session.flush()
    return fresh


def _free_index(status_list: StatusList) -> int:
    used = set(session.scalars(select(Certificate.status_list_index).where(Certificate.status_list_id == status_list.id)))
    return random_free_index(used, status_list.entries)


def _sign(certificate: Certificate) -> str:
    entry = StatusEntry(signing.status_list_url(certificate.status_list_id), certificate.status_list_index)
    credential = build_credential(certificate.snapshot(), signing.issuer(), signing.verify_url(certificate.code), entry)
    return sign_credential(credential, signing.keyring())


def _event(certificate: Certificate, action: str, actor: User | None, now: datetime, **detail: Any) -> None:
    session.add(
        CertificateEvent(
            certificate_id=certificate.id, actor_id=actor.id if actor else None, action=action, detail=detail, at=now
        )
    )


def _new_certificate(
    *,
    user: User,
    course: Course,
    version: CourseVersion,
    cycle: int,
    completed_at: datetime,
    attempt_id: int | None,
    now: datetime,
    completion_date: date | None = None,
    expiry_date: date | None = None,
    keep_dates: bool = False,
) -> Certificate:
    """A certificate row with a fresh snapshot of the learner and the course version, a status list position and a
    signed credential, inserted inside a savepoint (the caller handles a unique-key race)."""
    _completion, rules, _has_final = _rules(version)
    completed_on = completion_date or completed_at.date()
    issue_date = now.date()
    if not keep_dates:
        months = rules.get("validity_months")
        expiry_date = add_months(completed_on, int(months)) if months else None
    if expiry_date is not None and expiry_date <= issue_date:
        raise Conflict("This completion is too old: a certificate issued today would already have expired.")
    status_list = _status_list_for_new_entry()
    certificate = Certificate(
        public_id=new_public_id(),
        code=new_code(),
        user_id=user.id,
        course_id=course.id,
        course_version_id=version.id,
        cycle=cycle,
        learner_name=user.name.strip(),
        licence_number=user.licence_number or None,
        jurisdiction=user.jurisdiction or None,
        course_key=course.slug,
        course_title=version.title,
        course_version=version.version,
        ce_hours=Decimal(version.ce_hours),
        completion_date=completed_on,
        issue_date=issue_date,
        expiry_date=expiry_date,
        provider=version.provider,
        signatory=(rules.get("signatory") or version.provider),
        approval_number=rules.get("approval_number") or None,
        statement=rules.get("statement") or None,
        attempt_id=attempt_id,
        completed_at=completed_at,
        status="valid",
        status_list_id=status_list.id,
        status_list_index=_free_index(status_list),
        credential_jwt="",
        created_at=now,
    )
    certificate.snapshot()  # refuse, before anything is written, what the snapshot's rules refuse
    certificate.credential_jwt = _sign(certificate)
    with session.begin_nested():
        session.add(certificate)
        session.flush()
    return certificate


def issue_if_complete(user: User, course: Course, *, now: datetime | None = None, actor: User | None = None) -> IssueResult:
    """Issue the learner's certificate for the current cycle if the course is complete, exactly once.

    Returns the certificate of the cycle (created now or earlier) or None with the completion saying what is
    missing. Safe to call after every graded attempt: it is cheap when nothing changed and idempotent.

    A certificate names a person whose address we have confirmed: for an unconfirmed account the completion is
    evaluated (and the attempts and lessons behind it are kept as always) but issuing waits for the confirmation."""
    now = now or utcnow()
    _lock_user(user.id)
    for _ in range(_ISSUE_RETRIES):
        cycle = current_cycle(user, course, now.date())
        if cycle.certificate is not None:
            return IssueResult(cycle.certificate, False, None)
        completion = evaluate_completion(user, course, now=now)
        if not completion.complete or completion.completed_at is None:
            return IssueResult(None, False, completion)
        if not user.email_verified:
            return IssueResult(None, False, completion, awaiting_verification=True)
        try:
            certificate = _new_certificate(
                user=user,
                course=course,
                version=completion.version,
                cycle=cycle.number,
                completed_at=completion.completed_at,
                attempt_id=completion.attempt.id if completion.attempt else None,
                now=now,
            )
        except IntegrityError:
            # Another request issued this cycle's certificate, or took the same status list position: look again.
            continue
        _event(
            certificate,
            "issued",
            actor or user,
            now,
            cycle=cycle.number,
            course_version=certificate.course_version,
            attempt_id=certificate.attempt_id,
            renewal_of=cycle.previous.code if cycle.renewal and cycle.previous else None,
        )
        session.flush()
        certificate_issued.send(certificate, user=user)
        return IssueResult(certificate, True, completion)
    raise Conflict("The certificate could not be issued just now. Please try again.")


def issue_earned(user: User, *, now: datetime | None = None) -> list[Certificate]:
    """Issue every certificate the learner has earned but not received: what waited for their address to be
    confirmed. Looks at the courses they enrolled in; a completion too old to certify today is skipped."""
    issued = []
    courses = session.scalars(
        select(Course).where(Course.id.in_(select(Enrolment.course_id).where(Enrolment.user_id == user.id))).order_by(Course.id)
    ).all()
    for course in courses:
        if course.current_version_id is None:
            continue
        try:
            result = issue_if_complete(user, course, now=now)
        except Conflict:
            continue
        if result.created and result.certificate is not None:
            issued.append(result.certificate)
    return issued


# --- reading -----------------------------------------------------------------------------------------------------------


def my_certificates(user: User) -> list[Certificate]:
    """The learner's certificates, newest first, superseded ones left out (their replacement is listed)."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id, Certificate.status != "superseded")
            .order_by(Certificate.issue_date.desc(), Certificate.id.desc())
        )
    )


def _by_public_id(public_id: str) -> Certificate:
    if not is_valid_public_id(public_id):
        raise NotFound("No such certificate.")
    found = session.scalar(select(Certificate).where(Certificate.public_id == public_id))
    if found is None:
        raise NotFound("No such certificate.")
    return found


def get_own(user: User, public_id: str, *, staff_may: bool = False) -> Certificate:
    """The learner's own certificate (or, when `staff_may`, one of a course the user teaches or any for an admin);
    anyone else gets a 404."""
    found = _by_public_id(public_id)
    if found.user_id != user.id and not (staff_may and policy.teaches(user, found.course_id)):
        raise NotFound("No such certificate.")
    return found


def certificate_for_course(user: User, course: Course) -> Certificate | None:
    return _latest(user.id, course.id)


@dataclass(frozen=True)
class Transcript:
    learner_name: str
    certificates: list[Certificate]
    rows: list[TranscriptRow]

    @property
    def total(self) -> Decimal:
        return sum((r.ce_hours for r in self.rows if r.counts), Decimal(0))


def transcript(user: User, today: date | None = None) -> Transcript:
    """Every certificate with its CE hours (one query); a reissue's hours count once, through the replacement."""
    today = today or utcnow().date()
    certificates = list(
        session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id, Certificate.status != "superseded")
            .order_by(Certificate.completion_date, Certificate.id)
        )
    )
    rows = [
        TranscriptRow(c.course_title, c.course_version, c.completion_date, Decimal(c.ce_hours), c.state_on(today), c.code)
        for c in certificates
    ]
    return Transcript(user.name, certificates, rows)


def transcript_csv(record: Transcript) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["Course", "Version", "Completed", "CE hours", "Status", "Certificate code", "Expires"])
    for certificate, row in zip(record.certificates, record.rows, strict=True):
        writer.writerow(
            [
                _csv_safe(row.course_title),
                _csv_safe(row.course_version),
                row.completion_date.isoformat(),
                format(row.ce_hours.normalize(), "f"),
                row.status,
                row.code,
                certificate.expiry_date.isoformat() if certificate.expiry_date else "",
            ]
        )
    writer.writerow(["Total (excluding revoked)", "", "", format(record.total.normalize(), "f"), "", "", ""])
    return buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; a leading apostrophe keeps them text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- lifecycle ---------------------------------------------------------------------------------------------------------


def can_manage(actor: User | None) -> bool:
    """Admins and instructors may open the certificate pages; which certificates they then see and act on is
    edu.catalog.policy's rule (those of the courses they teach, every one for an admin)."""
    return actor is not None and actor.has_role(Role.ADMIN, Role.INSTRUCTOR)


def _require_manager(actor: User, certificate: Certificate | None = None) -> None:
    if not can_manage(actor):
        raise Forbidden("Only an administrator or an instructor of the course can do this.")
    if certificate is not None:
        policy.require_teaches(actor, certificate.course_id, "No such certificate.")


def _flip_status_bit(certificate: Certificate, now: datetime) -> None:
    status_list = session.scalar(select(StatusList).where(StatusList.id == certificate.status_list_id).with_for_update())
    if status_list is None:  # pragma: no cover - the foreign key makes this impossible
        raise Conflict("The certificate's status list is missing.")
    bits = decode_list(status_list.encoded_list)
    set_bit(bits, certificate.status_list_index, True)
    status_list.encoded_list = encode_list(bits)
    status_list.updated_at = now


def revoke(actor: User, certificate: Certificate, category: str, reason: str, *, now: datetime | None = None) -> Certificate:
    _require_manager(actor, certificate)
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
    _event(certificate, "revoked", actor, now, category=category, reason=reason[:2000])
    session.flush()
    certificate_revoked.send(certificate, actor=actor)
    return certificate


def reissue(actor: User, certificate: Certificate, reason: str, *, now: datetime | None = None) -> Certificate:
    """A new certificate with a fresh snapshot of the learner (e.g. after a name correction) and the same course
    version, completion, expiry, cycle and attempt; the old one is marked superseded, linked to it and its
    credential revoked in the status list. Nothing is deleted."""
    _require_manager(actor, certificate)
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
    replacement = _new_certificate(
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
    _event(replacement, "issued", actor, now, cycle=replacement.cycle, replaces=certificate.code, reason=reason[:2000])
    _event(certificate, "superseded", actor, now, by=replacement.code, reason=reason[:2000])
    _event(replacement, "reissued", actor, now, replaces=certificate.code)
    session.flush()
    return replacement


def search(actor: User, query: str, limit: int = 50) -> list[Certificate]:
    """By code (sloppy input welcome), public id, or part of the learner's name; certificates of the courses the
    actor teaches."""
    _require_manager(actor)
    query = query.strip()[:100]
    stmt = (
        select(Certificate)
        .where(policy.taught_filter(actor, Certificate.course_id))
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
    _require_manager(actor)
    certificate = _by_public_id(public_id)
    _require_manager(actor, certificate)
    events = list(
        session.scalars(
            select(CertificateEvent)
            .where(CertificateEvent.certificate_id == certificate.id)
            .order_by(CertificateEvent.at, CertificateEvent.id)
        )
    )
    return certificate, events


# --- credentials and the status list ----------------------------------------------------------------------------------


def status_list_credential(list_id: int, *, now: datetime | None = None) -> str:
    """The list as a signed BitstringStatusListCredential (VC-JWT): a signature, so nobody can forge a
    revocation (or an un-revocation) by tampering with the list on its way to a verifier."""
    status_list = session.get(StatusList, list_id)
    if status_list is None:
        raise NotFound("No such status list.")
    credential = build_status_list_credential(
        signing.issuer(),
        signing.status_list_url(status_list.id),
        status_list.encoded_list,
        status_list.updated_at,
        purpose=status_list.purpose,
    )
    return sign_credential(credential, signing.keyring())


def _is_revoked(entry: StatusEntry) -> bool:
    list_id = signing.status_list_id_from_url(entry.status_list_credential)
    if list_id is None:
        raise StatusListError("the status list is not one this issuer publishes")
    status_list = session.get(StatusList, list_id)
    if status_list is None or status_list.purpose != entry.purpose:
        raise StatusListError("no such status list")
    return get_bit(decode_list(status_list.encoded_list), entry.index)


def verify_token(token: str, *, now: datetime | None = None) -> VerificationResult:
    """Signature (against every key we ever published), issuer (ours, at PUBLIC_URL), validity window and revocation
    status. Nothing here reads the request: the CLI, the API and a test get the same verdict."""
    return verify_credential(
        token.strip(), signing.public_jwks(), now or utcnow(), is_revoked=_is_revoked, issuer_id=signing.issuer().id
    )


VERIFICATION_REASONS = {
    None: "The credential is genuine, in force and not revoked.",
    "malformed": "This is not a credential this site issued (it could not be read).",
    "unsupported-algorithm": "The credential is signed with an algorithm this site does not use.",
    "unsupported-header": "The credential carries headers this site never writes.",
    "wrong-type": "This is not a verifiable credential.",
    "unknown-key": "The credential was not signed by any key this site has published.",
    "bad-signature": "The signature does not match: the credential has been altered or was not issued here.",
    "foreign-issuer": "The credential names an issuer address this site does not use; ask the holder for the current "
    "credential from their certificates page.",
    "not-yet-valid": "The credential is not valid yet.",
    "expired": "The credential was genuine but has expired.",
    "revoked": "The credential was genuine but has been revoked by the issuer.",
    "status-unavailable": "The credential's revocation status could not be checked.",
}


# --- credentials signed under another address ----------------------------------------------------------------------


@dataclass(frozen=True)
class ForeignCredential:
    certificate_id: int
    code: str
    origins: tuple[str, ...]
    """The addresses other than PUBLIC_URL that the stored credential names (scheme://host[:port])."""


def _claims(token: str) -> dict[str, Any] | None:
    """The payload of a token we stored ourselves (its signature is ours; here only its URLs matter)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _foreign_origins(token: str, prefix: str) -> tuple[str, ...]:
    claims = _claims(token)
    urls = issuer_urls(claims) if claims is not None else []
    if not urls:
        return ("an unreadable credential",)
    origins = set()
    for url in urls:
        if not url.startswith(prefix):
            parts = urlsplit(url)
            origins.add(f"{parts.scheme}://{parts.netloc}" if parts.netloc else url[:200])
    return tuple(sorted(origins))


def foreign_credentials(batch: int = 500) -> list[ForeignCredential]:
    """Certificates whose stored credential names an address other than PUBLIC_URL: those issued while the
    issuer's address came from the Host header of the claiming request (or before PUBLIC_URL was changed). One
    pass over the table, `batch` rows at a time."""
    prefix = signing.base_url() + "/"
    rows = session.execute(
        select(Certificate.id, Certificate.code, Certificate.credential_jwt)
        .order_by(Certificate.id)
        .execution_options(yield_per=batch)
    )
    found = []
    for certificate_id, code, token in rows:
        origins = _foreign_origins(token, prefix)
        if origins:
            found.append(ForeignCredential(certificate_id, code, origins))
    return found


def resign_foreign(certificate_id: int, *, now: datetime | None = None) -> bool:
    """Sign the certificate's credential again at PUBLIC_URL: the same claims, code and status-list position, so the
    certificate, its printed code and its revocation state are unchanged, and a revocation now reaches verifiers.
    The replaced token is kept in the history. False when it no longer names another address (another run did it)."""
    now = now or utcnow()
    certificate = session.scalar(select(Certificate).where(Certificate.id == certificate_id).with_for_update())
    if certificate is None:
        raise NotFound("No such certificate.")
    origins = _foreign_origins(certificate.credential_jwt, signing.base_url() + "/")
    if not origins:
        return False
    replaced = certificate.credential_jwt
    certificate.credential_jwt = _sign(certificate)
    _event(
        certificate,
        "resigned",
        None,
        now,
        reason=f"credential signed again at {signing.base_url()}; it named {', '.join(origins)}",
        origins=list(origins),
        replaced_credential=replaced,
    )
    session.flush()
    return True


# --- expiry reminders --------------------------------------------------------------------------------------------------


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
    subject = f"Your certificate for {c.course_title} expires on {c.expiry_date:%d %B %Y}"
    body = (
        f"Hello {reminder.user.name},\n\n"
        f"Your certificate {c.code} for {c.course_title} (version {c.course_version}) expires on "
        f"{c.expiry_date:%d %B %Y}, in {reminder.days_left} day{'s' if reminder.days_left != 1 else ''}.\n\n"
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
    _event(reminder.certificate, "reminder_sent", None, now, lead_days=reminder.lead_days, passed_over=list(reminder.passed_over))
    session.flush()
    reminder_sent.send(reminder.certificate, lead_days=reminder.lead_days, user=reminder.user)
    return True
