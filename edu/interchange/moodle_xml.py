"""Moodle XML question files: import and export.

Import is safe by construction. The size is checked before anything is parsed (`MAX_XML_BYTES`), and
the parser is defusedxml's, with DTDs, entity declarations and external references forbidden: a
"billion laughs" or external-entity document is refused with one problem, never expanded or
fetched. Malformed XML gives one problem at the parser's line. Line numbers of `<question>` elements
come from the expat parser as each start tag is read, and so do two limits checked while the file is
read, before the tree is complete: elements nested more than `MAX_XML_DEPTH` deep (a Moodle file
nests six) or more than `MAX_XML_ELEMENTS` elements refuse the file at that line. The other limits
(questions, answers per question, tags, problems) are those of `edu.interchange.report`.

Per question type (Moodle's `type` attribute):

- `multichoice`: `<single>` chooses Moodle's one-answer or multiple-answer mode; answer fractions map
  onto `single`/`multiple` as described in `edu.interchange.report`; answer feedback is kept per
  option; `<incorrectfeedback>` becomes `feedback_wrong`.
- `truefalse`: the answer whose fraction is 100 is the key; the wrong answer's feedback becomes
  `feedback_wrong` (the right answer's feedback is dropped with a warning).
- `shortanswer`: answers at 100% are accepted; partial ones dropped with a warning; `*` gives
  `feedback_wrong`. `<usecase>1</usecase>` (case-sensitive) is warned about: ours is case-insensitive.
- `numerical`: the first 100% answer with its `<tolerance>`; the unit with multiplier 1 becomes
  `unit` (other units are dropped with a warning).
- `matching`: each `<subquestion>` is a pair; one with empty text is an extra answer.
- `ordering`: answers in document order (as Moodle imports them); a random subset or a grading
  other than absolute position is warned about. `<incorrectfeedback>` gives `feedback_wrong`.
- `category` entries are collected in `ImportResult.categories`.
- Anything else (essay, cloze/multianswer, description, calculated, drag and drop, …) is one error
  problem with the `<question>` line, and counts in `skipped`.

Every question: `<name>` → `name`, `<questiontext>` → `prompt` (kept as written, usually HTML),
`<generalfeedback>` → `rationale`, `<idnumber>` → `id` when it is a valid slug (else a warning and a
generated id), `<tags>` → `tags` plus the metadata tags (difficulty, objective, references,
all-or-nothing scoring) described in `edu.interchange.report`. Embedded files (`<file>`, and the old
`<image_base64>`) are not imported: one warning per question lists them. Grades outside Moodle's
fixed list reject the question, as Moodle does (error_invalid_grades.xml).

Export writes every field of our model. Texts that contain HTML are written with format "html",
others with "moodle_auto_format". `id` → `<idnumber>` (and `<name>` when the question has no name;
reading such a file back gives the name None again), `feedback_wrong` → the wrong true/false
answer's feedback, a `*` answer for short answer and numerical, and `<incorrectfeedback>` (plus
`<partiallycorrectfeedback>` where partial credit exists) for the others. Multiple response is
written with fractions +1/k and -1/k, our grading rule in Moodle's terms. Characters XML 1.0 cannot
hold (control characters other than tab and new line) are removed.

Why one module of this length: import and export of one format are kept side by side, type by type, so a
round trip can be read (and reviewed) in one place; the shared rules already live in `edu.interchange.report`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # building and serialising only; parsing uses defusedxml
from collections.abc import Callable, Iterable
from typing import Any

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from edu.content import model

from .report import (
    MAX_ANSWERS,
    MAX_IMPORT_BYTES,
    Answer,
    ImportBuilder,
    ImportResult,
    Notes,
    Rejected,
    choice_fields,
    export_tags,
    fields_from_tags,
    is_slug,
    label_for,
    looks_like_html,
    number_text,
    numeric_fields,
    percent,
    short_answer_fields,
    too_large,
    too_many_answers,
    within_limits,
)

MAX_XML_BYTES = MAX_IMPORT_BYTES
"""Largest Moodle XML file read (10 MiB); checked before parsing."""

MAX_XML_DEPTH = 32
"""Deepest element nesting read; Moodle's files nest six deep (quiz/question/answer/feedback/text)."""

