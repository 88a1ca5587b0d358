"""Quizzes assembled in the browser from question banks.

An authored quiz is an ordinary Quiz (source 'authored') attached to a course, so the engine runs it unchanged:
kind 'module' with no module key (no lessons gate it), questions from the QuizSource kinds the engine already
draws from ('fixed', 'draw' from a bank and/or tag, 'minimum' per tag). An AuthoredQuiz row names its author,
who (with admins) may change it (edu.quizzes.policy). Quizzes synced from courses/ are read-only here: the files own
their settings.

The services take a plain QuizSpec; turning the editor's form into one (and a quiz back into the form) is the
forms' work (edu.quizzes.instructor_forms).

Validation reuses the engine's draw (`quizzes.draw_questions`), which is exhaustive over tag minimums, so a quiz
is accepted exactly when every attempt can be drawn.
"""

from __future__ import annotations

import itertools
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import joinedload

from edu.auth.models import User
from edu.banks.models import Question, QuestionBank, QuestionVersion
from edu.catalog import policy
from edu.catalog.models import Course
from edu.content.render import plain_text
from edu.db import session, utcnow
from edu.errors import Invalid, NotFound

from . import policy as quiz_policy
from .models import AUTHORED, DEFAULT_REVIEW, AuthoredQuiz, Quiz, QuizSource
from .quizzes import Candidate, DrawImpossible, Pool, draw_questions


@dataclass(frozen=True)
class DrawSpec:
    bank_id: int
    tag: str | None
    count: int


@dataclass
class QuizSpec:
    title: str
    course_id: int | None
    fixed: list[int] = field(default_factory=list)
    draws: list[DrawSpec] = field(default_factory=list)
    minimums: dict[str, int] = field(default_factory=dict)
    pass_mark: int = 70
    attempts_allowed: int | None = 3
    delay_minutes: int = 0
    time_limit_minutes: int | None = None
    grading_method: str = "highest"
    overdue_handling: str = "autosubmit"
    grace_minutes: int = 0
    review: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_REVIEW.items()})
    bands: list[dict[str, Any]] = field(default_factory=list)

    @property
    def questions(self) -> int:
        return len(self.fixed) + sum(d.count for d in self.draws)


# --- what the editor offers -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankQuestion:
    id: int
    key: str
    excerpt: str
    tags: tuple[str, ...]


@dataclass
class EditorOptions:
    courses: list[tuple[int, str]]
    banks: list[tuple[QuestionBank, list[BankQuestion]]]

    @property
    def tags(self) -> list[str]:
        return sorted({t for _, questions in self.banks for q in questions for t in q.tags})


def editor_options(actor: User) -> EditorOptions:
    """The courses the actor teaches (to attach a quiz to) and every active bank with its active questions."""
    policy.require_instructor(actor)
    courses = [(c.id, c.title) for c in policy.taught_courses(actor)]
    grouped: dict[int, tuple[QuestionBank, list[BankQuestion]]] = {}
    for question, bank, version in session.execute(
        select(Question, QuestionBank, QuestionVersion)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.retired_at.is_(None), QuestionBank.retired_at.is_(None))
        .order_by(QuestionBank.title, QuestionBank.id, Question.key)
    ):
        text = " ".join(plain_text(str(version.data.get("prompt", ""))).split())  # the words, without Markdown
        excerpt = text if len(text) <= 90 else text[:87].rstrip() + "..."
        tags = tuple(str(t) for t in version.data.get("tags") or ())
        grouped.setdefault(bank.id, (bank, []))[1].append(BankQuestion(question.id, question.key, excerpt, tags))
    return EditorOptions(courses, list(grouped.values()))


# --- validation -------------------------------------------------------------------------------------------------------


def validate_spec(actor: User, spec: QuizSpec) -> None:
    """Raise Invalid listing every problem (one per line), or return when the quiz can be drawn for every attempt.

    A course the actor does not teach is refused with the same words as a course that does not exist."""
    problems: list[str] = []
    if not spec.title.strip():
        problems.append("Enter a title for the quiz.")
    if spec.course_id is None or session.get(Course, spec.course_id) is None or not policy.teaches(actor, spec.course_id):
        problems.append("Choose the course the quiz belongs to: learners enrolled in it can take the quiz.")
    if not 1 <= spec.pass_mark <= 100:
        problems.append("The pass mark must be between 1 and 100 %.")
    if spec.grading_method not in ("highest", "last", "first", "average"):
        problems.append("Choose how the quiz is graded.")
    if spec.overdue_handling not in ("autosubmit", "graceperiod"):
        problems.append("Choose what happens when time runs out.")
    if spec.overdue_handling == "graceperiod" and spec.time_limit_minutes is None:
        problems.append("A grace period needs a time limit.")
    if not spec.fixed and not spec.draws:
        problems.append("Add questions: tick questions to always include, or add a draw from a bank.")
    total = spec.questions
    for tag, need in spec.minimums.items():
        if need > total:
            problems.append(
                f"The minimum of {need} question{'s' if need != 1 else ''} tagged “{tag}” is more than the quiz's "
                f"{total} question{'s' if total != 1 else ''}."
            )
    mins = [b["min"] for b in spec.bands]
    if any(not 0 <= m <= 100 for m in mins):
        problems.append("Feedback bands start at a score between 0 and 100 %.")
    elif any(b <= a for a, b in itertools.pairwise(mins)):
        problems.append("List feedback bands from the lowest score to the highest, each starting above the one before.")
    if not problems and (spec.fixed or spec.draws):
        problems.extend(_feasibility(spec))
    if problems:
        raise Invalid("\n".join(problems))


