"""What the learner's pages may show of an attempt: the attempt page before grading, the review after.

Nothing reveals a key, rationale or correctness before grading: the attempt page gets `ItemView`s, which carry only
ids and texts. The review shows what the quiz's review policy allows at that moment (after submitting, after
passing, after the last allowed attempt), and says so first. Opening either page finalises an overdue attempt first.

Item texts are Markdown (courses/README.md), shown as the bank's preview shows them: rendered and sanitised by
edu.content.render, prompts, feedback and rationales as blocks, options, pairs and steps inline (they sit in labels).
The `*_html` values below are that sanitised HTML, which templates print with `|safe`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from edu.auth.models import User
from edu.banks.models import Question, QuestionBank
from edu.banks.services import as_model
from edu.catalog.models import Course, Lesson, Module
from edu.content.render import plain_text, render_inline, render_markdown
from edu.db import session, utcnow
from edu.errors import Conflict

from . import grading
from .eligibility import QuizStatus, quiz_status
from .marking import attempt_items, finalise, is_overdue, own_attempt
from .models import REVIEW_PARTS, Attempt, AttemptItem, Quiz

# --- how an item's texts show -----------------------------------------------------------------------------------------

RENDERED_TEXTS = 4096
"""Texts each worker keeps rendered: the prompts, options and feedback of a few hundred questions."""


@lru_cache(maxsize=RENDERED_TEXTS)
def block_html(text: str) -> str:
    """A prompt, a feedback or a rationale as HTML (paragraphs, lists, emphasis, links), rendered and sanitised.

    Cached by text: rendering is a pure function of it and a question version never changes, while a 20-question
    attempt page holds about a hundred texts. Rendered on every request they more than doubled the page's CPU time
    (`python -m bench.item_markdown`: 6.9 ms as typed, 16.3 ms rendered each time, 6.6 ms cached). Headings get no
    ids: a page holds many items, and an author's heading must not take an id the page uses."""
    return render_markdown(text, anchors=False)


@lru_cache(maxsize=RENDERED_TEXTS)
def inline_html(text: str) -> str:
    """An option, a matching prompt or answer, an ordering step: inline Markdown, without the paragraph that does not
    belong in a label."""
    return render_inline(text)


@lru_cache(maxsize=RENDERED_TEXTS)
def plain_words_html(text: str) -> str:
    """A matching answer in a select's option, which holds no markup: the words, escaped."""
    return str(escape(plain_text(text)))


# --- the attempt page -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    """As written (Markdown); `html` is what the page shows."""

    @property
    def html(self) -> str:
        return inline_html(self.text)

    @property
    def plain_html(self) -> str:
        return plain_words_html(self.text)


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
    answers: tuple[Choice, ...] = ()
    """Matching: the answer list, in the attempt's frozen order (each answer's id is its text, the value posted)."""
    unit: str | None = None

    @property
    def prompt_html(self) -> str:
        return block_html(self.prompt)

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
        base["answers"] = tuple(Choice(str(answer), str(answer)) for answer in item.order)
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
    """One question of a review, holding only what the review policy shows now (the rest is empty), as HTML."""

    slot: int
    type: str
    prompt_html: str
    objective: str | None
    module_key: str | None
    your_answer: list[str]
    correct_answer: list[str]
    fraction: float
    state: str
    feedback: list[str]
    """The question's feedback on this response (with the key: the part 'feedback')."""
    option_feedback: list[str]
    """The feedback on a wrong option chosen, without the key (the part 'option_feedback')."""
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
    statement: str
    """What this review shows, what it holds back until when, and why: the first thing the page says."""

    @property
    def percent(self) -> int:
        return round(100 * (self.attempt.score or 0))

    @property
    def shows_questions(self) -> bool:
        return bool(self.show & {"correctness", "response", "option_feedback", "key", "feedback"})


def review_parts(quiz: Quiz, passed: bool, attempts_left: int | None) -> frozenset[str]:
    """What the review policy lets the learner see now: after submit, plus after passing, plus after the last try."""
    policy = quiz.review or {}
    parts = set(policy.get("after_submit", []))
    if passed:
        parts |= set(policy.get("after_pass", []))
    if attempts_left == 0:
        parts |= set(policy.get("after_last", []))
    if "correctness" not in parts:
        # Feedback on a wrong choice says the choice was wrong: without the right-or-wrong mark beside it, it would
        # tell what the review withholds (on a true/false question, the key itself).
        parts.discard("option_feedback")
    return frozenset(p for p in parts if p in REVIEW_PARTS)