MAX_XML_ELEMENTS = 200_000
"""Most elements read from one file; a 2 MiB Moodle export holds about 34,000."""

HTML_FORMAT = "html"
TEXT_FORMAT = "moodle_auto_format"

_DIGITS = re.compile(r"[0-9]+")
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class _Refused(Exception):
    """The file is refused whole (a DTD, entities, a limit): nothing in it is imported."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Malformed(_Refused):
    """Not well-formed XML: reported as a problem at the parser's line."""


class _LineTarget:
    """An ElementTree builder that remembers the source line of every element's start tag and stops
    the parser (by raising from expat's callback) at the first element past a limit."""

    def __init__(self) -> None:
        self.builder = ET.TreeBuilder()
        self.lines: dict[int, int] = {}
        self.expat: Any = None
        self.depth = 0
        self.elements = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        line = self.expat.CurrentLineNumber
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_XML_DEPTH:
            raise _Refused(line, f"refused: elements are nested more than {MAX_XML_DEPTH} deep (the limit is {MAX_XML_DEPTH})")
        if self.elements > MAX_XML_ELEMENTS:
            raise _Refused(
                line,
                f"refused: the file has more than {MAX_XML_ELEMENTS:,} elements (the limit is {MAX_XML_ELEMENTS:,}). "
                "Split it into smaller files",
            )
        element = self.builder.start(tag, attrs)
        self.lines[id(element)] = line
        return element

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> ET.Element:
        return self.builder.close()


def _parse(data: bytes) -> tuple[ET.Element, dict[int, int]]:
    target = _LineTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    target.expat = parser.parser

    def line() -> int:
        return int(getattr(target.expat, "CurrentLineNumber", 1) or 1)

    try:
        parser.feed(data)
        root = parser.close()
    except DTDForbidden:
        raise _Refused(
            line(),
            "refused: the file declares a DTD (<!DOCTYPE …>). Question files never need one, and a DTD can "
            "define entities that expand to gigabytes or read other files, so none is accepted",
        ) from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise _Refused(line(), "refused: the file declares or references XML entities, which are not accepted") from None
    except ParseError as exc:
        position = getattr(exc, "position", (1, 0))
        raise _Malformed(position[0] or 1, f"malformed XML: {exc}") from None
    return root, target.lines


@within_limits
def parse_moodle_xml(data: bytes) -> ImportResult:
    """Read a Moodle XML question file; every problem is reported with its line, nothing is raised."""
    builder = ImportBuilder()
    if len(data) > MAX_XML_BYTES:
        builder.refuse(1, too_large(len(data)))
    try:
        root, lines = _parse(data)
    except _Malformed as exc:
        builder.problem(exc.line, None, exc.message)
        return builder.result()
    except _Refused as exc:
        builder.refuse(exc.line, exc.message)
    if root.tag != "quiz":
        message = f"not a Moodle XML question file: the root element is <{root.tag}>, not <quiz>"
        builder.problem(lines.get(id(root), 1), None, message)
        return builder.result()
    for element in root:
        if element.tag != "question":
            continue
        _read_question(builder, element, lines)
    return builder.result()


# --- reading ---------------------------------------------------------------------------------------


def _text_of(element: ET.Element | None) -> str:
    """The text of <x><text>…</text></x> (or of <x> itself in very old files), stripped."""
    if element is None:
        return ""
    inner = element.find("text")
    if inner is not None:
        return (inner.text or "").strip()
    return (element.text or "").strip()


def _rich(parent: ET.Element, tag: str) -> str:
    return _text_of(parent.find(tag))


def _flag(parent: ET.Element, tag: str, default: bool) -> bool:
    node = parent.find(tag)
    if node is None or not (node.text or "").strip():
        return default
    return (node.text or "").strip().lower() in ("1", "true", "yes")


def _answers(question: ET.Element, lines: dict[int, int], qline: int) -> list[Answer]:
    answers = []
    nodes = question.findall("answer")
    if len(nodes) > MAX_ANSWERS:
        raise too_many_answers(qline)
    for node in nodes:
        line = lines.get(id(node), qline)
        raw = (node.get("fraction") or "0").strip()
        try:
            fraction = float(raw) / 100
        except ValueError:
            raise Rejected(line, f"answer fraction {raw!r} is not a number") from None
        tolerance = node.find("tolerance")
        answers.append(
            Answer(
                text=_text_of(node),
                fraction=fraction,
                feedback=_rich(node, "feedback") or None,
                line=line,
                tolerance=(tolerance.text or "").strip() if tolerance is not None else None,
                raw_grade=raw,
            )
        )
    return answers


