"""The attempt lifecycle: who may start, start or resume, save an answer, submit and grade, review.

Guarantees (see DESIGN.md, "Data that must never be lost or bent"):

* One attempt in progress per learner and quiz, and the attempt limit holds under concurrent requests: starting
  locks the learner's enrolment row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers), and the
  unique (quiz, user, number) key plus a partial unique index on in-progress attempts back it up in the schema.
* Grading happens exactly once: the attempt row is locked, and the conditional UPDATE ... WHERE
  state = 'in_progress' that records the result is checked by its rowcount; the loser of any race is a no-op.
* The server owns the clock: the deadline is frozen at start; saves after it are refused; an overdue attempt is
  finalised (graded from what was saved in time) the next time anything touches it, or by
  `flask quizzes close-overdue`.
* Nothing reveals a key, rationale or correctness before grading: pages get `ItemView`s, which carry only ids
  and texts; the review is built from the policy of the quiz.

Answering, autosaving and submitting use a fixed number of SQL statements whatever the number of questions.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import pydantic
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from edu.auth.models import User
from edu.catalog.models import Course, Enrolment, Lesson, LessonCompletion, Module
from edu.content import model
from edu.db import session, utcnow
from edu.errors import Conflict, Forbidden, Invalid, NotFound

from . import grading
from .models import REVIEW_PARTS, Attempt, AttemptAnswerEvent, AttemptItem, Question, QuestionBank, Quiz
from .quizzes import Allowance, allowance, draw_for_attempt

GRADING_METHODS = {
    "highest": "your highest score counts",
    "last": "your last attempt counts",
    "first": "your first attempt counts",
    "average": "the average of your attempts counts",
}


@lru_cache(maxsize=1)
def _adapter() -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(model.Question)


def question_of(data: Mapping[str, Any]) -> Any:
    """The typed question of a stored version (`QuestionVersion.data` is the bank-YAML shape)."""
    return _adapter().validate_python(dict(data))


# --- grades and gating ------------------------------------------------------------------------------------------------


def grade_by_method(method: str, attempts: Sequence[Attempt]) -> float | None:
    """The grade (fraction 0..1) of the graded attempts, in attempt order, by a Moodle grading method; None if
    none is graded yet. The one definition: quiz pages, gradebooks and certificates all use it."""
    graded = sorted((a for a in attempts if a.graded_at is not None), key=lambda a: (a.number, a.id or 0))
    scores = [float(a.score) for a in graded if a.score is not None]
    if not scores:
        return None
    if method == "last":
        return scores[-1]
    if method == "first":
        return scores[0]
    if method == "average":
        return sum(scores) / len(scores)
    return max(scores)


def quiz_grade(quiz: Quiz, attempts: Sequence[Attempt]) -> float | None:
    """The quiz grade by the quiz's own grading method."""
    return grade_by_method(quiz.grading_method, attempts)


def meets_pass_mark(score: float | None, pass_mark: int) -> bool:
    """score * 100 >= pass_mark, with a hair of slack so 7/10 passes a 70% mark despite binary rounding."""
    return score is not None and score * 100 + 1e-9 >= pass_mark


def closes_at(attempt: Attempt, quiz: Quiz) -> datetime | None:
    """When the server finalises the attempt: the deadline, plus the grace period if the quiz has one."""
    if attempt.deadline_at is None:
        return None
    if quiz.overdue_handling == "graceperiod":
        return attempt.deadline_at + timedelta(minutes=quiz.grace_minutes)
    return attempt.deadline_at


def is_overdue(attempt: Attempt, quiz: Quiz, now: datetime | None = None) -> bool:
    end = closes_at(attempt, quiz)
    return attempt.state == "in_progress" and end is not None and (now or utcnow()) > end


