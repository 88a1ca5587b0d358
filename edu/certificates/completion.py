"""When a course is complete, and in which certification cycle: what the course's certificate page shows the learner
as done and still missing, and what issuing (issuance.py) asks before it writes anything. Reading only; nothing here
writes.

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
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from edu.auth.models import User
from edu.catalog.models import Course, CourseVersion, Lesson, LessonCompletion, Module
from edu.db import session, utcnow
from edu.errors import NotFound
from edu.quizzes.grading_methods import grade_by_method, meets_pass_mark
from edu.quizzes.models import Attempt, Quiz

from .models import Certificate

RENEWAL_WINDOW_DAYS = 90


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


def latest_certificate(user_id: int, course_id: int) -> Certificate | None:
    return session.scalar(
        select(Certificate)
        .where(Certificate.user_id == user_id, Certificate.course_id == course_id, Certificate.status != "superseded")
        .order_by(Certificate.cycle.desc())
        .limit(1)
    )


def current_cycle(user: User, course: Course, today: date | None = None) -> Cycle:
    today = today or utcnow().date()
    latest = latest_certificate(user.id, course.id)
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


def version_rules(version: CourseVersion) -> tuple[dict[str, Any], dict[str, Any], bool]:
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
    rules, _certificate, has_final = version_rules(version)
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
