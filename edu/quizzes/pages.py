"""What the learner's pages may show of an attempt: the attempt page before grading, the review after.

Nothing reveals a key, rationale or correctness before grading: the attempt page gets `ItemView`s, which carry only
ids and texts. The review shows what the quiz's review policy allows at that moment (after submitting, after
passing, after the last allowed attempt). Opening either page finalises an overdue attempt first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from edu.auth.models import User
from edu.banks.models import Question, QuestionBank
from edu.banks.services import as_model
from edu.catalog.models import Course, Lesson, Module
from edu.db import session, utcnow
from edu.errors import Conflict

from . import grading
from .eligibility import QuizStatus, quiz_status
from .marking import attempt_items, finalise, is_overdue, own_attempt
from .models import REVIEW_PARTS, Attempt, AttemptItem, Quiz

# --- the attempt page -------------------------------------------------------------------------------------------------


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


def open_attempt(user: User, attempt_id: int) -> AttemptPage:
    """The attempt page: the attempt and its items in two queries; an overdue attempt is finalised first."""
    attempt, quiz, course = own_attempt(user, attempt_id)
    if is_overdue(attempt, quiz):
        attempt, quiz, course = own_attempt(user, attempt_id, lock=True)
        if is_overdue(attempt, quiz):
            finalise(attempt, quiz, utcnow(), "timeout")
    items = attempt_items(attempt.id)
    return AttemptPage(attempt, quiz, course, [item_view(i) for i in items])


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


def response_lines(question: Any, response: Any) -> list[str]:
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


def key_lines(question: Any) -> list[str]:
    key = grading.key_for(question)
    if question.type == "short_answer":
        return [" / ".join(key["accepted"])]
    if question.type == "numeric":
        text = f"{question.answer:g}"
        if question.tolerance:
            text += f" (± {question.tolerance:g})"
        return [f"{text} {question.unit}" if question.unit else text]
    return response_lines(question, key["response"])


def review(user: User, attempt_id: int) -> Review:
    """The graded attempt as its review policy allows; an attempt still in progress is not reviewable."""
    attempt, quiz, course = own_attempt(user, attempt_id)
    if attempt.state == "in_progress" and is_overdue(attempt, quiz):
        attempt, quiz, course = own_attempt(user, attempt_id, lock=True)
        if is_overdue(attempt, quiz):
            finalise(attempt, quiz, utcnow(), "timeout")
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
            .options(joinedload(Module.lessons).load_only(Lesson.key, Lesson.title, Lesson.position))
            .order_by(Module.position)
        ).unique()
    )
    module_by_bank = {m.bank_slug: m for m in modules if m.bank_slug}
    objective_text = {o["id"]: o["text"] for m in modules for o in m.objectives}
    items: list[ReviewItem] = []
    for item, bank_slug in rows:
        question = as_model(item.question_version.data)
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
                your_answer=response_lines(question, item.response),
                correct_answer=key_lines(question),
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
