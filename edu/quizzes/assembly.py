"""Quizzes assembled in the browser from question banks, and learners' accommodations.

An authored quiz is an ordinary Quiz (source 'authored') attached to a course, so the engine runs it unchanged:
kind 'module' with no module key (no lessons gate it), questions from the QuizSource kinds the engine already
draws from ('fixed', 'draw' from a bank and/or tag, 'minimum' per tag). An AuthoredQuiz row names its author,
who (with admins) may change it. Quizzes synced from courses/ are read-only here: the files own their settings.

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
from wtforms.fields.choices import SelectChoice

from edu.auth.models import Role, User
from edu.catalog import policy
from edu.catalog.models import Course
from edu.db import session, utcnow
from edu.errors import Forbidden, Invalid, NotFound
from edu.storable import parse_id

from .gradebook import require_instructor
from .instructor_forms import BAND_ROWS, DRAW_ROWS, MINIMUM_ROWS, QuizForm
from .models import (
    DEFAULT_REVIEW,
    REVIEW_PARTS,
    Accommodation,
    AuthoredQuiz,
    Question,
    QuestionBank,
    QuestionVersion,
    Quiz,
    QuizSource,
)
from .quizzes import Candidate, DrawImpossible, Pool, draw_questions, set_accommodation

AUTHORED = "authored"


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
    require_instructor(actor)
    courses = [(c.id, c.title) for c in policy.taught_courses(actor)]
    grouped: dict[int, tuple[QuestionBank, list[BankQuestion]]] = {}
    for question, bank, version in session.execute(
        select(Question, QuestionBank, QuestionVersion)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.retired_at.is_(None), QuestionBank.retired_at.is_(None))
        .order_by(QuestionBank.title, QuestionBank.id, Question.key)
    ):
        text = " ".join(str(version.data.get("prompt", "")).split())
        excerpt = text if len(text) <= 90 else text[:87].rstrip() + "..."
        tags = tuple(str(t) for t in version.data.get("tags") or ())
        grouped.setdefault(bank.id, (bank, []))[1].append(BankQuestion(question.id, question.key, excerpt, tags))
    return EditorOptions(courses, list(grouped.values()))


def fill_choices(form: QuizForm, options: EditorOptions) -> None:
    form.course.choices = [SelectChoice("", "Choose a course…")] + [SelectChoice(str(i), t) for i, t in options.courses]
    banks = [SelectChoice("", "Choose a bank…")] + [SelectChoice(str(b.id), b.title) for b, _ in options.banks]
    for entry in form.draws:
        entry.form.bank.choices = banks
    form.fixed.choices = [SelectChoice(q.id, q.key) for _, questions in options.banks for q in questions]


# --- form <-> spec ----------------------------------------------------------------------------------------------------


def _pad(field_list: Any, rows: int) -> None:
    while len(field_list) < rows:
        field_list.append_entry()


def defaults_into(form: QuizForm) -> None:
    for moment, parts in DEFAULT_REVIEW.items():
        getattr(form, moment).data = list(parts)


def quiz_into(form: QuizForm, quiz: Quiz) -> None:
    form.title.data = quiz.title
    form.course.data = str(quiz.course_id)
    for name in (
        "pass_mark",
        "attempts_allowed",
        "delay_minutes",
        "time_limit_minutes",
        "grading_method",
        "overdue_handling",
        "grace_minutes",
    ):
        getattr(form, name).data = getattr(quiz, name)
    for moment in DEFAULT_REVIEW:
        getattr(form, moment).data = list((quiz.review or {}).get(moment, []))
    form.fixed.data = [s.question_id for s in quiz.sources if s.kind == "fixed"]
    while len(form.draws):
        form.draws.pop_entry()
    for s in (s for s in quiz.sources if s.kind == "draw"):
        form.draws.append_entry({"bank": str(s.bank_id or ""), "tag": s.tag or "", "count": s.count})
    _pad(form.draws, DRAW_ROWS)
    while len(form.minimums):
        form.minimums.pop_entry()
    for s in (s for s in quiz.sources if s.kind == "minimum"):
        form.minimums.append_entry({"tag": s.tag or "", "count": s.count})
    _pad(form.minimums, MINIMUM_ROWS)
    while len(form.bands):
        form.bands.pop_entry()
    for band in quiz.feedback_bands or []:
        form.bands.append_entry({"min": band.get("min"), "text": band.get("text", "")})
    _pad(form.bands, BAND_ROWS)


def spec_from_form(form: QuizForm) -> QuizSpec:
    """The form's content as a spec; blank rows are ignored, half-filled ones are reported by validate_spec."""
    problems: list[str] = []
    draws: list[DrawSpec] = []
    for n, entry in enumerate(form.draws, start=1):
        bank, tag, count = entry.form.bank.data, entry.form.tag.data or None, entry.form.count.data
        if not bank and not tag and count is None:
            continue
        bank_id = parse_id(bank)
        if bank_id is None:
            problems.append(f"Draw {n}: choose the bank to draw from.")
        elif count is None:
            problems.append(f"Draw {n}: say how many questions to draw.")
        else:
            draws.append(DrawSpec(bank_id, tag, int(count)))
    minimums: dict[str, int] = {}
    for n, entry in enumerate(form.minimums, start=1):
        tag, count = entry.form.tag.data, entry.form.count.data
        if not tag and count is None:
            continue
        if not tag or count is None:
            problems.append(f"Minimum {n}: give both the tag and how many questions.")
        elif tag in minimums:
            problems.append(f"Minimum {n}: the tag “{tag}” already has a minimum.")
        else:
            minimums[tag] = int(count)
    bands: list[dict[str, Any]] = []
    for n, entry in enumerate(form.bands, start=1):
        low, text = entry.form.min.data, entry.form.text.data
        if low is None and not text:
            continue
        if low is None or not text:
            problems.append(f"Feedback band {n}: give both the lowest score and the feedback text.")
        else:
            bands.append({"min": int(low), "text": text})
    if problems:
        raise Invalid("\n".join(problems))
    course = form.course.data
    return QuizSpec(
        title=form.title.data or "",
        course_id=parse_id(course),
        fixed=list(dict.fromkeys(int(q) for q in form.fixed.data or [])),
        draws=draws,
        minimums=minimums,
        pass_mark=int(form.pass_mark.data or 0),
        attempts_allowed=form.attempts_allowed.data,
        delay_minutes=int(form.delay_minutes.data or 0),
        time_limit_minutes=form.time_limit_minutes.data,
        grading_method=form.grading_method.data or "highest",
        overdue_handling=form.overdue_handling.data or "autosubmit",
        grace_minutes=int(form.grace_minutes.data or 0),
        review={m: [p for p in (getattr(form, m).data or []) if p in REVIEW_PARTS] for m in DEFAULT_REVIEW},
        bands=bands,
    )


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
    require_instructor(actor)
    validate_spec(actor, spec)
    quiz = Quiz(kind="module", key=f"authored-{secrets.token_hex(4)}", module_key=None, source=AUTHORED, created_at=utcnow())
    _apply(quiz, spec)
    session.add(quiz)
    session.flush()
    session.add(AuthoredQuiz(quiz_id=quiz.id, created_by_id=actor.id))
    session.flush()
    return quiz


