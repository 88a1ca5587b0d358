"""How a learner's attempts at a quiz make one grade (Moodle's grading methods), and whether it meets the pass mark.

Pure: it reads only the number, score and grading time of each attempt (an Attempt row or any object with those
attributes) and loads neither Flask nor the database. The quiz page, the eligibility rules, gradebooks, regrades
and certificates all use this one definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final, Protocol

GRADING_METHODS: Final[dict[str, str]] = {
    "highest": "your highest score counts",
    "last": "your last attempt counts",
    "first": "your first attempt counts",
    "average": "the average of your attempts counts",
}
"""Each method and the words the quiz page uses for it."""

PASS_MARK_SLACK: Final = 1e-9
"""Lets 7/10 pass a 70 % mark although 0.7 * 100 is 69.99999999999999 in binary floating point."""


class ScoredAttempt(Protocol):
    @property
    def id(self) -> int | None: ...

    @property
    def number(self) -> int: ...

    @property
    def score(self) -> float | None: ...

    @property
    def graded_at(self) -> datetime | None: ...


def grade_by_method(method: str, attempts: Iterable[ScoredAttempt]) -> float | None:
    """The grade (fraction 0..1) of the graded attempts, taken in attempt order, by a grading method; None if none is
    graded yet. An unknown method counts the highest score, Moodle's default."""
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


def meets_pass_mark(score: float | None, pass_mark: int) -> bool:
    """score * 100 >= pass_mark, with a hair of slack so 7/10 passes a 70% mark despite binary rounding."""
    return score is not None and score * 100 + PASS_MARK_SLACK >= pass_mark