@dataclass
class QuizStatus:
    quiz: Quiz
    course: Course
    enrolled: bool
    attempts: list[Attempt]
    allowance: Allowance
    reason: str | None = None
    """Why the learner cannot start an attempt now (None: they can, or can resume)."""
    available_at: datetime | None = None

    @property
    def in_progress(self) -> Attempt | None:
        return next((a for a in self.attempts if a.state == "in_progress"), None)

    @property
    def graded(self) -> list[Attempt]:
        return [a for a in self.attempts if a.graded_at is not None]

    @property
    def grade(self) -> float | None:
        return quiz_grade(self.quiz, self.attempts)

    @property
    def passed(self) -> bool:
        return meets_pass_mark(self.grade, self.quiz.pass_mark)

    @property
    def allowed(self) -> int | None:
        if self.quiz.attempts_allowed is None:
            return None
        return self.quiz.attempts_allowed + self.allowance.extra_attempts

    @property
    def attempts_left(self) -> int | None:
        return None if self.allowed is None else max(0, self.allowed - len(self.attempts))

    @property
    def can_start(self) -> bool:
        return self.in_progress is None and self.reason is None

    @property
    def time_limit_minutes(self) -> int | None:
        return allowed_minutes(self.quiz, self.allowance)


def allowed_minutes(quiz: Quiz, extra: Allowance) -> int | None:
    if quiz.time_limit_minutes is None:
        return None
    return math.ceil(quiz.time_limit_minutes * extra.time_multiplier) + extra.extra_minutes


def quiz_status(
    user: User,
    quiz: Quiz,
    course: Course | None = None,
    now: datetime | None = None,
    counted_since: datetime | None = None,
) -> QuizStatus:
    """Everything the quiz page needs to say, finalising any overdue attempt of this learner on the way.

    `counted_since` starts a new count for a final exam: in a renewal cycle (decided by the certificates
    domain, which the view asks) only attempts submitted after it count toward the limit, the delay and the grade.
    """
    now = now or utcnow()
    course = course or session.get(Course, quiz.course_id)
    if course is None:
        raise NotFound("No such quiz.")
    attempts = _attempts_of(user.id, quiz.id)
    for attempt in attempts:
        if is_overdue(attempt, quiz, now):
            _finalise(attempt, quiz, now, "timeout")
    if counted_since is not None and quiz.kind == "final":
        attempts = [a for a in attempts if a.state == "in_progress" or (a.submitted_at or a.started_at) > counted_since]
    enrolled = (
        session.scalar(
            select(Enrolment.id).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id, Enrolment.active)
        )
        is not None
    )
    status = QuizStatus(quiz, course, enrolled, attempts, allowance(user.id, quiz))
    status.reason, status.available_at = _refusal(user, status, now)
    return status


def _attempts_of(user_id: int, quiz_id: int) -> list[Attempt]:
    return list(
        session.scalars(select(Attempt).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id).order_by(Attempt.number))
    )


def _refusal(user: User, status: QuizStatus, now: datetime) -> tuple[str | None, datetime | None]:
    quiz, course = status.quiz, status.course
    if quiz.retired_at is not None:
        return "This quiz is no longer part of the course.", None
    if not status.enrolled:
        return "Enrol in the course to take its quizzes.", None
    if status.in_progress is not None:
        return None, None
    if quiz.kind == "module":
        keys = list(
            session.scalars(
                select(Lesson.key)
                .join(Module, Module.id == Lesson.module_id)
                .where(Module.course_version_id == course.current_version_id, Module.key == quiz.module_key)
            )
        )
        done = set(
            session.scalars(
                select(LessonCompletion.lesson_key).where(
                    LessonCompletion.user_id == user.id, LessonCompletion.course_id == course.id
                )
            )
        )
        left = [k for k in keys if k not in done]
        if left:
            return (
                f"Finish the lessons of this module first: you have completed {len(keys) - len(left)} of {len(keys)}.",
                None,
            )
    else:
        missing = [q.title for q in module_quizzes_not_passed(user, course)]
        if missing:
            return "Pass every module quiz first. Still to pass: " + "; ".join(missing) + ".", None
    if status.allowed is not None and len(status.attempts) >= status.allowed:
        return f"You have used all {status.allowed} attempt{'s' if status.allowed != 1 else ''} allowed for this quiz.", None
    if quiz.delay_minutes and status.attempts:
        last = status.attempts[-1].submitted_at or status.attempts[-1].started_at
        ready = last + timedelta(minutes=quiz.delay_minutes)
        if now < ready:
            return (
                f"You can start your next attempt at {ready:%H:%M} UTC on {ready:%d %b %Y} "
                f"({quiz.delay_minutes} minutes after your last one).",
                ready,
            )
    return None, None


