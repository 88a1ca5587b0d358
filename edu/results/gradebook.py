"""Gradebooks for instructors: learners x quizzes, one attempt in full, and the same as CSV.

A cell holds what the learner's quiz page would say: the grade by the quiz's grading method, the best score,
the attempts used and pass/fail. Pages are built in a fixed number of statements whatever the number of learners
or attempts (the course or quiz, its quizzes, every attempt, every learner: each one query).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased

from edu.auth.models import User
from edu.banks.models import Question, QuestionBank, QuestionVersion
from edu.banks.services import as_model
from edu.catalog import policy
from edu.catalog.models import Course, Enrolment
from edu.catalog.seat_time import ModuleTime, time_on_task
from edu.db import session, utcnow
from edu.errors import NotFound
from edu.quizzes.grading_methods import grade_by_method, meets_pass_mark
from edu.quizzes.models import Attempt, AttemptAnswerEvent, AttemptItem, Quiz
from edu.quizzes.pages import block_html, key_lines, response_lines
from edu.quizzes.quizzes import course_quizzes

from .models import RegradeItem, RegradeRun


def get_quiz(actor: User, quiz_id: int) -> tuple[Quiz, Course]:
    """A quiz with its course, for an instructor of that course (an admin, or a 404)."""
    policy.require_instructor(actor)
    row = session.execute(select(Quiz, Course).join(Course, Course.id == Quiz.course_id).where(Quiz.id == quiz_id)).first()
    if row is None:
        raise NotFound("There is no quiz at this address.")
    policy.require_teaches(actor, row[1].id, "There is no quiz at this address.")
    return row[0], row[1]


# --- the grid ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    quiz: Quiz
    attempts: list[Attempt]
    """Every attempt of this learner at this quiz, in order (in progress ones too)."""

    @property
    def graded(self) -> list[Attempt]:
        return [a for a in self.attempts if a.graded_at is not None]

    @property
    def grade(self) -> float | None:
        return grade_by_method(self.quiz.grading_method, self.attempts)

    @property
    def best(self) -> float | None:
        scores = [a.score for a in self.graded if a.score is not None]
        return max(scores) if scores else None

    @property
    def used(self) -> int:
        return len(self.attempts)

    @property
    def in_progress(self) -> bool:
        return any(a.state == "in_progress" for a in self.attempts)

    @property
    def passed(self) -> bool | None:
        """Pass/fail by the quiz grade; None before any graded attempt."""
        grade = self.grade
        return None if grade is None else meets_pass_mark(grade, self.quiz.pass_mark)

    @property
    def result(self) -> str:
        if self.passed is None:
            return "in progress" if self.in_progress else "not attempted"
        return "pass" if self.passed else "fail"


@dataclass(frozen=True)
class Row:
    learner: User
    cells: list[Cell]
    time: list[ModuleTime] = field(default_factory=list)
    """Time on task per module of the course (seat time: first opening to completion of each lesson)."""

    @property
    def minutes(self) -> int:
        return sum(m.minutes for m in self.time)


@dataclass
class Gradebook:
    course: Course
    quizzes: list[Quiz]
    rows: list[Row] = field(default_factory=list)
    quiz: Quiz | None = None
    """Set for a one-quiz gradebook."""

    @property
    def filename(self) -> str:
        stamp = utcnow().strftime("%Y-%m-%d")
        if self.quiz is not None:
            return f"gradebook-{self.course.slug}-quiz-{self.quiz.id}-{stamp}.csv"
        return f"gradebook-{self.course.slug}-{stamp}.csv"


def _grid(course: Course, quizzes: list[Quiz], quiz: Quiz | None = None) -> Gradebook:
    """Two statements: every attempt at these quizzes, then every learner enrolled or with an attempt."""
    ids = [q.id for q in quizzes]
    by_learner: dict[int, dict[int, list[Attempt]]] = {}
    if ids:
        for attempt in session.scalars(
            select(Attempt).where(Attempt.quiz_id.in_(ids)).order_by(Attempt.user_id, Attempt.quiz_id, Attempt.number)
        ):
            by_learner.setdefault(attempt.user_id, {}).setdefault(attempt.quiz_id, []).append(attempt)
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == course.id)
    attempted = select(Attempt.user_id).where(Attempt.quiz_id.in_(ids)) if ids else None
    condition = or_(User.id.in_(enrolled), User.id.in_(attempted)) if attempted is not None else User.id.in_(enrolled)
    learners = list(session.scalars(select(User).where(condition).order_by(User.name, User.email, User.id)))
    times = time_on_task(course, [learner.id for learner in learners]) if quiz is None else {}
    rows = [
        Row(learner, [Cell(q, by_learner.get(learner.id, {}).get(q.id, [])) for q in quizzes], times.get(learner.id, []))
        for learner in learners
    ]
    return Gradebook(course, quizzes, rows, quiz)


def gradebook_courses(actor: User) -> list[Course]:
    """The courses whose gradebooks the actor may open: those they teach (every course for an admin)."""
    policy.require_instructor(actor)
    return policy.taught_courses(actor)


def course_gradebook(actor: User, slug: str) -> Gradebook:
    """Every learner of the course (enrolled, or with an attempt) against every live quiz of the course."""
    policy.require_instructor(actor)
    course = session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound("No such course.")
    policy.require_teaches(actor, course.id, "No such course.")
    return _grid(course, course_quizzes(course.id))


def quiz_gradebook(actor: User, quiz_id: int) -> Gradebook:
    quiz, course = get_quiz(actor, quiz_id)
    return _grid(course, [quiz], quiz)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _cell_text(value: str) -> str:
    """Neutralise spreadsheet formulas: a learner's name such as '=HYPERLINK(...)' must stay text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def gradebook_csv(book: Gradebook) -> str:
    """The grid as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read names correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["Learner", "Email"]
    for q in book.quizzes:
        header += [f"{q.title}: grade (%)", f"{q.title}: best (%)", f"{q.title}: attempts", f"{q.title}: result"]
    modules = book.rows[0].time if book.rows else []
    header += [f"{m.title}: time on task (min)" for m in modules]
    writer.writerow(header)
    for row in book.rows:
        line = [_cell_text(row.learner.name), _cell_text(row.learner.email)]
        for cell in row.cells:
            line += [_percent(cell.grade), _percent(cell.best), str(cell.used), cell.result]
        line += [str(m.minutes) if m.timed else "" for m in row.time]
        writer.writerow(line)
    return "\ufeff" + out.getvalue()


# --- one attempt in full ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedAnswer:
    saved_at: datetime
    lines: list[str]


@dataclass(frozen=True)
class Regraded:
    run_id: int
    at: datetime
    to_version: int
    old_fraction: float | None
    new_fraction: float | None


@dataclass(frozen=True)
class DetailItem:
    slot: int
    question_key: str
    bank_slug: str
    bank_title: str
    version: int
    current_version: int | None
    type: str
    prompt_html: str
    response: list[str]
    """HTML lines (edu.quizzes.pages.response_lines), as is `key` and each saved answer's."""
    key: list[str]
    fraction: float | None
    state: str
    saved_at: datetime | None
    history: list[SavedAnswer]
    regrades: list[Regraded]


