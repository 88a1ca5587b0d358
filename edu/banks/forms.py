"""Forms for the instructor's bank pages, and the mapping between the question editor and the model.

The editor is one form for every question type. WTForms parses and bounds the input; the canonical
pydantic model (edu.content.model) decides what is valid, and `place_problems` puts each of its
problems next to the field it concerns. Option, pair and item rows are fixed-size lists with a few
blank rows to fill in, so the editor works without JavaScript; blank rows are ignored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from edu.content import model
from edu.interchange.report import id_from_prompt

from .import_export import IMPORT_FORMATS
from .services import TYPE_LABELS, FieldProblem

MAX_ROWS = 12
"""The model allows at most 12 options, pairs or items."""
BLANK_ROWS = 2
MIN_ROWS = 4


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class BankForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired(message="Enter a title for the bank."), Length(max=300)],
        filters=[_strip],
        description="The bank's id is made from the title; it is used in addresses and exports.",
    )


class OptionForm(Form):
    id = StringField("Id", validators=[Optional(), Length(max=40)], filters=[_strip])
    text = TextAreaField("Text", validators=[Length(max=20_000)], filters=[_strip])
    correct = BooleanField("Correct")
    feedback = TextAreaField("Feedback if chosen", validators=[Length(max=20_000)], filters=[_strip])


class PairForm(Form):
    id = StringField("Id", validators=[Optional(), Length(max=40)], filters=[_strip])
    prompt = TextAreaField("Prompt", validators=[Length(max=20_000)], filters=[_strip])
    answer = TextAreaField("Matching answer", validators=[Length(max=20_000)], filters=[_strip])


class ItemForm(Form):
    id = StringField("Id", validators=[Optional(), Length(max=40)], filters=[_strip])
    text = TextAreaField("Text", validators=[Length(max=20_000)], filters=[_strip])


_long = [Length(max=20_000)]


class QuestionForm(FlaskForm):
    key = StringField(
        "Question id",
        validators=[Length(max=80)],
        filters=[_strip],
        description="Lowercase letters, digits and hyphens. Leave blank to make one from the prompt. It cannot change later.",
    )
    type = SelectField("Question type", choices=[SelectChoice(v, label) for v, label in TYPE_LABELS.items()], default="single")
    name = StringField("Name (optional)", validators=[Length(max=300)], filters=[_strip])
    prompt = TextAreaField(
        "Prompt", validators=_long, filters=[_strip], description="Markdown: **bold**, *italic*, lists, tables."
    )
    objective = StringField(
        "Objective id (optional)", validators=[Length(max=80)], filters=[_strip], description="For example needling.safety."
    )
    difficulty = SelectField(
        "Difficulty",
        choices=[SelectChoice("easy", "Easy"), SelectChoice("medium", "Medium"), SelectChoice("hard", "Hard")],
        default="medium",
    )
    tags = StringField(
        "Tags (optional)",
        validators=[Length(max=1000)],
        filters=[_strip],
        description="Separated by commas or spaces, e.g. safety, scope.",
    )
    references = StringField(
        "Reference ids (optional)", validators=[Length(max=1000)], filters=[_strip], description="Separated by commas or spaces."
    )
    rationale = TextAreaField(
        "Rationale (optional)", validators=_long, filters=[_strip], description="Why the key is right; shown after grading."
    )
    feedback_wrong = TextAreaField("Feedback for a wrong answer (optional)", validators=_long, filters=[_strip])
    scoring = RadioField(
        "Scoring",
        choices=[
            SelectChoice("partial", "Partial credit: each correct option chosen earns 1/k, each wrong one costs 1/k"),
            SelectChoice("all_or_nothing", "All or nothing"),
        ],
        default="partial",
        validate_choice=False,
    )
    options = FieldList(FormField(OptionForm), max_entries=MAX_ROWS)
    answer_tf = RadioField(
        "The statement is", choices=[SelectChoice("true", "True"), SelectChoice("false", "False")], validate_choice=False
    )
    pairs = FieldList(FormField(PairForm), max_entries=MAX_ROWS)
    extra_answers = TextAreaField(
        "Extra answers (distractors, optional)", validators=_long, filters=[_strip], description="One per line."
    )
    items = FieldList(FormField(ItemForm), max_entries=MAX_ROWS)
    accepted = TextAreaField(
        "Accepted answers",
        validators=_long,
        filters=[_strip],
        description="One per line; compared ignoring case and surrounding spaces.",
    )
    numeric_answer = StringField("Answer", validators=[Length(max=50)], filters=[_strip])
    tolerance = StringField(
        "Tolerance (±, optional)", validators=[Length(max=50)], filters=[_strip], description="Absolute; 0 if blank."
    )
    unit = StringField("Unit (optional)", validators=[Length(max=300)], filters=[_strip])


class ImportForm(FlaskForm):
    file = FileField("File to import")
    format = SelectField(
        "Format",
        choices=[SelectChoice("auto", "Detect from the file"), *(SelectChoice(v, label) for v, label in IMPORT_FORMATS.items())],
        default="auto",
    )


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    partial = BooleanField()
    """Sent by the report's "Import 9 and skip 1" button: the instructor saw what is skipped and chose to go on."""


