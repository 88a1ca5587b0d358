"""Item analysis of a quiz: loads its graded attempts and hands plain numbers to stats.py (Moodle's statistics).

Our quizzes draw questions at random, so a slot does not hold the same question in every attempt; the analysis is
therefore per question (Moodle does the same for random questions, "the question that was in the slot"): an attempt
that was not given a question is left out of that question's figures. Every question is worth one mark, so an
attempt's total is the number of marks it earned and the maximum total is the number of questions it was given.

Three statements whatever the number of attempts: the quiz, every item of its graded attempts, and the questions
with their banks and current versions. The same figures per question version, over every quiz that drew it, are
what a question's history page in the banks shows (`version_statistics`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, cast

from sqlalchemy import func, select

from edu.auth.models import User
from edu.banks.models import Question, QuestionBank, QuestionVersion
from edu.catalog import policy
from edu.catalog.models import Course
from edu.content.render import plain_text
from edu.db import session
from edu.errors import Invalid
from edu.quizzes.models import Attempt, AttemptItem, Quiz

from . import stats
from .gradebook import get_quiz

WHICH_LABELS: Final[dict[str, str]] = {
    "first": "each learner's first attempt",
    "highest": "each learner's highest-scoring attempt",
    "last": "each learner's last attempt",
    "all": "every attempt",
}
DEFAULT_WHICH: Final[dict[str, stats.WhichAttempts]] = {
    "highest": "highest",
    "first": "first",
    "last": "last",
    "average": "all",
}
"""Moodle's default: the attempts that make up the grade under the quiz's grading method."""

REASONS: Final[dict[str, str]] = {
    "too_hard": f"Facility below {stats.FACILITY_TOO_HARD * 100:.0f} %: very few answered it correctly. Check the key first, "
    "then the wording.",
    "too_easy": f"Facility above {stats.FACILITY_TOO_EASY * 100:.0f} %: almost everyone answered it correctly, so it tells "
    "learners apart poorly.",
    "low_discrimination": f"Discrimination index below {stats.DISCRIMINATION_MIN:.0f} %: learners who did well on the "
    "rest of the quiz did not do clearly better on this question.",
    "negative_discrimination": "Negative discrimination: learners who did worse on the rest of the quiz did better "
    "on this question. This usually means a wrong key or an ambiguous question.",
}

BINS: Final = 10


def parse_which(raw: str | None, quiz: Quiz) -> stats.WhichAttempts:
    if raw is None or raw == "":
        return DEFAULT_WHICH.get(quiz.grading_method, "highest")
    if raw not in stats.WHICH_ATTEMPTS:
        raise Invalid("Choose which attempts to analyse: first, highest, last or all.")
    return cast(stats.WhichAttempts, raw)


@dataclass(frozen=True)
class OptionRow:
    id: str
    text: str
    correct: bool
    counts: stats.OptionCounts


@dataclass(frozen=True)
class ItemRow:
    number: int
    question_id: int
    key: str
    bank_slug: str
    bank_title: str
    type: str
    prompt: str
    versions: tuple[int, ...]
    """The version numbers the analysed attempts were given."""
    current_version: int | None
    figures: stats.ItemStats
    distractors: stats.DistractorAnalysis | None = None
    options: tuple[OptionRow, ...] = ()
    flagged: bool = False
    """Shown as needing review: its figures say so and the cohort is large enough for them to mean it. Below
    stats.SMALL_COHORT one learner can swing an item past a threshold, so the page gives the small-cohort warning
    and flags nothing: a flag would ask for a rewrite the figures cannot support."""

    @property
    def reasons(self) -> list[str]:
        """What the figures alone say, whether or not the item is flagged."""
        return [REASONS[r] for r in self.figures.review_reasons]


@dataclass
class Analysis:
    quiz: Quiz
    course: Course
    which: stats.WhichAttempts
    quiz_stats: stats.QuizStats
    items: list[ItemRow] = field(default_factory=list)
    histogram: list[tuple[str, int]] = field(default_factory=list)
    graded_attempts: int = 0
    """Every graded attempt of the quiz, before choosing which count."""

    @property
    def small_cohort(self) -> bool:
        return self.quiz_stats.attempts < stats.SMALL_COHORT

    @property
    def flagged(self) -> list[ItemRow]:
        return [i for i in self.items if i.flagged]


def _bins(percents: list[float]) -> list[tuple[str, int]]:
    counts = [0] * BINS
    for value in percents:
        counts[min(BINS - 1, max(0, int(value // (100 / BINS))))] += 1
    width = 100 // BINS
    return [(f"{i * width}–{i * width + width - 1 if i < BINS - 1 else 100}", n) for i, n in enumerate(counts)]


def analyse_quiz(actor: User, quiz_id: int, which: str | None = None) -> Analysis:
    quiz, course = get_quiz(actor, quiz_id)
    chosen = parse_which(which, quiz)
    rows = session.execute(
        select(
            Attempt.id,
            Attempt.user_id,
            Attempt.number,
            Attempt.score,
            AttemptItem.question_id,
            AttemptItem.fraction,
            AttemptItem.response,
            QuestionVersion.number,
        )
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .join(QuestionVersion, QuestionVersion.id == AttemptItem.question_version_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.graded_at.is_not(None))
        .order_by(Attempt.id, AttemptItem.slot)
    ).all()
    marks: dict[int, dict[int, float]] = {}
    responses: dict[int, dict[int, Any]] = {}
    owner: dict[int, tuple[int, int, float | None]] = {}
    versions: dict[int, set[int]] = {}
    for attempt_id, user_id, number, score, question_id, fraction, response, version in rows:
        owner[attempt_id] = (user_id, number, score)
        marks.setdefault(attempt_id, {})[question_id] = float(fraction or 0.0)
        responses.setdefault(attempt_id, {})[question_id] = response
        versions.setdefault(question_id, set()).add(version)
    records = [(user, number, score, attempt_id) for attempt_id, (user, number, score) in owner.items()]
    selected = [r[3] for r in stats.select_attempts(records, chosen)]
    attempt_marks = [marks[a] for a in selected]
    question_ids = sorted({q for m in attempt_marks for q in m})
    max_total = float(max((len(m) for m in attempt_marks), default=0)) or None
    report = stats.analyse(attempt_marks, {q: 1.0 for q in question_ids}, max_total=max_total)
    totals = [sum(m.values()) for m in attempt_marks]
    analysis = Analysis(quiz, course, chosen, report.quiz, graded_attempts=len(owner))
    analysis.histogram = _bins([100 * t / len(m) if m else 0.0 for t, m in zip(totals, attempt_marks, strict=True)])
    if not question_ids:
        return analysis

    info = {
        question_id: (key, slug, title, version)
        for question_id, key, slug, title, version in session.execute(
            select(Question.id, Question.key, QuestionBank.slug, QuestionBank.title, QuestionVersion)
            .join(QuestionBank, QuestionBank.id == Question.bank_id)
            .outerjoin(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(Question.id.in_(question_ids))
        )
    }
    ordered = sorted(question_ids, key=lambda q: (info[q][1], info[q][0]))
    for number, question_id in enumerate(ordered, start=1):
        key, slug, title, version = info[question_id]
        data = version.data if version is not None else {}
        kind = str(data.get("type", ""))
        row = ItemRow(
            number=number,
            question_id=question_id,
            key=key,
            bank_slug=slug,
            bank_title=title,
            type=kind,
            prompt=" ".join(plain_text(str(data.get("prompt", ""))).split()),
            versions=tuple(sorted(versions.get(question_id, ()))),
            current_version=version.number if version is not None else None,
            figures=report.items[question_id],
            flagged=report.items[question_id].needs_review and not analysis.small_cohort,
        )
        if kind in ("single", "multiple"):
            options = [
                (str(o["id"]), plain_text(str(o.get("text", ""))), bool(o.get("correct"))) for o in data.get("options", [])
            ]
            given = [(a, t) for a, t in zip(selected, totals, strict=True) if question_id in marks[a]]
            result = stats.distractor_analysis(
                [o[0] for o in options], [responses[a][question_id] for a, _ in given], [t for _, t in given]
            )
            counts = {c.option: c for c in result.options}
            row = replace(
                row,
                distractors=result,
                options=tuple(OptionRow(i, text, correct, counts[i]) for i, text, correct in options),
            )
        analysis.items.append(row)
    return analysis


# --- one question version across every quiz -------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionStats:
    attempts: int
    facility: float | None
    """Mean mark fraction, 0-1."""
    discrimination: float | None
    """Item-rest correlation in percent (Moodle's discrimination index); None below two attempts or no spread."""


def version_statistics(actor: User, version_ids: Sequence[int]) -> dict[int, VersionStats]:
    """Attempts, facility and discrimination of each version, from the items of graded attempts.

    For a question's history page in the banks (which shows them beside each version): versions are not tied to
    one course, so any instructor sees them, as they see the bank. An attempt's total is the sum of its item
    fractions; discrimination correlates this item with the rest of the attempt (total minus item).
    """
    policy.require_instructor(actor)
    if not version_ids:
        return {}
    mine = (
        select(AttemptItem.attempt_id, AttemptItem.question_version_id, AttemptItem.fraction)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(
            AttemptItem.question_version_id.in_(version_ids),
            Attempt.graded_at.is_not(None),
            AttemptItem.fraction.is_not(None),
        )
        .subquery()
    )
    totals = (
        select(AttemptItem.attempt_id, func.sum(func.coalesce(AttemptItem.fraction, 0.0)).label("total"))
        .where(AttemptItem.attempt_id.in_(select(mine.c.attempt_id)))
        .group_by(AttemptItem.attempt_id)
        .subquery()
    )
    rows = session.execute(
        select(mine.c.question_version_id, mine.c.fraction, totals.c.total).join(totals, totals.c.attempt_id == mine.c.attempt_id)
    ).all()
    marks: dict[int, list[tuple[float, float]]] = {}
    for version_id, fraction, total in rows:
        marks.setdefault(version_id, []).append((float(fraction), float(total) - float(fraction)))
    return {version_id: _stats(pairs) for version_id, pairs in marks.items()}


def _stats(pairs: list[tuple[float, float]]) -> VersionStats:
    """Facility and the item-rest correlation, as Moodle's discrimination index (edu.results.stats)."""
    items = stats.item_statistics([{"item": item, "rest": rest} for item, rest in pairs], {"item": 1.0, "rest": 1.0})
    found = items["item"]
    facility = found.facility
    discrimination = found.discrimination_index
    if discrimination is not None and not math.isfinite(discrimination):
        discrimination = None
    return VersionStats(len(pairs), facility, discrimination)