PART_WORDS = {
    "score": "your score",
    "correctness": "which questions you got right",
    "response": "your answers",
    "option_feedback": "feedback on a wrong option you chose",
    "key": "the correct answers",
    "feedback": "why each answer is right or wrong",
}
"""Each review part as the statement at the top of a review names it."""
assert set(PART_WORDS) == set(REVIEW_PARTS)


def _listed(parts: frozenset[str]) -> str:
    words = [PART_WORDS[p] for p in REVIEW_PARTS if p in parts]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def review_statement(quiz: Quiz, show: frozenset[str], passed: bool, attempts_left: int | None) -> str:
    """The review policy in the learner's words, for the top of the review: what it shows, what it holds back until
    when, and why the key waits (a learner who failed used to learn why only at the bottom of the page, if at all)."""
    policy = quiz.review or {}
    now = f"This review shows {_listed(show)}" if show else "This review shows only whether you passed"
    if "key" in show and "key" not in policy.get("after_submit", []):
        now += (
            ", now that you have passed"
            if passed and "key" in policy.get("after_pass", [])
            else ", now that you have used all your attempts"
        )
    sentences = [now + "."]
    on_pass = review_parts(quiz, True, attempts_left) - show if not passed else frozenset()
    on_last = review_parts(quiz, passed, 0) - show if attempts_left else frozenset()
    for parts, when in (
        (on_pass & on_last, "once you pass or have used all your attempts"),
        (on_pass - on_last, "once you pass"),
        (on_last - on_pass, "once you have used all your attempts"),
    ):
        if parts:
            listed = _listed(parts)
            sentences.append(f"{listed[0].upper()}{listed[1:]} {'is' if len(parts) == 1 else 'are'} shown {when}.")
    if "key" in on_pass | on_last:
        sentences.append(
            "The correct answers wait so that your next attempt tests what you know, not what you remember of this review."
        )
    elif "key" not in show and not any("key" in parts for parts in policy.values()):
        sentences.append("This quiz does not show the correct answers.")
    return " ".join(sentences)


def feedback_band(quiz: Quiz, score: float) -> str | None:
    bands = sorted((b for b in quiz.feedback_bands or [] if "min" in b), key=lambda b: float(b["min"]))
    chosen = None
    for band in bands:
        if score * 100 + 1e-9 >= float(band["min"]):
            chosen = str(band.get("text", ""))
    return chosen or None


def response_lines(question: Any, response: Any) -> list[str]:
    """A canonical response in words, as HTML lines for the review and the instructor's view of an attempt: the
    question's texts rendered as the attempt page shows them, what the learner typed escaped."""
    if response is None:
        return []
    kind = question.type
    if kind in ("single", "multiple"):
        ids = [response] if kind == "single" else list(response)
        return [inline_html(o.text) for o in question.options if o.id in ids]
    if kind == "true_false":
        return ["True" if response else "False"]
    if kind == "matching":
        return [f"{inline_html(p.prompt)} → {inline_html(response[p.id])}" for p in question.pairs if p.id in response]
    if kind == "ordering":
        texts = {i.id: i.text for i in question.items}
        return [f"{n}. {inline_html(texts[i])}" for n, i in enumerate(response, start=1) if i in texts]
    if kind == "numeric" and question.unit:
        return [str(escape(f"{response} {question.unit}"))]
    return [str(escape(str(response)))]


def key_lines(question: Any) -> list[str]:
    """The key in words, as HTML lines (see response_lines)."""
    key = grading.key_for(question)
    if question.type == "short_answer":
        return [str(escape(" / ".join(key["accepted"])))]
    if question.type == "numeric":
        text = f"{question.answer:g}"
        if question.tolerance:
            text += f" (± {question.tolerance:g})"
        return [str(escape(f"{text} {question.unit}" if question.unit else text))]
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
    full_feedback = "feedback" in show
    for item, bank_slug in rows:
        question = as_model(item.question_version.data)
        module = module_by_bank.get(bank_slug)
        feedback = grading.grade(question, item.response).feedback if full_feedback else ()
        chosen = grading.option_feedback(question, item.response) if "option_feedback" in show and not full_feedback else ()
        items.append(
            ReviewItem(
                slot=item.slot,
                type=question.type,
                prompt_html=block_html(question.prompt),
                objective=question.objective,
                module_key=module.key if module else None,
                your_answer=response_lines(question, item.response) if "response" in show else [],
                correct_answer=key_lines(question) if "key" in show else [],
                fraction=item.fraction or 0.0,
                state=item.state,
                feedback=[block_html(text) for text in feedback],
                option_feedback=[block_html(text) for text in chosen],
                rationale=block_html(question.rationale) if full_feedback and question.rationale else None,
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
    statement = review_statement(quiz, show, status.passed, status.attempts_left)
    return Review(attempt, quiz, course, show, items, status, band, objectives, module_rows, statement)
