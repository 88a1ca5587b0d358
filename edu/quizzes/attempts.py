"""The attempt lifecycle: start (or resume), save answers, submit, and close the attempts whose time ran out.

Guarantees (see DESIGN.md, "Data that must never be lost or bent"):

* One attempt in progress per learner and quiz, and the attempt limit holds under concurrent requests: starting
  locks the learner's enrolment row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers), and the
  unique (quiz, user, number) key plus a partial unique index on in-progress attempts back it up in the schema.
* Grading happens exactly once, and the server owns the clock (edu.quizzes.marking): saves after the deadline are
  refused; an overdue attempt is graded from what was saved in time.
* Every accepted save is kept as an AttemptAnswerEvent, so nothing a learner entered is lost or overwritten unseen.

Who may start is edu.quizzes.eligibility's answer; what the pages show is edu.quizzes.pages'. Starting, answering,
autosaving and submitting each cost a fixed number of SQL statements, as the database counts them, whatever the
number of questions and the learner's earlier attempts (tests/functional/test_exam_cycle_statements.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from edu.auth.models import User
from edu.banks.services import as_model
from edu.catalog.models import Course, Enrolment
from edu.db import session, utcnow
from edu.errors import Conflict, Forbidden, Invalid, NotFound

from . import grading
from .eligibility import quiz_status
from .marking import attempt_items, finalise, is_overdue, own_attempt, own_attempt_item, update_items
from .models import Attempt, AttemptAnswerEvent, AttemptItem, Quiz
from .pages import ItemView, item_view
from .quizzes import draw_for_attempt

# --- start ------------------------------------------------------------------------------------------------------------


def start_attempt(user: User, quiz: Quiz, counted_since: datetime | None = None) -> Attempt:
    return begin(user, quiz, counted_since)[0]


def begin(user: User, quiz: Quiz, counted_since: datetime | None = None) -> tuple[Attempt, bool]:
    """(attempt, resumed): resume the learner's attempt in progress, or start a new one if the rules allow it.

    The enrolment row is locked first (FOR UPDATE; a no-op on SQLite, which serialises writers), so two requests
    of one learner queue here; if something still slips past, the unique keys turn the second insert into a
    resume of the first attempt.

    A fixed number of statements, whatever the learner's history and the size of the quiz: the enrolment, the
    attempts, the accommodation, the lessons gate (or the module quizzes a final exam needs), the draw's two, and
    the attempt and all its items in two INSERTs (in a savepoint).
    """
    course = session.get(Course, quiz.course_id)
    if course is None:
        raise NotFound("No such quiz.")
    lock = session.scalar(
        select(Enrolment.id)
        .where(Enrolment.user_id == user.id, Enrolment.course_id == course.id, Enrolment.active)
        .with_for_update()
    )
    if lock is None:
        raise Forbidden("Enrol in the course to take its quizzes.")
    status = quiz_status(user, quiz, course, counted_since=counted_since, enrolled=True)
    if status.in_progress is not None:
        return status.in_progress, True
    if status.reason is not None:
        raise Forbidden(status.reason)
    seed = secrets.randbits(31)
    drawn = draw_for_attempt(quiz, user.id, seed)
    now = utcnow()
    minutes = status.time_limit_minutes
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=status.last_number + 1,
        seed=seed,
        started_at=now,
        deadline_at=now + timedelta(minutes=minutes) if minutes is not None else None,
        state="in_progress",
    )
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
            # One multi-row INSERT: the ORM's flush of 20 items was 20 INSERTs on SQLite (it needs their ids back,
            # which SQLite cannot batch in order); nothing here needs the items' ids.
            if drawn:
                session.execute(
                    insert(AttemptItem).values(
                        [
                            {
                                "attempt_id": attempt.id,
                                "slot": d.slot,
                                "question_id": d.question_id,
                                "question_version_id": d.version_id,
                                "order": d.order,
                                "state": "pending",
                            }
                            for d in drawn
                        ]
                    )
                )
    except IntegrityError:
        existing = session.scalar(
            select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.state == "in_progress")
        )
        if existing is not None:
            return existing, True
        raise Conflict("Another attempt was started at the same moment. Reload the quiz page.") from None
    return attempt, False


# --- saving answers ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveResult:
    saved: bool
    message: str
    saved_at: datetime | None = None
    state: str = "in_progress"


def _blank(raw: object) -> bool:
    """An empty response (clearing an answer) as opposed to an invalid one."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(_blank(x) for x in raw)
    if isinstance(raw, dict):
        return all(_blank(v) for v in raw.values())
    return False


def _refuse_change(attempt: Attempt, quiz: Quiz, now: datetime) -> SaveResult | None:
    """Why answers can no longer change (finalising an overdue attempt on the way), or None if they can."""
    if attempt.state != "in_progress":
        return SaveResult(False, "This attempt has been submitted, so its answers can no longer change.", state=attempt.state)
    if attempt.deadline_at is not None and now > attempt.deadline_at:
        if is_overdue(attempt, quiz, now):
            finalise(attempt, quiz, now, "timeout")
        return SaveResult(
            False,
            "Time is up, so answers can no longer change. The answers you saved before the deadline will be graded.",
            state=attempt.state,
        )
    return None