# --- form <-> question dict -----------------------------------------------------------------------------

TYPE_SECTIONS = {
    "choice": ("single", "multiple"),
    "scoring": ("multiple",),
    "true_false": ("true_false",),
    "matching": ("matching",),
    "ordering": ("ordering",),
    "short_answer": ("short_answer",),
    "numeric": ("numeric",),
    "feedback_wrong": ("true_false", "matching", "ordering", "short_answer", "numeric"),
}
"""Which parts of the editor each type uses (the page hides the others)."""


def pad_rows(form: QuestionForm) -> None:
    """Give every row list a few blank rows to fill in, up to the model's maximum."""
    for rows in (form.options, form.pairs, form.items):
        want = min(MAX_ROWS, max(MIN_ROWS, len(rows.entries) + BLANK_ROWS))
        while len(rows.entries) < want:
            rows.append_entry()


def _words(text: str | None) -> list[str]:
    return [w for w in re.split(r"[,\s]+", text or "") if w]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _next_id(used: set[str], prefix: str) -> str:
    n = 1
    while True:
        candidate = chr(ord("a") + n - 1) if prefix == "" and n <= 26 else f"{prefix or 'o'}{n}"
        if candidate not in used:
            used.add(candidate)
            return candidate
        n += 1


@dataclass
class Draft:
    """The question dict built from the editor, and where each part of it came from on the form."""

    data: dict[str, Any]
    rows: dict[str, list[int]]
    """For options, pairs and items: the form row of each entry in data."""
    problems: list[FieldProblem]
    """Problems found before the model sees the data (numbers that are not numbers)."""


def form_to_data(form: QuestionForm) -> Draft:
    qtype = form.type.data if form.type.data in model.QUESTION_TYPES else "single"
    data: dict[str, Any] = {"id": form.key.data or id_from_prompt(form.prompt.data or ""), "type": qtype}
    problems: list[FieldProblem] = []
    rows: dict[str, list[int]] = {}
    if form.name.data:
        data["name"] = form.name.data
    if form.objective.data:
        data["objective"] = form.objective.data
    data["difficulty"] = form.difficulty.data or "medium"
    data["tags"] = _words(form.tags.data)
    data["prompt"] = form.prompt.data or ""
    if form.rationale.data:
        data["rationale"] = form.rationale.data
    data["references"] = _words(form.references.data)
    if qtype in TYPE_SECTIONS["feedback_wrong"] and form.feedback_wrong.data:
        data["feedback_wrong"] = form.feedback_wrong.data
    if qtype in ("single", "multiple"):
        used = {e.form.id.data for e in form.options.entries if e.form.id.data}
        options, rows["options"] = [], []
        for index, entry in enumerate(form.options.entries):
            sub = entry.form
            if not (sub.text.data or sub.feedback.data or sub.correct.data or sub.id.data):
                continue
            option: dict[str, Any] = {
                "id": sub.id.data or _next_id(used, ""),
                "text": sub.text.data or "",
                "correct": bool(sub.correct.data),
            }
            if sub.feedback.data:
                option["feedback"] = sub.feedback.data
            options.append(option)
            rows["options"].append(index)
        data["options"] = options
        if qtype == "multiple":
            data["scoring"] = form.scoring.data or "partial"
    elif qtype == "true_false":
        if form.answer_tf.data in ("true", "false"):
            data["answer"] = form.answer_tf.data == "true"
    elif qtype == "matching":
        used = {e.form.id.data for e in form.pairs.entries if e.form.id.data}
        pairs, rows["pairs"] = [], []
        for index, entry in enumerate(form.pairs.entries):
            sub = entry.form
            if not (sub.prompt.data or sub.answer.data or sub.id.data):
                continue
            pairs.append(
                {"id": sub.id.data or _next_id(used, "p"), "prompt": sub.prompt.data or "", "answer": sub.answer.data or ""}
            )
            rows["pairs"].append(index)
        data["pairs"] = pairs
        data["extra_answers"] = _lines(form.extra_answers.data)
    elif qtype == "ordering":
        used = {e.form.id.data for e in form.items.entries if e.form.id.data}
        items, rows["items"] = [], []
        for index, entry in enumerate(form.items.entries):
            sub = entry.form
            if not (sub.text.data or sub.id.data):
                continue
            items.append({"id": sub.id.data or _next_id(used, "i"), "text": sub.text.data or ""})
            rows["items"].append(index)
        data["items"] = items
    elif qtype == "short_answer":
        data["accepted"] = _lines(form.accepted.data)
    else:
        for name, field_name, required in (("answer", "numeric_answer", True), ("tolerance", "tolerance", False)):
            raw = getattr(form, field_name).data
            if not raw:
                if required:
                    problems.append(FieldProblem((name,), "Enter the answer, a number such as 2.5."))
                continue
            try:
                number = float(raw.replace(",", ".")) if re.fullmatch(r"[+-]?[0-9.,eE+-]+", raw) else math.nan
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                problems.append(FieldProblem((name,), "Enter a number, such as 2.5."))
            else:
                data[name] = number
        if form.unit.data:
            data["unit"] = form.unit.data
    return Draft(data, rows, problems)