def _feasibility(spec: QuizSpec) -> list[str]:
    """Build the pools exactly as the engine's draw_for_attempt does and ask its draw for one paper."""
    bank_ids = {d.bank_id for d in spec.draws}
    conditions: list[ColumnElement[bool]] = []
    if bank_ids:
        conditions.append(Question.bank_id.in_(bank_ids))
    if spec.fixed:
        conditions.append(Question.id.in_(spec.fixed))
    rows = session.execute(
        select(Question.id, Question.bank_id, QuestionVersion.id, QuestionVersion.data, QuestionBank.title)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .where(or_(*conditions), Question.retired_at.is_(None), QuestionBank.retired_at.is_(None))
        .order_by(Question.id)
    ).all()
    problems: list[str] = []
    known_banks = {bank_id: title for _, bank_id, _, _, title in rows}
    if bank_ids:
        for bank_id, title in session.execute(select(QuestionBank.id, QuestionBank.title).where(QuestionBank.id.in_(bank_ids))):
            known_banks[bank_id] = title
    missing = [q for q in spec.fixed if q not in {r[0] for r in rows}]
    if missing:
        problems.append("Some questions you ticked are retired or no longer exist: untick them.")
    for d in spec.draws:
        if d.bank_id not in known_banks:
            problems.append("A draw names a bank that does not exist.")
    if problems:
        return problems

    def candidate(qid: int, vid: int, data: dict[str, Any]) -> Candidate:
        return Candidate(qid, vid, frozenset(str(t) for t in data.get("tags", ())))

    pools: list[Pool] = []
    fixed = tuple(candidate(qid, vid, data) for qid, _b, vid, data, _t in rows if qid in spec.fixed)
    if fixed:
        pools.append(Pool("The fixed questions", len(fixed), fixed))
    for d in spec.draws:
        members = tuple(
            candidate(qid, vid, data)
            for qid, bank_id, vid, data, _t in rows
            if bank_id == d.bank_id and (d.tag is None or d.tag in data.get("tags", ()))
        )
        label = known_banks[d.bank_id] + (f" (tag “{d.tag}”)" if d.tag else "")
        pools.append(Pool(label, d.count, members))
    try:
        draw_questions(pools, spec.minimums, set(), random.Random(0))
    except DrawImpossible as exc:
        return [exc.message]
    return []


# --- create, read, update ---------------------------------------------------------------------------------------------


def _apply(quiz: Quiz, spec: QuizSpec) -> None:
    quiz.title = spec.title.strip()
    quiz.course_id = int(spec.course_id or 0)
    quiz.questions = spec.questions
    quiz.pass_mark = spec.pass_mark
    quiz.attempts_allowed = spec.attempts_allowed
    quiz.delay_minutes = spec.delay_minutes
    quiz.time_limit_minutes = spec.time_limit_minutes
    quiz.grading_method = spec.grading_method
    quiz.overdue_handling = spec.overdue_handling
    quiz.grace_minutes = spec.grace_minutes
    quiz.review = {k: list(v) for k, v in spec.review.items()}
    quiz.feedback_bands = [dict(b) for b in spec.bands]
    quiz.updated_at = utcnow()
    sources: list[tuple[str, int | None, str | None, int | None, int]] = [("fixed", None, None, q, 1) for q in spec.fixed]
    sources += [("draw", d.bank_id, d.tag, None, d.count) for d in spec.draws]
    sources += [("minimum", None, tag, None, count) for tag, count in spec.minimums.items()]
    current = [(s.kind, s.bank_id, s.tag, s.question_id, s.count) for s in quiz.sources] if quiz.id else []
    if current != sources:
        if quiz.id:
            quiz.sources.clear()
            session.flush()
        quiz.sources.extend(
            QuizSource(position=i, kind=kind, bank_id=bank_id, tag=tag, question_id=question_id, count=count)
            for i, (kind, bank_id, tag, question_id, count) in enumerate(sources)
        )


def create_quiz(actor: User, spec: QuizSpec) -> Quiz:
    policy.require_instructor(actor)
    validate_spec(actor, spec)
    quiz = Quiz(kind="module", key=f"authored-{secrets.token_hex(4)}", module_key=None, source=AUTHORED, created_at=utcnow())
    _apply(quiz, spec)
    session.add(quiz)
    session.flush()
    session.add(AuthoredQuiz(quiz_id=quiz.id, created_by_id=actor.id))
    session.flush()
    return quiz


def _with_author(actor: User, quiz_id: int) -> tuple[Quiz, Course, int | None]:
    """The quiz, its course and its author; a quiz of a course the actor does not teach is a 404."""
    policy.require_instructor(actor)
    row = (
        session.execute(
            select(Quiz, Course, AuthoredQuiz.created_by_id)
            .join(Course, Course.id == Quiz.course_id)
            .outerjoin(AuthoredQuiz, AuthoredQuiz.quiz_id == Quiz.id)
            .options(joinedload(Quiz.sources))
            .where(Quiz.id == quiz_id)
        )
        .unique()
        .first()
    )
    if row is None:
        raise NotFound("There is no quiz at this address.")
    quiz, course, author = row
    policy.require_teaches(actor, course.id, "There is no quiz at this address.")
    return quiz, course, author


def get_for_edit(actor: User, quiz_id: int) -> tuple[Quiz, Course, bool]:
    """The quiz, its course, and whether the actor may change it; a quiz of a course the actor does not teach is
    a 404."""
    quiz, course, author = _with_author(actor, quiz_id)
    return quiz, course, quiz_policy.can_edit(actor, quiz, author)


def update_quiz(actor: User, quiz_id: int, spec: QuizSpec) -> Quiz:
    quiz, _course, author = _with_author(actor, quiz_id)
    quiz_policy.require_editable(actor, quiz, author)
    validate_spec(actor, spec)
    _apply(quiz, spec)
    session.flush()
    return quiz