def save_answer(user: User, attempt_id: int, slot: int, raw: object) -> SaveResult:
    """Validate and store one response (autosave): three statements (the locked attempt with the item, the item's
    UPDATE, the saved answer's INSERT), whatever the size of the quiz.

    A blank response clears the answer; an invalid one raises Invalid and changes nothing; a save after the
    deadline or after submission is refused (SaveResult.saved False) and the response already saved stays.
    """
    now = utcnow()
    attempt, quiz, item = own_attempt_item(user, attempt_id, slot)
    refused = _refuse_change(attempt, quiz, now)
    if refused is not None:
        return refused
    if item is None:
        raise NotFound("This attempt has no such question.")
    return _store(item, raw, now)


def _store(item: AttemptItem, raw: object, now: datetime) -> SaveResult:
    question = as_model(item.question_version.data)
    canonical = grading.normalise_response(question, raw)
    if canonical is None and not _blank(raw):
        raise Invalid(f"Your answer to question {item.slot} is not valid. Check it and try again.")
    if canonical == item.response:
        return SaveResult(True, "Saved.", item.saved_at or now)
    item.response = canonical
    item.saved_at = now
    session.add(AttemptAnswerEvent(item_id=item.id, response=canonical, saved_at=now))
    session.flush()
    return SaveResult(True, "Saved.", now)


def save_answers(user: User, attempt_id: int, raws: Mapping[int, object]) -> SaveResult:
    """Store every response of the plain (no-JavaScript) form; only changed ones are written (see save_page)."""
    return save_page(user, attempt_id, lambda _page: raws)


def save_page(user: User, attempt_id: int, responses: Callable[[list[ItemView]], Mapping[int, object]]) -> SaveResult:
    """Store every response posted with the attempt page; only changed ones are written.

    `responses` reads the raw response to each question from what was posted, given the page's questions (the
    plain form's fields depend on each question's type and options), so the attempt (locked) and its items are read
    once for reading the form and for saving: four statements whatever the number of questions or changes (the
    attempt, its items, one UPDATE of the changed items, one INSERT of their saved answers).
    Every response is validated before any is stored, so one invalid answer changes nothing.
    """
    now = utcnow()
    attempt, quiz, _course = own_attempt(user, attempt_id, lock=True)
    refused = _refuse_change(attempt, quiz, now)
    if refused is not None:
        return refused
    items = attempt_items(attempt.id)
    raws = responses([item_view(item) for item in items])
    changes: list[tuple[AttemptItem, Any]] = []
    problems: list[int] = []
    for item in items:
        if item.slot not in raws:
            continue
        raw = raws[item.slot]
        canonical = grading.normalise_response(as_model(item.question_version.data), raw)
        if canonical is None and not _blank(raw):
            problems.append(item.slot)
        elif canonical != item.response:
            changes.append((item, canonical))
    if problems:
        raise Invalid(
            "Nothing was saved: the answer to question"
            + (" " if len(problems) == 1 else "s ")
            + ", ".join(str(p) for p in problems)
            + (" is" if len(problems) == 1 else " are")
            + " not valid (for ordering, give each item a different position)."
        )
    if changes:
        update_items({item.id: {"response": canonical} for item, canonical in changes}, saved_at=now)
        session.execute(
            insert(AttemptAnswerEvent).values(
                [{"item_id": item.id, "response": canonical, "saved_at": now} for item, canonical in changes]
            )
        )
        for item, canonical in changes:
            set_committed_value(item, "response", canonical)
            set_committed_value(item, "saved_at", now)
    return SaveResult(True, f"Saved {len(changes)} changed answer{'s' if len(changes) != 1 else ''}.", now)


# --- submitting and grading -------------------------------------------------------------------------------------------


def submit(user: User, attempt_id: int) -> Attempt:
    """Submit and grade. Idempotent: a second submit (another tab, a double click, after the deadline) returns
    the attempt as graded the first time."""
    attempt, quiz, _course = own_attempt(user, attempt_id, lock=True)
    if attempt.state != "in_progress":
        return attempt
    now = utcnow()
    finalise(attempt, quiz, now, "timeout" if is_overdue(attempt, quiz, now) else "learner")
    return attempt


def close_overdue(now: datetime | None = None) -> int:
    """Finalise every overdue attempt (for `flask quizzes close-overdue`); returns how many were graded."""
    now = now or utcnow()
    candidates = (
        session.execute(
            select(Attempt.id)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Attempt.state == "in_progress", Attempt.deadline_at.is_not(None), Attempt.deadline_at < now)
        )
        .scalars()
        .all()
    )
    closed = 0
    for attempt_id in candidates:
        attempt, quiz = session.execute(
            select(Attempt, Quiz)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Attempt.id == attempt_id)
            .with_for_update(of=Attempt)
        ).one()
        if is_overdue(attempt, quiz, now) and finalise(attempt, quiz, now, "timeout"):
            closed += 1
    return closed