def data_to_form(form: QuestionForm, data: dict[str, Any]) -> None:
    """Fill the editor from a stored question."""
    form.key.data = data.get("id", "")
    form.type.data = data.get("type", "single")
    form.name.data = data.get("name") or ""
    form.prompt.data = data.get("prompt", "")
    form.objective.data = data.get("objective") or ""
    form.difficulty.data = data.get("difficulty", "medium")
    form.tags.data = ", ".join(data.get("tags") or ())
    form.references.data = ", ".join(data.get("references") or ())
    form.rationale.data = data.get("rationale") or ""
    form.feedback_wrong.data = data.get("feedback_wrong") or ""
    form.scoring.data = data.get("scoring", "partial")
    for option in data.get("options") or ():
        form.options.append_entry(
            {
                "id": option["id"],
                "text": option["text"],
                "correct": option.get("correct", False),
                "feedback": option.get("feedback") or "",
            }
        )
    if "answer" in data and data.get("type") == "true_false":
        form.answer_tf.data = "true" if data["answer"] else "false"
    for pair in data.get("pairs") or ():
        form.pairs.append_entry(dict(pair))
    form.extra_answers.data = "\n".join(data.get("extra_answers") or ())
    for item in data.get("items") or ():
        form.items.append_entry(dict(item))
    form.accepted.data = "\n".join(data.get("accepted") or ())
    if data.get("type") == "numeric":
        form.numeric_answer.data = _number(data.get("answer"))
        form.tolerance.data = _number(data.get("tolerance")) if data.get("tolerance") else ""
        form.unit.data = data.get("unit") or ""


def _number(value: Any) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


_DIRECT = {
    "id": "key",
    "name": "name",
    "prompt": "prompt",
    "objective": "objective",
    "difficulty": "difficulty",
    "tags": "tags",
    "references": "references",
    "rationale": "rationale",
    "feedback_wrong": "feedback_wrong",
    "scoring": "scoring",
    "extra_answers": "extra_answers",
    "accepted": "accepted",
    "tolerance": "tolerance",
    "unit": "unit",
}
_ROW_LISTS = {"options", "pairs", "items"}


def field_id(problem: FieldProblem, draft: Draft) -> str | None:
    """The id of the editor field a problem belongs to, or None for the question as a whole."""
    path = problem.path
    if not path:
        return None
    head = path[0]
    if head in _ROW_LISTS:
        if len(path) >= 3 and isinstance(path[1], int):
            rows = draft.rows.get(str(head), [])
            row = rows[path[1]] if path[1] < len(rows) else path[1]
            return f"{head}-{row}-{path[2]}"
        return f"{head}-section"
    if head == "answer":
        return "answer_tf" if draft.data.get("type") == "true_false" else "numeric_answer"
    if head == "type":
        return "type"
    return _DIRECT.get(str(head))


def place_problems(
    problems: list[FieldProblem], draft: Draft, labels: dict[str, str]
) -> tuple[dict[str, list[str]], list[tuple[str | None, str]]]:
    """(errors by field id, summary lines as (field id or None, message)) for the editor page."""
    by_field: dict[str, list[str]] = {}
    summary: list[tuple[str | None, str]] = []
    for problem in problems:
        target = field_id(problem, draft)
        if target is None:
            summary.append((None, problem.message))
            continue
        by_field.setdefault(target, []).append(problem.message)
        summary.append((target, f"{_label(target, labels)}: {problem.message}"))
    return by_field, summary


def _label(target: str, labels: dict[str, str]) -> str:
    match = re.fullmatch(r"(options|pairs|items)-(\d+)-(\w+)", target)
    if match:
        what = {"options": "Option", "pairs": "Pair", "items": "Item"}[match.group(1)]
        part = {"text": "text", "feedback": "feedback", "id": "id", "prompt": "prompt", "answer": "answer", "correct": "correct"}
        return f"{what} {int(match.group(2)) + 1} {part.get(match.group(3), match.group(3))}"
    if target.endswith("-section"):
        return {"options-section": "Options", "pairs-section": "Pairs", "items-section": "Items"}.get(target, target)
    return labels.get(target, target)