def module_quizzes_not_passed(user: User, course: Course) -> list[Quiz]:
    """The course's live module quizzes the learner has not passed (by each quiz's grading method): two queries."""
    quizzes = list(
        session.scalars(
            select(Quiz)
            .where(Quiz.course_id == course.id, Quiz.kind == "module", Quiz.source == "course", Quiz.retired_at.is_(None))
            .order_by(Quiz.id)
        )
    )
    if not quizzes:
        return []
    attempts: dict[int, list[Attempt]] = {}
    for attempt in session.scalars(
        select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id.in_([q.id for q in quizzes]), Attempt.graded_at.is_not(None)
        )
    ):
        attempts.setdefault(attempt.quiz_id, []).append(attempt)
    return [q for q in quizzes if not meets_pass_mark(quiz_grade(q, attempts.get(q.id, [])), q.pass_mark)]


# --- start ------------------------------------------------------------------------------------------------------------


def start_attempt(user: User, quiz: Quiz, counted_since: datetime | None = None) -> Attempt:
    return begin(user, quiz, counted_since)[0]


def begin(user: User, quiz: Quiz, counted_since: datetime | None = None) -> tuple[Attempt, bool]:
    """(attempt, resumed): resume the learner's attempt in progress, or start a new one if the rules allow it.

    The enrolment row is locked first (FOR UPDATE; a no-op on SQLite, which serialises writers), so two requests
    of one learner queue here; if something still slips past, the unique keys turn the second insert into a
    resume of the first attempt.
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
    status = quiz_status(user, quiz, course, counted_since=counted_since)
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
        number=_last_number(user.id, quiz.id) + 1,
        seed=seed,
        started_at=now,
        deadline_at=now + timedelta(minutes=minutes) if minutes is not None else None,
        state="in_progress",
    )
    attempt.items = [
        AttemptItem(slot=d.slot, question_id=d.question_id, question_version_id=d.version_id, order=d.order, state="pending")
        for d in drawn
    ]
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:
        existing = session.scalar(
            select(Attempt).where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id, Attempt.state == "in_progress")
        )
        if existing is not None:
            return existing, True
        raise Conflict("Another attempt was started at the same moment. Reload the quiz page.") from None
    return attempt, False


def _last_number(user_id: int, quiz_id: int) -> int:
    """Every attempt ever made numbers the next one, whichever cycle counts toward the limit."""
    last = session.scalar(select(func.max(Attempt.number)).where(Attempt.user_id == user_id, Attempt.quiz_id == quiz_id))
    return int(last or 0)


# --- loading an attempt -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: str
    text: str


@dataclass(frozen=True)
class ItemView:
    """What the attempt page may show of a question: ids and texts only, never a key or feedback."""

    slot: int
    type: str
    prompt: str
    response: Any
    saved_at: datetime | None
    choices: tuple[Choice, ...] = ()
    """Options (single, multiple) or items to order (ordering), in the attempt's frozen order."""
    pairs: tuple[Choice, ...] = ()
    """Matching: the prompts to match."""
    answers: tuple[str, ...] = ()
    """Matching: the answer list, in the attempt's frozen order."""
    unit: str | None = None

    @property
    def answered(self) -> bool:
        return self.response is not None

    def chosen(self, choice_id: str) -> bool:
        if self.type == "single":
            return bool(self.response == choice_id)
        if self.type == "multiple":
            return choice_id in (self.response or [])
        return False

    def matched(self, pair_id: str) -> str:
        return str((self.response or {}).get(pair_id, "")) if self.type == "matching" else ""

    def position(self, item_id: str) -> int | None:
        if self.type == "ordering" and self.response and item_id in self.response:
            return int(self.response.index(item_id)) + 1
        return None

    @property
    def text(self) -> str:
        if self.type == "true_false":
            return "" if self.response is None else ("true" if self.response else "false")
        return str(self.response) if isinstance(self.response, str) else ""


def item_view(item: AttemptItem) -> ItemView:
    data = item.question_version.data
    kind = str(data["type"])
    base: dict[str, Any] = {
        "slot": item.slot,
        "type": kind,
        "prompt": str(data["prompt"]),
        "response": item.response,
        "saved_at": item.saved_at,
    }
    if kind in ("single", "multiple"):
        texts = {str(o["id"]): str(o["text"]) for o in data["options"]}
        base["choices"] = tuple(Choice(i, texts[i]) for i in item.order if i in texts)
    elif kind == "ordering":
        texts = {str(o["id"]): str(o["text"]) for o in data["items"]}
        base["choices"] = tuple(Choice(i, texts[i]) for i in item.order if i in texts)
    elif kind == "matching":
        base["pairs"] = tuple(Choice(str(p["id"]), str(p["prompt"])) for p in data["pairs"])
        base["answers"] = tuple(item.order)
    elif kind == "numeric":
        base["unit"] = data.get("unit")
    return ItemView(**base)


