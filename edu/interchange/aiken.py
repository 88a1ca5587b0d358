"""Aiken, the simplest Moodle format: single-answer multiple choice only.

    What is the capital of France?
    A) Lyon
    B. Paris
    ANSWER: B

Import follows Moodle's reader (question/format/aiken/format.php): the question text is one line;
each choice line starts with a capital letter and `)` or `.`; `ANSWER: X` names the key by position
(A is the first choice) and ends the question. Lines shorter than two characters are ignored.
Problems are reported where Moodle reports them: a choice or ANSWER line outside a question ("not
started"), an ANSWER after fewer than two choices (at the ANSWER line), an ANSWER letter that names
no choice, and a question left without an ANSWER when the next question starts (at the line where
the next one starts) or at the end of the file. Questions that cannot be imported count in `skipped`.
The reader works line by line without recursion; a question with more than `MAX_ANSWERS` choices is
skipped, and the other limits are those of `edu.interchange.report`.

Texts are kept as written (Moodle escapes them as HTML; we do not, since our texts are not HTML by
default). Aiken has no names, feedback or ids: ids come from the prompt's first words.

Export writes `single` questions only, one line per text (new lines become spaces); every other type
is left out, as Moodle's own Aiken export does. See `aiken_limitation`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from edu.content import model

from .report import MAX_ANSWERS, MAX_IMPORT_BYTES, ImportBuilder, ImportResult, Notes, label_for, too_large, within_limits

MAX_AIKEN_CHARS = MAX_IMPORT_BYTES
"""Largest Aiken text read (characters)."""

_CHOICE = re.compile(r"^[A-Z][).]")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_TRIM = " \t\n\r\0\x0b"


@dataclass
class _Open:
    text: str
    line: int
    choices: list[str] = field(default_factory=list)
    extra_choices: int = 0

    @property
    def label(self) -> str | None:
        return label_for(None, self.text)


@within_limits
def parse_aiken(text: str) -> ImportResult:
    """Read Aiken text into single-answer questions; problems carry their lines, nothing is raised."""
    builder = ImportBuilder()
    if len(text) > MAX_AIKEN_CHARS:
        builder.refuse(1, too_large(len(text.encode("utf-8", "surrogatepass")), "Aiken text"))
    current: _Open | None = None
    for number, raw in enumerate(_LINE_SPLIT.split(text.removeprefix("\ufeff")), start=1):
        line = raw.strip(_TRIM)
        if len(line) < 2:
            continue
        if _CHOICE.match(line):
            if current is None:
                builder.problem(number, None, "question not started: a choice line before any question text")
                continue
            if len(current.choices) < MAX_ANSWERS:
                current.choices.append(line[2:].strip(_TRIM))
            else:
                current.extra_choices += 1
        elif line.startswith("ANSWER:"):
            if current is None:
                builder.problem(number, None, "question not started: an ANSWER line before any question text")
                continue
            _finish(builder, current, line, number)
            current = None
        else:
            if current is not None:
                builder.skip(
                    number,
                    current.label,
                    f"question not completed before the next question starts: the question on line "
                    f"{current.line} has no ANSWER line",
                )
            current = _Open(line, number)
    if current is not None:
        builder.skip(current.line, current.label, "question not completed: no ANSWER line before the end of the file")
    return builder.result()


def _finish(builder: ImportBuilder, question: _Open, answer_line: str, number: int) -> None:
    if question.extra_choices:
        builder.skip(
            number,
            question.label,
            f"the question has more than {MAX_ANSWERS} choices (the limit is {MAX_ANSWERS})",
        )
        return
    if len(question.choices) < 2:
        builder.skip(number, question.label, "a question must have at least 2 answers")
        return
    letter = answer_line[len("ANSWER:") :].strip(_TRIM)[:1]
    key = ord(letter) - ord("A") if letter else -1
    if not 0 <= key < len(question.choices):
        builder.skip(
            number,
            question.label,
            f"ANSWER {letter or '(nothing)'!r} does not name one of the {len(question.choices)} choices",
        )
        return
    options = [
        {"id": chr(ord("a") + i) if i < 26 else f"o{i + 1}", "text": choice, "correct": i == key}
        for i, choice in enumerate(question.choices)
    ]
    notes: Notes = []
    builder.add(
        {"type": "single", "prompt": question.text, "options": options},
        line=question.line,
        label=question.label,
        notes=notes,
    )


def _one_line(text: str) -> str:
    return " ".join(text.replace("\r", "\n").split("\n")).strip()


def aiken_limitation(question: model.Question) -> str | None:
    """Why a question cannot be written as Aiken, or None if it can."""
    if not isinstance(question, model.SingleQuestion):
        return f"Aiken holds single-answer multiple choice only, not {question.type}"
    prompt = _one_line(question.prompt)
    if len(prompt) < 2 or _CHOICE.match(prompt) or prompt.startswith("ANSWER:"):
        return "the prompt would be read as a choice or an ANSWER line"
    if len(question.options) > 26:
        return "Aiken has letters for 26 choices only"
    return None


def write_aiken(questions: Iterable[model.Question]) -> str:
    """Single-answer questions as Aiken text; other questions are left out (see `aiken_limitation`)."""
    blocks = []
    for question in questions:
        if aiken_limitation(question) is not None or not isinstance(question, model.SingleQuestion):
            continue
        lines = [_one_line(question.prompt)]
        key = "A"
        for i, option in enumerate(question.options):
            letter = chr(ord("A") + i)
            lines.append(f"{letter}) {_one_line(option.text)}")
            if option.correct:
                key = letter
        lines.append(f"ANSWER: {key}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