def _embedded_files(question: ET.Element) -> list[str]:
    names = [node.get("name") or "(unnamed)" for node in question.iter("file")]
    for node in question.iter("image_base64"):
        if (node.text or "").strip():
            names.append((question.findtext("image") or "").strip() or "(old-style image)")
    return names


def _read_question(builder: ImportBuilder, question: ET.Element, lines: dict[int, int]) -> None:
    qline = lines.get(id(question), 1)
    qtype = (question.get("type") or "").strip()
    if qtype == "category":
        builder.category(_rich(question, "category"), qline)
        return
    name = _rich(question, "name") or None
    prompt = _rich(question, "questiontext")
    label = label_for(name, prompt)
    reader = _READERS.get(qtype)
    if reader is None:
        builder.skip(qline, label, f"unsupported question type: {qtype or '(none)'}")
        return
    idnumber = (question.findtext("idnumber") or "").strip() or None
    if name and idnumber and name == idnumber and is_slug(idnumber):
        name = None  # our exporter writes the id as the name of an unnamed question
    notes: Notes = []
    try:
        fields = reader(question, lines, qline, notes)
    except Rejected as exc:
        builder.reject(exc, label)
        return
    fields["prompt"] = prompt
    if name:
        fields["name"] = name
    rationale = _rich(question, "generalfeedback")
    if rationale:
        fields["rationale"] = rationale
    raw_tags = [_text_of(tag) for tag in question.findall("tags/tag")]
    fields.update(fields_from_tags(raw_tags, str(fields["type"]), qline, notes))
    files = _embedded_files(question)
    if files:
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        notes.append((qline, f"embedded files are not imported ({shown}); references to them in the text will not work"))
    builder.add(fields, line=qline, label=label, notes=notes, idnumber=idnumber)


def _incorrect_feedback(question: ET.Element) -> dict[str, str]:
    text = _rich(question, "incorrectfeedback") or _rich(question, "partiallycorrectfeedback")
    return {"feedback_wrong": text} if text else {}


def _multichoice(question: ET.Element, lines: dict[int, int], qline: int, notes: Notes) -> dict[str, Any]:
    answers = [a for a in _answers(question, lines, qline) if a.text]  # Moodle ignores blank answers
    if len(answers) < 2:
        raise Rejected(qline, "a multiple-choice question needs at least two answers")
    fields = choice_fields(answers, _flag(question, "single", True), qline, notes)
    fields.update(_incorrect_feedback(question))
    return fields


def _truefalse(question: ET.Element, lines: dict[int, int], qline: int, notes: Notes) -> dict[str, Any]:
    correct: bool | None = None
    feedback: dict[bool, str | None] = {True: None, False: None}
    for index, answer in enumerate(_answers(question, lines, qline)):
        text = answer.text.lower()
        value = text == "true" if text in ("true", "false") else index == 0  # old files: true, then false
        feedback[value] = answer.feedback
        full = abs(answer.fraction - 1) < 1e-6
        correct = full if value else not full  # as Moodle reads it: the last answer decides
    if correct is None:
        raise Rejected(qline, "a true/false question needs its true and false answers")
    fields: dict[str, Any] = {"type": "true_false", "answer": correct}
    if feedback[not correct]:
        fields["feedback_wrong"] = feedback[not correct]
    if feedback[correct]:
        notes.append((qline, "feedback for the right answer is not kept (the model has none)"))
    return fields


def _shortanswer(question: ET.Element, lines: dict[int, int], qline: int, notes: Notes) -> dict[str, Any]:
    if _flag(question, "usecase", False):
        notes.append((qline, "answers were case-sensitive in Moodle (usecase=1); here they are compared case-insensitively"))
    answers = [a for a in _answers(question, lines, qline) if a.text]
    return short_answer_fields(answers, qline, notes)


