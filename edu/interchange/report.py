"""What an import returns, and the rules every importer shares.

An import never raises for bad input. It returns an `ImportResult`: the questions that could be
built (each validated through the canonical model in `edu.content.model`), one `ImportProblem` per
thing that went wrong or was changed on the way in, how many source questions were skipped, and the
categories the source declared.

Problems come in two severities. An *error* means something was not imported (a whole question of
an unsupported type, a question with an invalid grade, a malformed file). A *warning* means the
question was imported but something in it was simplified or dropped (a partial-credit answer, an
embedded image, feedback our model has no field for). Every problem names the 1-based line in the
source and, where known, the question (its name, or the start of its prompt when it has none).

`skipped` counts source questions that were not imported, for whatever reason; category
declarations are not questions and are never counted. So `len(questions) + skipped` is the number
of questions the source contained.

The rest of this module is shared by the GIFT, Moodle XML, Aiken and YAML importers:

Ids. A question's id comes from the source's own id (GIFT `[id:…]`, Moodle `<idnumber>`) when that
is a valid slug; otherwise from its name, slugified; otherwise from the first words of its prompt.
Ids are made unique within one import with -2, -3 suffixes. The original name is kept in `name`.

Metadata tags. Moodle can carry tags but has no fields for our difficulty, objective, references or
all-or-nothing scoring, so the exporters write them as tags with reserved prefixes and the importers
read them back:

    difficulty-easy | difficulty-hard      difficulty (medium, the default, is not written)
    objective-<objective id>               objective
    reference-<reference id>               one per reference
    scoring-all-or-nothing                 a multiple-response question scored all or nothing

Any other tag is slugified into one of ours (lowercase letters, digits, hyphens; at most 40).

Moodle's grades. Moodle accepts only a fixed list of answer grades (100%, 90%, 83.33333%, … 5%,
0% and their negatives); an import with any other grade is refused for that question, exactly as
Moodle refuses it. We also accept ±1/11 and ±1/12, which our exporters need for multiple-response
questions with 11 or 12 correct options (Moodle itself would reject those two).

Choice questions. Moodle grades each answer with a fraction; our model has `single` (one key, all
or nothing) and `multiple` (k keys; each key chosen earns 1/k, each wrong option chosen costs 1/k,
floored at 0). The mapping:

- Moodle "one answer" mode (GIFT with `=`, XML `<single>true`): exactly one answer at 100% gives a
  `single` question; other answers with partial credit become wrong options, with a warning. Two or
  more answers at 100% (Moodle accepts any one of them) give a `multiple` question in which all of
  them must be chosen, with a warning.
- Moodle "multiple answers" mode (GIFT with only `~`, XML `<single>false`): every answer with a
  positive grade is a key of a `multiple` question. A warning is added when the positive grades
  are not an equal split (each 1/k). Negative grades are not kept: our rule (each wrong choice costs
  1/k) replaces them, which is documented here rather than warned about on every question.

Limits. Every importer's work is bounded by its input's size and by these limits, so no file can
hold a worker for long: at most `MAX_QUESTIONS` questions, `MAX_ANSWERS` answers in one question,
`MAX_TAGS` tags on one question (the rest are dropped with a warning), `MAX_CATEGORIES` categories and
`MAX_PROBLEMS` errors. Past the question, category or error limit the importer stops reading and the
file is refused whole: `ImportResult.refused` names the limit and nothing is imported (a view answers
4xx). A question with too many answers is skipped like any other that cannot be imported. Warnings
past `MAX_PROBLEMS` are counted in one last warning rather than listed: they never refuse a file.

Short answer. Only answers worth 100% are accepted (ours are compared case-insensitively). Answers
with partial credit are dropped with a warning; the catch-all `*` answer at 0% gives
`feedback_wrong`. Numerical: the first answer worth 100% gives `answer` and `tolerance`; any other
graded answer is dropped with a warning; `*` gives `feedback_wrong`.

Why one module of this length: it is the single contract every importer and exporter shares (problems, limits,
ids, metadata tags, grade mapping); each format module stays about its own syntax because this one holds the rest.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, ParamSpec

from pydantic import TypeAdapter, ValidationError

from edu.content import model
from edu.slugs import slugify

MAX_IMPORT_BYTES = 10 * 1024 * 1024
"""Largest source any importer reads (10 MiB). Larger input is refused before it is parsed."""

MAX_QUESTIONS = 2_000
"""Most questions one source may hold (a 2 MiB upload of an ordinary bank holds 700 to 1,650); more are refused."""

MAX_ANSWERS = 100
"""Most answers (options, pairs, items, accepted answers, choices) one question may have; the model takes 12 options."""

MAX_TAGS = 100
"""Most tags read from one question; the rest are dropped with a warning."""

MAX_CATEGORIES = 1_000
"""Most distinct categories one source may declare."""

MAX_PROBLEMS = 1_000
"""Most errors one import lists (at the next one the importer stops and refuses the file), and most warnings."""

Severity = Literal["error", "warning"]

QUESTION_ADAPTER: TypeAdapter[model.Question] = TypeAdapter(model.Question)


@dataclass(frozen=True)
class ImportProblem:
    line: int
    """1-based line in the source."""
    question: str | None
    """The question's name, or the start of its prompt; None for file-level problems."""
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.question:
            where += f" ({self.question})"
        return f"{where}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    questions: tuple[model.Question, ...]
    problems: tuple[ImportProblem, ...]
    skipped: int
    categories: tuple[str, ...]
    refused: ImportProblem | None = None
    """Set when the source passed a limit (size, nesting, questions, problems, ...): it was not read to
    the end, `questions` is empty and this problem, also the last of `problems`, says which limit."""

    @property
    def errors(self) -> tuple[ImportProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[ImportProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")


# --- shared helpers --------------------------------------------------------------------------------


class LimitReached(Exception):
    """Raised by `ImportBuilder.refuse`: the importer stops reading; `within_limits` returns `result`."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__(result.refused.message if result.refused else "refused")
        self.result = result


P = ParamSpec("P")


def within_limits(parse: Callable[P, ImportResult]) -> Callable[P, ImportResult]:
    """An importer that returns the refusal when its builder stops at a limit, instead of raising."""

    @functools.wraps(parse)
    def read(*args: P.args, **kwargs: P.kwargs) -> ImportResult:
        try:
            return parse(*args, **kwargs)
        except LimitReached as exc:
            return exc.result

    return read


class Rejected(Exception):
    """Raised by the mapping helpers when a source question cannot be imported at all."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


Notes = list[tuple[int, str]]
"""Warnings gathered while one question is built: (line, message)."""

_TAG_RE = re.compile(r"<[^<>]*>")
_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_TAG_OK_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_OBJECTIVE_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
_HTML_RE = re.compile(r"<(?:[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?|/[A-Za-z][A-Za-z0-9]*\s*)>")

SLUG_MAX = 80
TAG_MAX = 40


def plain(text: str) -> str:
    """Text without HTML tags and entities, whitespace collapsed (for ids and labels only)."""
    return " ".join(html.unescape(_TAG_RE.sub(" ", text)).split())


def looks_like_html(text: str) -> bool:
    return _HTML_RE.search(text) is not None


def id_from_prompt(prompt: str) -> str:
    """The id of a question that comes with neither an id nor a name: the first six words of its prompt (at most 50
    characters), or 'question' when the prompt has no letters or digits. The question editor uses it too, so a
    question typed in the browser gets the id it would get imported."""
    words = slugify(plain(prompt)).split("-")[:6]
    base = slugify("-".join(words), 50)
    return base if len(base) >= 2 else f"question-{base}".strip("-")


def is_slug(text: str) -> bool:
    return len(text) <= SLUG_MAX and _SLUG_RE.match(text) is not None


def label_for(name: str | None, prompt: str) -> str | None:
    """How problems name a question: its name, else the start of its prompt."""
    if name:
        return name
    words = plain(prompt)
    if not words:
        return None
    return words if len(words) <= 60 else words[:57].rstrip() + "..."


def percent(fraction: float) -> str:
    """A fraction as Moodle writes grades: 0.3333333 -> '33.33333', -0.5 -> '-50'."""
    text = f"{fraction * 100:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


MOODLE_GRADES = (
    1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2,
    0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0,
)  # fmt: skip
"""Moodle's fixed answer grades (question_bank::fraction_options); negatives are allowed too."""

_ACCEPTED_GRADES = (*MOODLE_GRADES, 1 / 11, 1 / 12)


def is_moodle_grade(fraction: float) -> bool:
    return any(abs(abs(fraction) - grade) < 1e-5 for grade in _ACCEPTED_GRADES)


def equal_split(k: int) -> float:
    return 1 / k


# --- metadata tags ---------------------------------------------------------------------------------

DIFFICULTY_PREFIX = "difficulty-"
OBJECTIVE_PREFIX = "objective-"
REFERENCE_PREFIX = "reference-"
ALL_OR_NOTHING_TAG = "scoring-all-or-nothing"


def export_tags(question: model.Question) -> list[str]:
    """The question's tags plus the metadata tags described in the module docstring."""
    tags = list(question.tags)
    if question.difficulty != "medium":
        tags.append(DIFFICULTY_PREFIX + question.difficulty)
    if question.objective:
        tags.append(OBJECTIVE_PREFIX + question.objective)
    tags.extend(REFERENCE_PREFIX + ref for ref in question.references)
    if isinstance(question, model.MultipleQuestion) and question.scoring == "all_or_nothing":
        tags.append(ALL_OR_NOTHING_TAG)
    return tags


def fields_from_tags(raw_tags: Iterable[str], qtype: str, line: int, notes: Notes) -> dict[str, Any]:
    """Read tags (and metadata tags) into question fields."""
    tags: list[str] = []
    references: list[str] = []
    out: dict[str, Any] = {}
    raw_tags = list(raw_tags)
    if len(raw_tags) > MAX_TAGS:
        notes.append((line, f"{len(raw_tags) - MAX_TAGS} tag(s) past the first {MAX_TAGS} (the limit) were dropped"))
        raw_tags = raw_tags[:MAX_TAGS]
    for raw in raw_tags:
        text = raw.strip()
        if not text:
            continue
        lowered = text.lower()
        rest = lowered.removeprefix(DIFFICULTY_PREFIX)
        if lowered.startswith(DIFFICULTY_PREFIX) and rest in ("easy", "medium", "hard"):
            out["difficulty"] = rest
            continue
        rest = lowered.removeprefix(OBJECTIVE_PREFIX)
        if lowered.startswith(OBJECTIVE_PREFIX) and len(rest) <= SLUG_MAX and _OBJECTIVE_RE.match(rest):
            out["objective"] = rest
            continue
        rest = lowered.removeprefix(REFERENCE_PREFIX)
        if lowered.startswith(REFERENCE_PREFIX) and is_slug(rest):
            if rest not in references:
                references.append(rest)
            continue
        if lowered == ALL_OR_NOTHING_TAG and qtype == "multiple":
            out["scoring"] = "all_or_nothing"
            continue
        tag = slugify(plain(text), TAG_MAX)
        if not tag or not _TAG_OK_RE.match(tag):
            notes.append((line, f"tag {text!r} has no letters or digits to keep; dropped"))
        elif tag not in tags:
            tags.append(tag)
    if tags:
        out["tags"] = tags
    if references:
        out["references"] = references
    return out


# --- answers and their grades ----------------------------------------------------------------------


@dataclass
class Answer:
    """One graded answer as Moodle formats hold it, before it is mapped onto our model."""

    text: str
    fraction: float
    feedback: str | None
    line: int
    tolerance: str | None = None
    raw_grade: str | None = None


def check_grades(answers: Sequence[Answer]) -> None:
    for answer in answers:
        if not is_moodle_grade(answer.fraction):
            shown = answer.raw_grade if answer.raw_grade is not None else percent(answer.fraction)
            raise Rejected(
                answer.line,
                f"invalid grade {shown}% for answer {short(answer.text)!r}: Moodle accepts only its fixed "
                "grades (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, "
                "16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0 and their negatives)",
            )


def short(text: str, limit: int = 40) -> str:
    words = plain(text) or text
    return words if len(words) <= limit else words[: limit - 3].rstrip() + "..."


def option_id(index: int) -> str:
    return chr(ord("a") + index) if index < 26 else f"o{index + 1}"


def is_full(fraction: float) -> bool:
    return fraction >= 1 - 1e-6


def choice_fields(answers: Sequence[Answer], single_mode: bool, line: int, notes: Notes) -> dict[str, Any]:
    """Map Moodle multiple-choice answers onto `single` or `multiple` (see the module docstring)."""
    check_grades(answers)
    full = [a for a in answers if is_full(a.fraction)]
    positive = [a for a in answers if a.fraction > 1e-9]
    if single_mode:
        if not full:
            raise Rejected(line, "no answer earns full marks, so there is no key")
        if len(full) == 1:
            qtype = "single"
            keys = full
            for a in positive:
                if a is not full[0]:
                    notes.append(
                        (
                            a.line,
                            f"partial credit ({percent(a.fraction)}%) for {short(a.text)!r} is dropped: "
                            "a single-answer question here has one key and every other option is wrong",
                        )
                    )
        else:
            qtype = "multiple"
            keys = positive
            notes.append(
                (
                    line,
                    f"{len(full)} answers earn full marks (Moodle accepts any one of them); imported as a "
                    "multiple-response question in which all of them must be chosen",
                )
            )
    else:
        if not positive:
            raise Rejected(line, "no answer earns any marks, so there is no key")
        qtype = "multiple"
        keys = positive
        k = len(positive)
        if any(abs(a.fraction - equal_split(k)) > 1e-4 for a in positive):
            grades = ", ".join(f"{percent(a.fraction)}%" for a in positive)
            notes.append(
                (
                    line,
                    f"answer grades {grades} are not an equal split: here each of the {k} correct options "
                    f"earns 1/{k} and each wrong option chosen costs 1/{k}",
                )
            )
    key_ids = {id(a) for a in keys}
    options = []
    for i, a in enumerate(answers):
        option: dict[str, Any] = {"id": option_id(i), "text": a.text, "correct": id(a) in key_ids}
        if a.feedback:
            option["feedback"] = a.feedback
        options.append(option)
    fields: dict[str, Any] = {"type": qtype, "options": options}
    return fields


def short_answer_fields(answers: Sequence[Answer], line: int, notes: Notes) -> dict[str, Any]:
    check_grades(answers)
    accepted: list[str] = []
    feedback_wrong: str | None = None
    dropped_feedback = False
    for a in answers:
        if a.text == "*":
            if is_full(a.fraction):
                notes.append((a.line, "a full-mark '*' answer would accept anything; dropped"))
            elif a.fraction <= 1e-9:
                feedback_wrong = a.feedback or feedback_wrong
            else:
                notes.append((a.line, f"partial credit ({percent(a.fraction)}%) for any other answer is dropped"))
            continue
        if is_full(a.fraction):
            if "*" in a.text:
                notes.append((a.line, f"{a.text!r}: '*' wildcards are not supported; the answer is kept literally"))
            if a.text.casefold() not in (x.casefold() for x in accepted):
                accepted.append(a.text)
            dropped_feedback = dropped_feedback or bool(a.feedback)
        elif a.fraction > 1e-9:
            notes.append(
                (
                    a.line,
                    f"partial-credit answer {short(a.text)!r} ({percent(a.fraction)}%) is not accepted: "
                    "only answers worth full marks are kept",
                )
            )
        elif a.feedback:
            notes.append((a.line, f"answer {short(a.text)!r} earns no marks; it and its feedback are not kept"))
    if not accepted:
        raise Rejected(line, "no answer earns full marks")
    if dropped_feedback:
        notes.append((line, "feedback on accepted answers is not kept (the model has none for a right answer)"))
    fields: dict[str, Any] = {"type": "short_answer", "accepted": accepted}
    if feedback_wrong:
        fields["feedback_wrong"] = feedback_wrong
    return fields


_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
"""One way to match each number: the former `\\d+\\.?\\d*` split a run of digits between two groups in
every possible way before failing, so a long run of digits followed by a letter took quadratic time."""


def parse_number(text: str, line: int) -> float:
    cleaned = text.strip()
    if not _NUMBER_RE.match(cleaned):
        raise Rejected(line, f"{text!r} is not a number")
    return float(cleaned)


def tidy(number: float) -> float:
    """Round away binary noise from range arithmetic: (0.1 + 0.3) / 2 -> 0.2, not 0.19999999999999998."""
    return float(f"{number:.12g}")


def numeric_fields(answers: Sequence[Answer], line: int, notes: Notes) -> dict[str, Any]:
    """answers: text is the number, tolerance the absolute tolerance (both still strings)."""
    check_grades(answers)
    chosen: Answer | None = None
    feedback_wrong: str | None = None
    for a in answers:
        if a.text in ("*", ""):
            if a.fraction <= 1e-9:
                feedback_wrong = a.feedback or feedback_wrong
            else:
                notes.append((a.line, "a graded '*' answer would accept anything; dropped"))
            continue
        if chosen is None and is_full(a.fraction):
            chosen = a
            continue
        notes.append(
            (a.line, f"answer {a.text} ({percent(a.fraction)}%) is not kept: only the first full-mark numerical answer is used")
        )
    if chosen is None:
        raise Rejected(line, "no numerical answer earns full marks")
    fields: dict[str, Any] = {"type": "numeric", "answer": parse_number(chosen.text, chosen.line)}
    tolerance = parse_number(chosen.tolerance or "0", chosen.line)
    fields["tolerance"] = abs(tolerance)
    if chosen.feedback:
        notes.append((chosen.line, "feedback on the right answer is not kept (the model has none)"))
    if feedback_wrong:
        fields["feedback_wrong"] = feedback_wrong
    return fields


def number_text(value: float) -> str:
    """A float as short, exact text: 3.0 -> '3', 0.1 -> '0.1'. (Model defaults may be ints: 0.)"""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


# --- building the result ---------------------------------------------------------------------------


def _error_messages(exc: ValidationError) -> list[str]:
    messages = []
    for error in exc.errors():
        loc = [str(p) for p in error["loc"] if not (isinstance(p, str) and p in model.QUESTION_TYPES)]
        text = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing" and loc:
            text = f"missing {loc[-1]!r}"
            loc = loc[:-1]
        messages.append(f"{'.'.join(loc)}: {text}" if loc else text)
    return messages


@dataclass
class ImportBuilder:
    """Collects questions and problems while one source is read; `result()` freezes them."""

    questions: list[model.Question] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    skipped: int = 0
    used_ids: set[str] = field(default_factory=set)
    _next_suffix: dict[str, int] = field(default_factory=dict)
    _pending_suffix: tuple[str, int] = ("", 2)
    _sources: int = 0
    _category_names: set[str] = field(default_factory=set)
    _errors: int = 0
    _warnings: int = 0
    _unlisted: tuple[int, int] = (0, 0)
    """Warnings past MAX_PROBLEMS: how many, and the line of the first."""

    def refuse(self, line: int, message: str) -> NoReturn:
        """Stop reading: raise LimitReached with a result that imports nothing and says why (see `within_limits`)."""
        refused = ImportProblem(line, None, message)
        raise LimitReached(
            ImportResult(
                questions=(),
                problems=(*self._listed(), refused),
                skipped=self.skipped + len(self.questions),
                categories=tuple(self.categories),
                refused=refused,
            )
        )

    def problem(self, line: int, question: str | None, message: str, severity: Severity = "error") -> None:
        """Record a problem. Past MAX_PROBLEMS errors the file is refused; warnings past MAX_PROBLEMS are only counted."""
        if severity == "warning":
            self._warnings += 1
            if self._warnings > MAX_PROBLEMS:
                count, first = self._unlisted
                self._unlisted = (count + 1, first or line)
                return
        else:
            self._errors += 1
            if self._errors > MAX_PROBLEMS:
                self.refuse(
                    line,
                    f"more than {MAX_PROBLEMS:,} errors (the limit is {MAX_PROBLEMS:,}): the file was not read past "
                    f"line {line} and nothing was imported. Fix the errors listed and import it again",
                )
        self.problems.append(ImportProblem(line, question, message, severity))

    def _listed(self) -> tuple[ImportProblem, ...]:
        count, first = self._unlisted
        if not count:
            return tuple(self.problems)
        summary = f"{count:,} more warning(s) from this line on are not listed (the first {MAX_PROBLEMS:,} are)"
        return (*self.problems, ImportProblem(first, None, summary, "warning"))

    def warn(self, line: int, question: str | None, message: str) -> None:
        self.problem(line, question, message, "warning")

    def source_question(self, line: int) -> None:
        """Count one question of the source; refuse the file past MAX_QUESTIONS."""
        self._sources += 1
        if self._sources > MAX_QUESTIONS:
            self.refuse(line, too_many_questions())

    def skip(self, line: int, question: str | None, message: str) -> None:
        self.source_question(line)
        self.problem(line, question, message)
        self.skipped += 1

    def category(self, name: str, line: int = 1) -> None:
        name = name.strip()
        if name and name not in self._category_names:
            if len(self.categories) >= MAX_CATEGORIES:
                self.refuse(
                    line, f"more than {MAX_CATEGORIES:,} categories (the limit is {MAX_CATEGORIES:,}); nothing was imported"
                )
            self.categories.append(name)
            self._category_names.add(name)

    def _new_id(self, idnumber: str | None, name: str | None, prompt: str, line: int, label: str | None) -> str:
        base = ""
        if idnumber and is_slug(idnumber):
            base = idnumber
        if not base and name:
            base = slugify(plain(name))
        if not base:
            base = id_from_prompt(prompt)
        elif len(base) < 2 or not _SLUG_RE.match(base):
            base = f"question-{base}".strip("-")
        candidate = base
        n = self._next_suffix.get(base, 2)  # remembered, so many same-named questions stay linear
        while candidate in self.used_ids:
            suffix = f"-{n}"
            candidate = base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
            n += 1
        self._pending_suffix = (base, n)
        if idnumber and is_slug(idnumber) and candidate != idnumber:
            self.warn(line, label, f"id {idnumber!r} is already used in this file; this question gets {candidate!r}")
        elif idnumber and not is_slug(idnumber):
            self.warn(
                line,
                label,
                f"id {idnumber!r} is not a valid id (lowercase letters, digits and hyphens); using {candidate!r}",
            )
        return candidate

    def add(
        self,
        fields: dict[str, Any],
        *,
        line: int,
        label: str | None,
        notes: Notes,
        idnumber: str | None = None,
    ) -> model.Question | None:
        """Validate one question; on failure record its problems and count it as skipped."""
        self.source_question(line)
        prompt = str(fields.get("prompt") or "")
        name = fields.get("name")
        if isinstance(name, str) and len(name) > 300:
            notes.append((line, "name is longer than 300 characters; shortened"))
            fields["name"] = name[:297].rstrip() + "..."
        qid = self._new_id(idnumber, name if isinstance(name, str) else None, prompt, line, label)
        data = {"id": qid, **fields}
        try:
            question = QUESTION_ADAPTER.validate_python(data)
        except ValidationError as exc:
            for message in _error_messages(exc):
                self.problem(line, label, message)
            self.skipped += 1
            return None
        self.used_ids.add(qid)
        base, n = self._pending_suffix
        if qid != base:
            self._next_suffix[base] = n
        for note_line, message in sorted(notes, key=lambda note: note[0]):
            self.warn(note_line, label, message)
        self.questions.append(question)
        return question

    def reject(self, exc: Rejected, label: str | None) -> None:
        self.skip(exc.line, label, exc.message)

    def result(self) -> ImportResult:
        return ImportResult(
            questions=tuple(self.questions),
            problems=self._listed(),
            skipped=self.skipped,
            categories=tuple(self.categories),
        )


def too_many_questions() -> str:
    return (
        f"the file holds more than {MAX_QUESTIONS:,} questions (the limit is {MAX_QUESTIONS:,}); nothing was imported. "
        "Split it into smaller files"
    )


def too_many_answers(line: int, what: str = "answers") -> Rejected:
    return Rejected(line, f"the question has more than {MAX_ANSWERS} {what} (the limit is {MAX_ANSWERS})")


def too_large(size: int, what: str = "file") -> str:
    return f"{what} is {size / (1024 * 1024):.1f} MiB; the limit is {MAX_IMPORT_BYTES // (1024 * 1024)} MiB, so it was not read"