def can_edit(actor: User, quiz: Quiz, author_id: int | None) -> bool:
    """Authored, and the actor's own or they are an admin (get_for_edit has checked that they teach its course)."""
    if quiz.source != AUTHORED:
        return False
    return actor.has_role(Role.ADMIN) or (actor.has_role(Role.INSTRUCTOR) and author_id == actor.id)


def get_for_edit(actor: User, quiz_id: int) -> tuple[Quiz, Course, bool]:
    """The quiz, its course, and whether the actor may change it; a quiz of a course the actor does not teach is
    a 404."""
    require_instructor(actor)
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
    return quiz, course, can_edit(actor, quiz, author)


def update_quiz(actor: User, quiz_id: int, spec: QuizSpec) -> Quiz:
    quiz, _course, editable = get_for_edit(actor, quiz_id)
    if quiz.source != AUTHORED:
        raise Forbidden("This quiz comes from the course files and is read-only here: change it in courses/ and sync.")
    if not editable:
        raise Forbidden("Only the instructor who created this quiz, or an admin, can change it.")
    validate_spec(actor, spec)
    _apply(quiz, spec)
    session.flush()
    return quiz


# --- accommodations ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccommodationRow:
    accommodation: Accommodation
    learner: User
    scope: str


@dataclass
class AccommodationsPage:
    scopes: list[SelectChoice]
    rows: list[AccommodationRow]
    learner: User | None = None
    searched: str | None = None