def _numerical(question: ET.Element, lines: dict[int, int], qline: int, notes: Notes) -> dict[str, Any]:
    fields = numeric_fields(_answers(question, lines, qline), qline, notes)
    unit: str | None = None
    others: list[str] = []
    units = question.findall("units/unit")
    if len(units) > MAX_ANSWERS:
        raise too_many_answers(qline, "units")
    for node in units:
        unit_name = (node.findtext("unit_name") or "").strip()
        try:
            multiplier = float((node.findtext("multiplier") or "1").strip())
        except ValueError:
            multiplier = 0.0
        if not unit_name:
            continue
        if unit is None and abs(multiplier - 1) < 1e-12:
            unit = unit_name
        else:
            others.append(unit_name)
    if unit:
        fields["unit"] = unit
    if others:
        notes.append((qline, f"alternative units are not kept: {', '.join(others)}"))
    return fields


def _matching(question: ET.Element, lines: dict[int, int], qline: int, notes: Notes) -> dict[str, Any]:
    pairs: list[dict[str, str]] = []
    extra: list[str] = []
    subquestions = question.findall("subquestion")
    if len(subquestions) > MAX_ANSWERS:
        raise too_many_answers(qline, "subquestions")
    for node in subquestions:
        text = _text_of(node)
        answer = _rich(node, "answer")
        if not answer:
            continue  # Moodle ignores blank subquestions
        if text:
            pairs.append({"id": f"p{len(pairs) + 1}", "prompt": text, "answer": answer})
        else:
            extra.append(answer)
    fields: dict[str, Any] = {"type": "matching", "pairs": pairs}
    if extra:
        fields["extra_answers"] = extra
    fields.update(_incorrect_feedback(question))
    return fields


def _ordering(question: ET.Element, lines: dict[int, int], qline: int, notes: Notes) -> dict[str, Any]:
    items = [{"id": f"i{i + 1}", "text": a.text} for i, a in enumerate(a for a in _answers(question, lines, qline) if a.text)]
    select = (question.findtext("selecttype") or "").strip().upper() or "RANDOM"
    count_text = (question.findtext("selectcount") or "").strip()
    digits = count_text.lstrip("0") or "0"
    # ASCII digits only (isdigit() takes '²', which int() refuses), and no more than int() converts.
    count = (int(digits) if len(digits) <= 9 else 10**9) if _DIGITS.fullmatch(count_text) else 6
    if select not in ("ALL", "EXACT") and 0 < count < len(items):
        notes.append((qline, f"Moodle shows a random subset of {count} items; here all {len(items)} are used"))
    grading = (question.findtext("gradingtype") or "").strip().upper()
    if grading not in ("ABSOLUTE_POSITION", "ABSOLUTE", "ABS"):
        how = grading or "RELATIVE_NEXT_EXCLUDE_LAST (the default)"
        notes.append((qline, f"grading {how} is replaced by ours: the share of items in the right position"))
    fields: dict[str, Any] = {"type": "ordering", "items": items}
    fields.update(_incorrect_feedback(question))
    return fields


_Reader = Callable[[ET.Element, dict[int, int], int, Notes], dict[str, Any]]

_READERS: dict[str, _Reader] = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _shortanswer,
    "numerical": _numerical,
    "matching": _matching,
    "ordering": _ordering,
}


# --- writing ---------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return _INVALID_XML_CHARS.sub("", text.replace("\r\n", "\n"))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = _clean(text)
    return node


def _format(text: str) -> str:
    return HTML_FORMAT if looks_like_html(text) else TEXT_FORMAT


def _rich_element(parent: ET.Element, tag: str, text: str | None, with_format: bool = True) -> ET.Element:
    attrs = {"format": _format(text or "")} if with_format else {}
    node = _sub(parent, tag, **attrs)
    _sub(node, "text", text or "")
    return node


def _answer(parent: ET.Element, fraction: float, text: str, feedback: str | None, tolerance: float | None = None) -> None:
    node = _sub(parent, "answer", fraction=percent(fraction), format=_format(text))
    _sub(node, "text", text)
    if tolerance is not None:
        _sub(node, "tolerance", number_text(tolerance))
    _rich_element(node, "feedback", feedback)


def _combined_feedback(node: ET.Element, feedback_wrong: str | None, partial: bool) -> None:
    _rich_element(node, "correctfeedback", None)
    _rich_element(node, "partiallycorrectfeedback", feedback_wrong if partial else None)
    _rich_element(node, "incorrectfeedback", feedback_wrong)