@dataclass
class AttemptPage:
    attempt: Attempt
    quiz: Quiz
    course: Course
    items: list[ItemView] = field(default_factory=list)

    @property
    def unanswered(self) -> list[ItemView]:
        return [i for i in self.items if not i.answered]


def _own_attempt(user: User, attempt_id: int, *, lock: bool = False) -> tuple[Attempt, Quiz, Course]:
    """The actor's own attempt with its quiz and course, in one statement; another learner's attempt is a 404."""
    stmt = (
        select(Attempt, Course)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .options(contains_eager(Attempt.quiz))
        .where(Attempt.id == attempt_id, Attempt.user_id == user.id)
    )
    if lock:
        stmt = stmt.with_for_update(of=Attempt)
        stmt = stmt.execution_options(populate_existing=True)
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound("No such attempt.")
    attempt, course = row
    return attempt, attempt.quiz, course


def _items(attempt_id: int) -> list[AttemptItem]:
    return list(
        session.scalars(
            select(AttemptItem)
            .options(joinedload(AttemptItem.question_version))
            .where(AttemptItem.attempt_id == attempt_id)
            .order_by(AttemptItem.slot)
        )
    )


def open_attempt(user: User, attempt_id: int) -> AttemptPage:
    """The attempt page: the attempt and its items in two queries; an overdue attempt is finalised first."""
    attempt, quiz, course = _own_attempt(user, attempt_id)
    if is_overdue(attempt, quiz):
        attempt, quiz, course = _own_attempt(user, attempt_id, lock=True)
        if is_overdue(attempt, quiz):
            _finalise(attempt, quiz, utcnow(), "timeout")
    items = _items(attempt.id)
    return AttemptPage(attempt, quiz, course, [item_view(i) for i in items])


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
            _finalise(attempt, quiz, now, "timeout")
        return SaveResult(
            False,
            "Time is up, so answers can no longer change. The answers you saved before the deadline will be graded.",
            state=attempt.state,
        )
    return None


def save_answer(user: User, attempt_id: int, slot: int, raw: object) -> SaveResult:
    """Validate and store one response (autosave): four statements, whatever the size of the quiz.

    A blank response clears the answer; an invalid one raises Invalid and changes nothing; a save after the
    deadline or after submission is refused (SaveResult.saved False) and the response already saved stays.
    """
    now = utcnow()
    attempt, quiz, _course = _own_attempt(user, attempt_id, lock=True)
    refused = _refuse_change(attempt, quiz, now)
    if refused is not None:
        return refused
    item = session.scalar(
        select(AttemptItem)
        .options(joinedload(AttemptItem.question_version))
        .where(AttemptItem.attempt_id == attempt.id, AttemptItem.slot == slot)
    )
    if item is None:
        raise NotFound("This attempt has no such question.")
    return _store(item, raw, now)


def _store(item: AttemptItem, raw: object, now: datetime) -> SaveResult:
    question = question_of(item.question_version.data)
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
    """Store every response of the plain (no-JavaScript) form; only changed ones are written.

    Every response is validated before any is stored, so one invalid answer changes nothing.
    """
    now = utcnow()
    attempt, quiz, _course = _own_attempt(user, attempt_id, lock=True)
    refused = _refuse_change(attempt, quiz, now)
    if refused is not None:
        return refused
    items = _items(attempt.id)
    changes: list[tuple[AttemptItem, Any]] = []
    problems: list[int] = []
    for item in items:
        if item.slot not in raws:
            continue
        raw = raws[item.slot]
        canonical = grading.normalise_response(question_of(item.question_version.data), raw)
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
        session.execute(
            update(AttemptItem),
            [{"id": item.id, "response": canonical, "saved_at": now} for item, canonical in changes],
        )
        session.add_all(AttemptAnswerEvent(item_id=item.id, response=canonical, saved_at=now) for item, canonical in changes)
        session.flush()
        for item, canonical in changes:
            set_committed_value(item, "response", canonical)
            set_committed_value(item, "saved_at", now)
    return SaveResult(True, f"Saved {len(changes)} changed answer{'s' if len(changes) != 1 else ''}.", now)