def accommodations_page(actor: User, email: str | None) -> AccommodationsPage:
    """The scopes the actor may choose (everything for an admin, the courses they teach and their quizzes) and the
    current accommodations within them (of one learner when searched): four statements."""
    require_instructor(actor)
    courses = policy.taught_courses(actor)
    titles = {c.id: c.title for c in courses}
    quizzes = list(
        session.scalars(
            select(Quiz)
            .where(Quiz.retired_at.is_(None), policy.taught_filter(actor, Quiz.course_id))
            .order_by(Quiz.course_id, Quiz.kind.desc(), Quiz.key)
        )
    )
    scopes = [SelectChoice("all", "Every quiz")] if policy.is_admin(actor) else []
    scopes += [SelectChoice(f"course:{c.id}", f"Every quiz of {c.title}") for c in courses]
    scopes += [SelectChoice(f"quiz:{q.id}", f"{q.title} ({titles.get(q.course_id, '')})") for q in quizzes]
    quiz_titles = {q.id: q.title for q in quizzes}
    learner = None
    query = (
        select(Accommodation, User)
        .join(User, User.id == Accommodation.user_id)
        .where(policy.taught_filter(actor, Accommodation.course_id))
    )
    if email:
        learner = session.scalar(select(User).where(User.email == email.lower()))
        query = query.where(Accommodation.user_id == (learner.id if learner else -1))
    rows = []
    for accommodation, user in session.execute(query.order_by(User.email, Accommodation.id)):
        if accommodation.quiz_id is not None:
            scope = quiz_titles.get(accommodation.quiz_id, "A retired quiz")
        elif accommodation.course_id is not None:
            scope = f"Every quiz of {titles.get(accommodation.course_id, '')}"
        else:
            scope = "Every quiz"
        rows.append(AccommodationRow(accommodation, user, scope))
    return AccommodationsPage(scopes, rows, learner, email)


def save_accommodation(
    actor: User,
    *,
    email: str,
    scope: str,
    time_multiplier: float,
    extra_minutes: int,
    extra_attempts: int,
    note: str | None,
) -> User:
    """Find the learner by email and set their accommodation through the engine's set_accommodation.

    A scope outside what the actor may choose (another course, every quiz for an instructor) gets the same answer
    as one that does not exist."""
    require_instructor(actor)
    learner = session.scalar(select(User).where(User.email == email.strip().lower()))
    if learner is None:
        raise Invalid("No learner has this email address.")
    quiz = course = None
    kind, _, ident = scope.partition(":")
    target = parse_id(ident)
    unknown = Invalid("Choose what the accommodation applies to.")
    if kind == "quiz" and target is not None:
        quiz = session.get(Quiz, target)
        if quiz is None or not policy.teaches(actor, quiz.course_id):
            raise unknown
    elif kind == "course" and target is not None:
        course = session.get(Course, target)
        if course is None or not policy.teaches(actor, course.id):
            raise unknown
    elif kind != "all" or not policy.is_admin(actor):
        raise unknown
    set_accommodation(
        actor,
        learner,
        quiz,
        course=course,
        time_multiplier=time_multiplier,
        extra_minutes=extra_minutes,
        extra_attempts=extra_attempts,
        note=note,
    )
    return learner
