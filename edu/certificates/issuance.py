"""Issuing a certificate exactly once, when the course is complete (completion.py) and the learner's address is
confirmed; and the pieces every later change of a certificate reuses: a fresh row with its snapshot, status list
position and signed credential (reissue, revocation.py), the credential signed again (credential_status.py), and the
entry in the certificate's history.

A new certificate is emailed to the learner ("Certificate earned", notifications.py) in the same transaction.

Issuing exactly once: the learner's user row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises
writers), the current cycle is re-read under the lock, and a partial unique index on (user, course, cycle) of
current certificates turns any race that slips past into "return the certificate the other request made".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from edu.auth.models import User
from edu.catalog.models import Course, CourseVersion, Enrolment
from edu.db import session, utcnow
from edu.errors import Conflict

from . import notifications, signing
from .completion import Completion, add_months, current_cycle, evaluate_completion, version_rules
from .credential import build_credential, sign_credential
from .models import Certificate, CertificateEvent, StatusList
from .signals import certificate_issued
from .snapshot import new_code, new_public_id
from .status_list import MIN_ENTRIES, StatusEntry, encode_list, new_bitstring, random_free_index

_ISSUE_RETRIES = 4
AWAITING_VERIFICATION = (
    "Your certificate will be issued as soon as you confirm your email address: open the link we emailed you, "
    "or send it again with the button at the top of the page."
)


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


def signed_credential(certificate: Certificate) -> str:
    """The certificate's Open Badges credential as a VC-JWT, signed with the current key at PUBLIC_URL."""
    entry = StatusEntry(signing.status_list_url(certificate.status_list_id), certificate.status_list_index)
    credential = build_credential(certificate.snapshot(), signing.issuer(), signing.verify_url(certificate.code), entry)
    return sign_credential(credential, signing.keyring())


def record_event(certificate: Certificate, action: str, actor: User | None, now: datetime, **detail: Any) -> None:
    """One entry in the certificate's history (None as the actor: the command line or cron)."""
    session.add(
        CertificateEvent(
            certificate_id=certificate.id, actor_id=actor.id if actor else None, action=action, detail=detail, at=now
        )
    )


def new_certificate(
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
    _completion, rules, _has_final = version_rules(version)
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
    certificate.credential_jwt = signed_credential(certificate)
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
            certificate = new_certificate(
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
        record_event(
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
        notifications.certificate_earned(certificate, user)
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