# --- submitting and grading -------------------------------------------------------------------------------------------


def submit(user: User, attempt_id: int) -> Attempt:
    """Submit and grade. Idempotent: a second submit (another tab, a double click, after the deadline) returns
    the attempt as graded the first time."""
    attempt, quiz, _course = _own_attempt(user, attempt_id, lock=True)
    if attempt.state != "in_progress":
        return attempt
    now = utcnow()
    _finalise(attempt, quiz, now, "timeout" if is_overdue(attempt, quiz, now) else "learner")
    return attempt


def _finalise(attempt: Attempt, quiz: Quiz, now: datetime, closed_by: str) -> bool:
    """Grade from the answers saved by the deadline and record the result exactly once (True if this call did)."""
    items = _items(attempt.id)
    responses = {item.id: item.response for item in items}
    late = [i.id for i in items if attempt.deadline_at and i.saved_at and i.saved_at > attempt.deadline_at]
    if late:  # never expected (late saves are refused), but the rule is the rule: grade what was saved in time
        responses.update({i: None for i in late})
        for event in session.scalars(
            select(AttemptAnswerEvent)
            .where(AttemptAnswerEvent.item_id.in_(late), AttemptAnswerEvent.saved_at <= attempt.deadline_at)
            .order_by(AttemptAnswerEvent.saved_at, AttemptAnswerEvent.id)
        ):
            responses[event.item_id] = event.response
    grades = {item.id: grading.grade(question_of(item.question_version.data), responses[item.id]) for item in items}
    score = sum(g.fraction for g in grades.values()) / len(items) if items else 0.0
    passed = meets_pass_mark(score, quiz.pass_mark)
    claimed = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == "in_progress")
        .values(state="submitted", submitted_at=now, closed_by=closed_by, score=score, passed=passed, graded_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(attempt)
        return False
    if items:
        session.execute(update(AttemptItem), [{"id": i, "fraction": g.fraction, "state": g.state} for i, g in grades.items()])
    for name, value in {
        "state": "submitted",
        "submitted_at": now,
        "closed_by": closed_by,
        "score": score,
        "passed": passed,
        "graded_at": now,
    }.items():
        set_committed_value(attempt, name, value)
    for item in items:
        set_committed_value(item, "fraction", grades[item.id].fraction)
        set_committed_value(item, "state", grades[item.id].state)
    return True


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
        if is_overdue(attempt, quiz, now) and _finalise(attempt, quiz, now, "timeout"):
            closed += 1
    return closed


# --- review -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    slot: int
    type: str
    prompt: str
    objective: str | None
    module_key: str | None
    your_answer: list[str]
    correct_answer: list[str]
    fraction: float
    state: str
    feedback: list[str]
    rationale: str | None


@dataclass(frozen=True)
class Breakdown:
    label: str
    earned: float
    total: int
    lessons: list[tuple[str, str]] = field(default_factory=list)
    """(lesson key, title) to re-read, for a module."""

    @property
    def percent(self) -> int:
        return round(100 * self.earned / self.total) if self.total else 0


@dataclass
class Review:
    attempt: Attempt
    quiz: Quiz
    course: Course
    show: frozenset[str]
    items: list[ReviewItem]
    status: QuizStatus
    band: str | None
    by_objective: list[Breakdown]
    by_module: list[Breakdown]

    @property
    def percent(self) -> int:
        return round(100 * (self.attempt.score or 0))

    @property
    def shows_questions(self) -> bool:
        return bool(self.show & {"correctness", "response", "key", "feedback"})


def review_parts(quiz: Quiz, passed: bool, attempts_left: int | None) -> frozenset[str]:
    """What the review policy lets the learner see now: after submit, plus after passing, plus after the last try."""
    policy = quiz.review or {}
    parts = set(policy.get("after_submit", []))
    if passed:
        parts |= set(policy.get("after_pass", []))
    if attempts_left == 0:
        parts |= set(policy.get("after_last", []))
    return frozenset(p for p in parts if p in REVIEW_PARTS)


def feedback_band(quiz: Quiz, score: float) -> str | None:
    bands = sorted((b for b in quiz.feedback_bands or [] if "min" in b), key=lambda b: float(b["min"]))
    chosen = None
    for band in bands:
        if score * 100 + 1e-9 >= float(band["min"]):
            chosen = str(band.get("text", ""))
    return chosen or None


def _lines(question: Any, response: Any) -> list[str]:
    """A canonical response in words, for the review page."""
    if response is None:
        return []
    kind = question.type
    if kind in ("single", "multiple"):
        ids = [response] if kind == "single" else list(response)
        return [o.text for o in question.options if o.id in ids]
    if kind == "true_false":
        return ["True" if response else "False"]
    if kind == "matching":
        return [f"{p.prompt} → {response[p.id]}" for p in question.pairs if p.id in response]
    if kind == "ordering":
        texts = {i.id: i.text for i in question.items}
        return [f"{n}. {texts[i]}" for n, i in enumerate(response, start=1) if i in texts]
    if kind == "numeric" and question.unit:
        return [f"{response} {question.unit}"]
    return [str(response)]


def _key_lines(question: Any) -> list[str]:
    key = grading.key_for(question)
    if question.type == "short_answer":
        return [" / ".join(key["accepted"])]
    if question.type == "numeric":
        text = f"{question.answer:g}"
        if question.tolerance:
            text += f" (± {question.tolerance:g})"
        return [f"{text} {question.unit}" if question.unit else text]
    return _lines(question, key["response"])


def review(user: User, attempt_id: int) -> Review:
    """The graded attempt as its review policy allows; an attempt still in progress is not reviewable."""
    attempt, quiz, course = _own_attempt(user, attempt_id)
    if attempt.state == "in_progress" and is_overdue(attempt, quiz):
        attempt, quiz, course = _own_attempt(user, attempt_id, lock=True)
        if is_overdue(attempt, quiz):
            _finalise(attempt, quiz, utcnow(), "timeout")
    if attempt.graded_at is None:
        raise Conflict("This attempt has not been submitted yet.")
    status = quiz_status(user, quiz, course)
    show = review_parts(quiz, status.passed, status.attempts_left)
    rows = session.execute(
        select(AttemptItem, QuestionBank.slug)
        .join(Question, Question.id == AttemptItem.question_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .options(joinedload(AttemptItem.question_version))
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.slot)
    ).all()
    modules = list(
        session.scalars(
            select(Module)
            .where(Module.course_version_id == course.current_version_id)
            .options(selectinload(Module.lessons).load_only(Lesson.key, Lesson.title, Lesson.position))
            .order_by(Module.position)
        )
    )
    module_by_bank = {m.bank_slug: m for m in modules if m.bank_slug}
    objective_text = {o["id"]: o["text"] for m in modules for o in m.objectives}
    items: list[ReviewItem] = []
    for item, bank_slug in rows:
        question = question_of(item.question_version.data)
        graded = grading.grade(question, item.response)
        module = module_by_bank.get(bank_slug)
        feedback = list(graded.feedback)
        items.append(
            ReviewItem(
                slot=item.slot,
                type=question.type,
                prompt=question.prompt,
                objective=question.objective,
                module_key=module.key if module else None,
                your_answer=_lines(question, item.response),
                correct_answer=_key_lines(question),
                fraction=item.fraction or 0.0,
                state=item.state,
                feedback=feedback,
                rationale=question.rationale,
            )
        )
    by_objective: dict[str, list[float]] = {}
    by_module: dict[str, list[float]] = {}
    for entry in items:
        if entry.objective:
            by_objective.setdefault(entry.objective, []).append(entry.fraction)
        if entry.module_key:
            by_module.setdefault(entry.module_key, []).append(entry.fraction)
    objectives = [Breakdown(objective_text.get(key, key), sum(v), len(v)) for key, v in sorted(by_objective.items())]
    module_rows = [
        Breakdown(m.title, sum(by_module[m.key]), len(by_module[m.key]), [(lesson.key, lesson.title) for lesson in m.lessons])
        for m in modules
        if m.key in by_module
    ]
    band = feedback_band(quiz, attempt.score or 0.0) if "score" in show else None
    return Review(attempt, quiz, course, show, items, status, band, objectives, module_rows)