@dataclass
class AttemptDetail:
    attempt: Attempt
    quiz: Quiz
    course: Course
    learner: User
    items: list[DetailItem]


def attempt_detail(actor: User, attempt_id: int) -> AttemptDetail:
    """Every item of one attempt: the version taken, the learner's response, the key, the mark, each save.

    Four statements whatever the size of the attempt. The key is shown against the version the learner was given;
    a later regrade is listed with the version it used.
    """
    policy.require_instructor(actor)
    row = session.execute(
        select(Attempt, Quiz, Course, User)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.id == attempt_id)
    ).first()
    if row is None:
        raise NotFound("No such attempt.")
    attempt, quiz, course, learner = row
    policy.require_teaches(actor, course.id, "No such attempt.")
    current = aliased(QuestionVersion)
    items = session.execute(
        select(AttemptItem, QuestionVersion, Question.key, QuestionBank.slug, QuestionBank.title, current.number)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .join(Question, Question.id == AttemptItem.question_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .outerjoin(current, current.id == Question.current_version_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.slot)
    ).all()
    history: dict[int, list[tuple[datetime, Any]]] = {}
    for item_id, saved_at, response in session.execute(
        select(AttemptAnswerEvent.item_id, AttemptAnswerEvent.saved_at, AttemptAnswerEvent.response)
        .join(AttemptItem, AttemptItem.id == AttemptAnswerEvent.item_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptAnswerEvent.saved_at, AttemptAnswerEvent.id)
    ):
        history.setdefault(item_id, []).append((saved_at, response))
    regrades: dict[int, list[Regraded]] = {}
    to_version = aliased(QuestionVersion)
    for regrade, at, number in session.execute(
        select(RegradeItem, RegradeRun.created_at, to_version.number)
        .join(RegradeRun, RegradeRun.id == RegradeItem.run_id)
        .join(to_version, to_version.id == RegradeItem.to_version_id)
        .join(AttemptItem, AttemptItem.id == RegradeItem.item_id)
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(RegradeItem.id)
    ):
        regrades.setdefault(regrade.item_id, []).append(
            Regraded(regrade.run_id, at, number, regrade.old_fraction, regrade.new_fraction)
        )
    details: list[DetailItem] = []
    for item, version, key, bank_slug, bank_title, current_number in items:
        question = as_model(version.data)
        details.append(
            DetailItem(
                slot=item.slot,
                question_key=key,
                bank_slug=bank_slug,
                bank_title=bank_title,
                version=version.number,
                current_version=current_number,
                type=question.type,
                prompt_html=block_html(question.prompt),
                response=response_lines(question, item.response),
                key=key_lines(question),
                fraction=item.fraction,
                state=item.state,
                saved_at=item.saved_at,
                history=[SavedAnswer(at, response_lines(question, response)) for at, response in history.get(item.id, [])],
                regrades=regrades.get(item.id, []),
            )
        )
    return AttemptDetail(attempt, quiz, course, learner, details)


# --- every quiz at a glance -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuizSummary:
    quiz: Quiz
    course: Course
    attempts: int
    """Graded attempts."""
    learners: int
    mean: float | None
    passed: int

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.attempts if self.attempts else None


def quiz_overview(actor: User) -> list[QuizSummary]:
    """Every quiz of the courses the actor teaches (module quizzes, finals, authored quizzes) with its graded
    attempts, mean and pass rate.

    Two statements: the quizzes with their courses, and one aggregate over their graded attempts.
    """
    policy.require_instructor(actor)
    quizzes = session.execute(
        select(Quiz, Course)
        .join(Course, Course.id == Quiz.course_id)
        .where(policy.taught_filter(actor, Quiz.course_id))
        .order_by(Quiz.retired_at.is_not(None), Course.title, Quiz.kind.desc(), Quiz.source, Quiz.key)
    ).all()
    figures = {
        quiz_id: (int(count), int(learners), float(mean) if mean is not None else None, int(passed or 0))
        for quiz_id, count, learners, mean, passed in session.execute(
            select(
                Attempt.quiz_id,
                func.count(Attempt.id),
                func.count(func.distinct(Attempt.user_id)),
                func.avg(Attempt.score),
                func.sum(case((Attempt.passed.is_(True), 1), else_=0)),
            )
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Attempt.graded_at.is_not(None), policy.taught_filter(actor, Quiz.course_id))
            .group_by(Attempt.quiz_id)
        )
    }
    return [QuizSummary(quiz, course, *figures.get(quiz.id, (0, 0, None, 0))) for quiz, course in quizzes]
