"""Pure graders for the seven question types of courses/README.md ("Per type" table).

Two steps, kept apart on purpose:

* ``normalise_response`` turns whatever a browser form or a JSON autosave posted into one canonical,
  JSON-serialisable shape per type, or None. It is the only place that touches untrusted input, so it never
  raises and rejects anything it does not fully understand (wrong types, unknown ids, oversized values).
* ``grade`` scores a response against the question. It normalises again first (canonical responses are fixed
  points of ``normalise_response``), so a stored response that has gone stale after a content edit grades as
  unanswered instead of crashing a results page.

``key_for`` gives the correct answer in the same canonical shape, for review pages. Every question is worth a
fraction between 0 and 1 (``max_fraction`` is always 1.0); the quiz scales fractions by each slot's mark.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from edu.content.model import (
    MatchingQuestion,
    MultipleQuestion,
    NumericQuestion,
    OrderingQuestion,
    Question,
    ShortAnswerQuestion,
    SingleQuestion,
    TrueFalseQuestion,
)

Response = str | bool | list[str] | dict[str, str]
"""Canonical response: single -> option id; multiple -> sorted distinct ids; true_false -> bool;
matching -> {pair id: answer text}; ordering -> item ids in order; short_answer and numeric -> text."""

State = Literal["correct", "partial", "incorrect", "unanswered"]

MAX_FRACTION: Final = 1.0
SHORT_ANSWER_MAX: Final = 300
"""Longest accepted short answer: the length limit of the accepted answers themselves (ShortText)."""
NUMERIC_MAX: Final = 50
"""Longest accepted numeric entry; no honest number needs more, and it bounds the parsing work."""
MAX_COLLECTION: Final = 64
"""Most elements a list or mapping may have before it is rejected unread (questions have at most 12)."""
MAX_ID: Final = 40
"""Longest option, pair or item id (OptionId in the content model)."""
MAX_ANSWER_TEXT: Final = 20_000
"""Longest matching answer text (Text in the content model)."""
_RELATIVE_EPSILON: Final = 1e-9
"""Numeric slack relative to the magnitudes compared, so binary rounding (0.1 + 0.2) never fails a correct answer."""

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
"""ASCII digits only (Python's float() would also take Arabic-Indic digits and underscores), one decimal
separator, dot or comma, optional exponent."""


@dataclass(frozen=True)
class Grade:
    """The result of grading one response: a fraction of the question's mark, its state and the feedback."""

    fraction: float
    state: State
    feedback: tuple[str, ...] = ()


UNANSWERED: Final = Grade(0.0, "unanswered")


def max_fraction(question: Question) -> float:
    """Every question type scores between 0 and 1; there are no bonus marks or negative totals."""
    return MAX_FRACTION


# --- normalising untrusted input ----------------------------------------------------------------------------------


def _id(raw: object) -> str | None:
    """An id-like string, stripped; None for anything else or anything too long to be an id."""
    if not isinstance(raw, str) or len(raw) > MAX_ID * 4:
        return None
    text = raw.strip()
    return text if 0 < len(text) <= MAX_ID else None


def _id_list(raw: object) -> list[str] | None:
    """A list of ids from a list/tuple (JSON, form getlist) or a single string (one checkbox, form get)."""
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list | tuple) or len(raw) > MAX_COLLECTION:
        return None
    ids = [_id(item) for item in raw]
    if any(i is None for i in ids):
        return None
    return [i for i in ids if i is not None]


def _normalise_single(question: SingleQuestion, raw: object) -> str | None:
    """One known option id; a one-element list (from a form's getlist) is accepted as that id."""
    if isinstance(raw, list | tuple) and len(raw) == 1:
        raw = raw[0]
    option = _id(raw)
    return option if option in {o.id for o in question.options} else None


def _normalise_multiple(question: MultipleQuestion, raw: object) -> list[str] | None:
    """Sorted distinct known option ids; a single unknown id rejects the whole response (it was tampered with)."""
    ids = _id_list(raw)
    known = {o.id for o in question.options}
    if not ids or not set(ids) <= known:
        return None
    return sorted(set(ids))