_XML_TYPES = {
    "single": "multichoice",
    "multiple": "multichoice",
    "true_false": "truefalse",
    "short_answer": "shortanswer",
    "numeric": "numerical",
    "matching": "matching",
    "ordering": "ordering",
}


def _write_question(quiz: ET.Element, q: model.Question) -> None:
    node = _sub(quiz, "question", type=_XML_TYPES[q.type])
    _rich_element(node, "name", q.name or q.id, with_format=False)
    _rich_element(node, "questiontext", q.prompt)
    _rich_element(node, "generalfeedback", q.rationale)
    _sub(node, "defaultgrade", "1")
    _sub(node, "penalty", "1" if isinstance(q, model.TrueFalseQuestion) else "0.3333333")
    _sub(node, "hidden", "0")
    _sub(node, "idnumber", q.id)
    if isinstance(q, model.SingleQuestion | model.MultipleQuestion):
        single = isinstance(q, model.SingleQuestion)
        _sub(node, "single", "true" if single else "false")
        _sub(node, "shuffleanswers", "true")
        _sub(node, "answernumbering", "abc")
        _combined_feedback(node, q.feedback_wrong, partial=not single)
        k = sum(o.correct for o in q.options)
        for option in q.options:
            fraction = (1.0 if option.correct else 0.0) if single else (1 / k if option.correct else -1 / k)
            _answer(node, fraction, option.text, option.feedback)
    elif isinstance(q, model.TrueFalseQuestion):
        for value in (True, False):
            right = value == q.answer
            _answer(node, 1.0 if right else 0.0, "true" if value else "false", None if right else q.feedback_wrong)
    elif isinstance(q, model.ShortAnswerQuestion):
        _sub(node, "usecase", "0")
        for accepted in q.accepted:
            _answer(node, 1.0, accepted, None)
        if q.feedback_wrong:
            _answer(node, 0.0, "*", q.feedback_wrong)
    elif isinstance(q, model.NumericQuestion):
        _answer(node, 1.0, number_text(q.answer), None, tolerance=q.tolerance)
        if q.feedback_wrong:
            _answer(node, 0.0, "*", q.feedback_wrong, tolerance=0.0)
        if q.unit:
            unit = _sub(_sub(node, "units"), "unit")
            _sub(unit, "multiplier", "1")
            _sub(unit, "unit_name", q.unit)
        _sub(node, "unitgradingtype", "0")
        _sub(node, "unitpenalty", "0.1000000")
        _sub(node, "showunits", "0" if q.unit else "3")
        _sub(node, "unitsleft", "0")
    elif isinstance(q, model.MatchingQuestion):
        _sub(node, "shuffleanswers", "true")
        _combined_feedback(node, q.feedback_wrong, partial=True)
        for pair in q.pairs:
            sub = _rich_element(node, "subquestion", pair.prompt)
            _rich_element(sub, "answer", pair.answer, with_format=False)
        for extra in q.extra_answers:
            sub = _rich_element(node, "subquestion", "")
            _rich_element(sub, "answer", extra, with_format=False)
    else:  # OrderingQuestion
        _sub(node, "layouttype", "VERTICAL")
        _sub(node, "selecttype", "ALL")
        _sub(node, "selectcount", "0")
        _sub(node, "gradingtype", "ABSOLUTE_POSITION")
        _sub(node, "showgrading", "SHOW")
        _sub(node, "numberingstyle", "none")
        _combined_feedback(node, q.feedback_wrong, partial=True)
        for position, item in enumerate(q.items, start=1):
            answer = _sub(node, "answer", fraction=str(position), format=_format(item.text))
            _sub(answer, "text", item.text)
    tags = export_tags(q)
    if tags:
        holder = _sub(node, "tags")
        for tag in tags:
            _rich_element(holder, "tag", tag, with_format=False)


def write_moodle_xml(questions: Iterable[model.Question], category: str | None = None) -> bytes:
    """Questions as a Moodle XML file (UTF-8), optionally preceded by a category entry."""
    quiz = ET.Element("quiz")
    if category:
        entry = _sub(quiz, "question", type="category")
        _rich_element(entry, "category", category, with_format=False)
    for question in questions:
        _write_question(quiz, question)
    ET.indent(quiz, space="  ")
    body = ET.tostring(quiz, encoding="unicode", short_empty_elements=False)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")