def _normalise_true_false(question: TrueFalseQuestion, raw: object) -> bool | None:
    """True/False, or the strings "true"/"false" in any case (what a radio button posts)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and len(raw) <= 10:
        return {"true": True, "false": False}.get(raw.strip().lower())
    return None


def _normalise_matching(question: MatchingQuestion, raw: object) -> dict[str, str] | None:
    """{pair id: answer}: unknown pair ids and blank choices are dropped, an answer that is not on offer rejects
    the whole response, and nothing left over means unanswered."""
    if not isinstance(raw, Mapping) or len(raw) > MAX_COLLECTION:
        return None
    pairs = {p.id for p in question.pairs}
    offered = {p.answer for p in question.pairs} | set(question.extra_answers)
    out: dict[str, str] = {}
    for key, value in raw.items():
        pair = _id(key)
        if pair is None or pair not in pairs:
            continue
        if not isinstance(value, str) or len(value) > MAX_ANSWER_TEXT:
            return None
        answer = value.strip()
        if not answer:
            continue
        if answer not in offered:
            return None
        out[pair] = answer
    return dict(sorted(out.items())) or None


def _normalise_ordering(question: OrderingQuestion, raw: object) -> list[str] | None:
    """A permutation of the item ids, as a list or a comma-separated string (a form's hidden input)."""
    if isinstance(raw, str):
        if len(raw) > MAX_COLLECTION * (MAX_ID + 2):
            return None
        raw = raw.split(",")
    ids = _id_list(raw)
    items = [i.id for i in question.items]
    if ids is None or len(ids) != len(items) or set(ids) != set(items):
        return None
    return ids


def _normalise_short_answer(question: ShortAnswerQuestion, raw: object) -> str | None:
    """Trimmed text of at most SHORT_ANSWER_MAX characters, without NUL or other control characters."""
    if not isinstance(raw, str) or len(raw) > SHORT_ANSWER_MAX * 4:
        return None
    text = raw.strip()
    if not text or len(text) > SHORT_ANSWER_MAX:
        return None
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        return None
    return text


def parse_number(text: str, unit: str | None = None) -> float | None:
    """The value of a typed number, or None.

    Accepts a leading sign, a decimal point or a decimal comma ("3,5" is 3.5; "1,000" is therefore 1.0, and
    grouping separators are not supported), an exponent, and the question's unit after the number ("3.5 mm").
    Rejects nan, inf, values that overflow to inf, and anything else.
    """
    text = text.strip()
    if unit and text.lower().endswith(unit.lower()):
        text = text[: -len(unit)].rstrip()
    if len(text) > NUMERIC_MAX or not _NUMBER.fullmatch(text):
        return None
    value = float(text.replace(",", "."))
    return value if math.isfinite(value) else None


def _normalise_numeric(question: NumericQuestion, raw: object) -> str | None:
    """The text as typed, trimmed, if it parses as a finite number; a JSON number is kept as its repr."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        # Compare before converting: math.isfinite and str() both fail on huge ints; abs(nan) > x is False.
        if abs(raw) > 1e300 or (isinstance(raw, float) and not math.isfinite(raw)):
            return None
        raw = repr(raw) if isinstance(raw, float) else str(raw)
    if not isinstance(raw, str) or len(raw) > NUMERIC_MAX * 4:
        return None
    text = raw.strip()
    if len(text) > NUMERIC_MAX or parse_number(text, question.unit) is None:
        return None
    return text


def _normaliser(question: Question) -> Callable[[Any], Response | None]:
    """The per-type normaliser, chosen by the model class, bound to the question."""
    if isinstance(question, SingleQuestion):
        return lambda raw: _normalise_single(question, raw)
    if isinstance(question, MultipleQuestion):
        return lambda raw: _normalise_multiple(question, raw)
    if isinstance(question, TrueFalseQuestion):
        return lambda raw: _normalise_true_false(question, raw)
    if isinstance(question, MatchingQuestion):
        return lambda raw: _normalise_matching(question, raw)
    if isinstance(question, OrderingQuestion):
        return lambda raw: _normalise_ordering(question, raw)
    if isinstance(question, ShortAnswerQuestion):
        return lambda raw: _normalise_short_answer(question, raw)
    if isinstance(question, NumericQuestion):
        return lambda raw: _normalise_numeric(question, raw)
    raise TypeError(f"not a question: {type(question).__name__}")


def normalise_response(question: Question, raw: object) -> Response | None:
    """The canonical response for ``raw``, or None when it is blank or not a valid answer to ``question``.

    Never raises on any input: the checks above reject what they can name, and the final guard turns anything
    unforeseen (an object whose comparison raises, say) into "no answer" rather than a 500 on autosave.
    """
    normalise = _normaliser(question)
    try:
        return normalise(raw)
    except Exception:  # the input is untrusted; a strange object is simply not an answer
        return None


# --- grading ------------------------------------------------------------------------------------------------------


def _graded(fraction: float, feedback: tuple[str, ...]) -> Grade:
    """State from fraction; feedback only when the response was not fully correct."""
    fraction = min(MAX_FRACTION, max(0.0, fraction))
    if fraction >= MAX_FRACTION:
        return Grade(MAX_FRACTION, "correct")
    return Grade(fraction, "partial" if fraction > 0 else "incorrect", feedback)


def _wrong(question: Question) -> tuple[str, ...]:
    return (question.feedback_wrong,) if question.feedback_wrong else ()


def _grade_single(question: SingleQuestion, response: str) -> Grade:
    """All or nothing; a wrong choice gets its own feedback, else the question's feedback_wrong."""
    chosen = next(o for o in question.options if o.id == response)
    if chosen.correct:
        return _graded(1.0, ())
    return _graded(0.0, (chosen.feedback,) if chosen.feedback else _wrong(question))


def _grade_multiple(question: MultipleQuestion, response: list[str]) -> Grade:
    """partial: (correct chosen - wrong chosen) / k, floored at 0, k = number of correct options.
    all_or_nothing: 1 only when exactly the correct options are chosen.

    Feedback: that of every wrong option chosen; when none was chosen but the response still fell short (a
    correct option missed), the question's feedback_wrong.
    """
    chosen = set(response)
    correct = {o.id for o in question.options if o.correct}
    if question.scoring == "all_or_nothing":
        fraction = 1.0 if chosen == correct else 0.0
    else:
        fraction = max(0.0, (len(chosen & correct) - len(chosen - correct)) / len(correct))
    feedback = tuple(o.feedback for o in question.options if o.id in chosen and not o.correct and o.feedback)
    return _graded(fraction, feedback or _wrong(question))


def _grade_true_false(question: TrueFalseQuestion, response: bool) -> Grade:
    """All or nothing."""
    return _graded(1.0 if response is question.answer else 0.0, _wrong(question))


def _grade_matching(question: MatchingQuestion, response: dict[str, str]) -> Grade:
    """Share of pairs matched; a pair left unmatched counts as wrong."""
    right = sum(response.get(p.id) == p.answer for p in question.pairs)
    return _graded(right / len(question.pairs), _wrong(question))


def _grade_ordering(question: OrderingQuestion, response: list[str]) -> Grade:
    """Share of items in their correct position (the items are listed in the correct order)."""
    right = sum(given == item.id for given, item in zip(response, question.items, strict=True))
    return _graded(right / len(question.items), _wrong(question))


def _fold(text: str) -> str:
    """Comparison form of a short answer: Unicode-normalised, case-folded, trimmed, internal whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _grade_short_answer(question: ShortAnswerQuestion, response: str) -> Grade:
    """All or nothing: equal to an accepted answer, ignoring case and runs of whitespace."""
    given = _fold(response)
    return _graded(1.0 if any(_fold(a) == given for a in question.accepted) else 0.0, _wrong(question))


def _within(value: float, answer: float, tolerance: float) -> bool:
    """|value - answer| <= tolerance, with a relative epsilon so "0.4" is within 0.1 of 0.3 as it should be."""
    slack = _RELATIVE_EPSILON * max(abs(value), abs(answer), tolerance)
    return abs(value - answer) <= tolerance + slack


def _grade_numeric(question: NumericQuestion, response: str) -> Grade:
    """All or nothing within the absolute tolerance."""
    value = parse_number(response, question.unit)
    ok = value is not None and _within(value, question.answer, question.tolerance)
    return _graded(1.0 if ok else 0.0, _wrong(question))


def _grade_canonical(question: Question, response: Any) -> Grade:
    """Dispatch on the model class; ``response`` is already in the question type's canonical shape."""
    if isinstance(question, SingleQuestion):
        return _grade_single(question, response)
    if isinstance(question, MultipleQuestion):
        return _grade_multiple(question, response)
    if isinstance(question, TrueFalseQuestion):
        return _grade_true_false(question, response)
    if isinstance(question, MatchingQuestion):
        return _grade_matching(question, response)
    if isinstance(question, OrderingQuestion):
        return _grade_ordering(question, response)
    if isinstance(question, ShortAnswerQuestion):
        return _grade_short_answer(question, response)
    return _grade_numeric(question, response)


def grade(question: Question, response: object) -> Grade:
    """Grade ``response`` (canonical, or raw: it is normalised first) by the rules of courses/README.md.

    No answer, or one that is not valid for this question, is "unanswered" with fraction 0 and no feedback
    (there is nothing to give feedback on).
    """
    canonical = normalise_response(question, response)
    if canonical is None:
        return UNANSWERED
    return _grade_canonical(question, canonical)


def option_feedback(question: Question, response: object) -> tuple[str, ...]:
    """The feedback written for a wrong choice the learner made, for a review that must not give the key away
    (the review part 'option_feedback'): only feedback that tells no more about the key than the mark already does.

    * single: the chosen option's own feedback, when that option is wrong. The mark already says it is wrong; which
      of the others is right stays unsaid as long as the text does not say it (an authoring rule, courses/README.md).
    * true_false: feedback_wrong, when the answer is wrong: the mark already gives the key of a two-way choice.
    * Nothing for the other types. A multiple-answer question's feedback on each wrong option chosen tells which of
      the chosen options were wrong, which a partial mark does not (two retakes could spell out the key); the
      feedback_wrong of matching, ordering, short-answer and numeric questions is commonly the worked answer.
    """
    canonical = normalise_response(question, response)
    if canonical is None:
        return ()
    if isinstance(question, SingleQuestion):
        chosen = next(o for o in question.options if o.id == canonical)
        return (chosen.feedback,) if not chosen.correct and chosen.feedback else ()
    if isinstance(question, TrueFalseQuestion):
        return _wrong(question) if canonical is not question.answer else ()
    return ()


# --- the key ------------------------------------------------------------------------------------------------------


def _key_response(question: Question) -> Response:
    if isinstance(question, SingleQuestion):
        return next(o.id for o in question.options if o.correct)
    if isinstance(question, MultipleQuestion):
        return sorted(o.id for o in question.options if o.correct)
    if isinstance(question, TrueFalseQuestion):
        return question.answer
    if isinstance(question, MatchingQuestion):
        return dict(sorted((p.id, p.answer) for p in question.pairs))
    if isinstance(question, OrderingQuestion):
        return [i.id for i in question.items]
    if isinstance(question, ShortAnswerQuestion):
        return question.accepted[0]
    return repr(question.answer)


def key_for(question: Question) -> dict[str, Any]:
    """The correct answer for a review page: ``response`` in the canonical response shape (grading it gives 1.0),
    plus what a single response cannot show: every accepted short answer, the numeric tolerance and unit."""
    key: dict[str, Any] = {"type": question.type, "response": _key_response(question), "max_fraction": MAX_FRACTION}
    if isinstance(question, ShortAnswerQuestion):
        key["accepted"] = list(question.accepted)
    if isinstance(question, NumericQuestion):
        key["tolerance"] = question.tolerance
        key["unit"] = question.unit
    return key
