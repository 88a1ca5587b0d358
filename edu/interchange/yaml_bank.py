"""Question banks in the courses/ YAML format (courses/README.md), written and read.

`write_yaml_bank` produces exactly the format the course loader reads (`model.BankFile`): a
`bank: {id, title}` header and the questions, every field of every question (values equal to the
model's defaults are left out, except `difficulty`, which authors expect to see). Keys come in the
order of the README example; short options, pairs and items are written in flow style
(`- {id: a, text: Right, correct: true}`) and multi-line texts as literal blocks, so an imported bank
saved this way reads like a hand-written one and loads back into equal questions.

`parse_yaml_bank` reads such a file with the same YAML reader as the loader (safe node types,
duplicate keys reported, every problem with its line) and validates each question on its own, so
one bad question is reported and skipped rather than losing the bank. It checks what any question
needs (the model), not the course-authoring rules the loader adds (objective, rationale, references,
feedback), and reports duplicate question ids. YAML aliases (`*name`) are refused: they are never
needed in a bank and can make a small file expand enormously. Input past the reader's limits (nesting
deeper than `yamlsource.MAX_DEPTH`, more than `yamlsource.MAX_NODES` values) is refused with one
problem at the line where the limit was passed, before anything is built (see `edu.content.yamlsource`).
`categories` holds the bank's title.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import ValidationError

from edu.content import model
from edu.content.yamlsource import YamlError, YamlRefused, load

from .report import (
    MAX_IMPORT_BYTES,
    MAX_QUESTIONS,
    QUESTION_ADAPTER,
    ImportBuilder,
    ImportResult,
    label_for,
    too_large,
    too_many_questions,
    within_limits,
)

_HEAD = ("id", "type", "name", "objective", "difficulty", "tags", "prompt")
_BODY = {
    "single": ("options",),
    "multiple": ("scoring", "options"),
    "true_false": ("answer",),
    "matching": ("pairs", "extra_answers"),
    "ordering": ("items",),
    "short_answer": ("accepted",),
    "numeric": ("answer", "tolerance", "unit"),
}
_TAIL = ("feedback_wrong", "rationale", "references")
_FLOW_LIMIT = 100


class _Flow(dict[str, Any]):
    """A mapping written in flow style: {id: a, text: Right}."""


class _FlowList(list[Any]):
    """A list written in flow style: [a, b]."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # indent lists under their key, as courses/README.md does

    def ignore_aliases(self, data: Any) -> bool:
        return True  # never write anchors or aliases: parse_yaml_bank refuses them


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


def _represent_flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _entry(item: dict[str, Any]) -> dict[str, Any]:
    """Options, pairs and items: flow style when short and on one line."""
    values = [str(v) for v in item.values()]
    if all("\n" not in v for v in values) and sum(len(v) + 8 for v in values) <= _FLOW_LIMIT:
        return _Flow(item)
    return item


def _question(question: model.Question) -> dict[str, Any]:
    data = question.model_dump(exclude_defaults=True)
    data["difficulty"] = question.difficulty
    keys = [*_HEAD, *_BODY[question.type], *_TAIL]
    keys += [k for k in data if k not in keys]  # anything a later model adds is still written
    out: dict[str, Any] = {}
    for key in keys:
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, tuple | list):
            if value and isinstance(value[0], dict):
                value = [_entry(dict(v)) for v in value]
            elif all(isinstance(v, str) and "\n" not in v for v in value):
                value = _FlowList(value) if sum(len(v) + 2 for v in value) <= _FLOW_LIMIT else list(value)
            else:
                value = list(value)
        out[key] = _number(value)
    return out


def write_yaml_bank(bank_id: str, title: str, questions: Iterable[model.Question]) -> str:
    """A bank file the course loader reads. Raises ValueError for an invalid id or title, or no questions."""
    header = model.BankHeader(id=bank_id, title=title)
    items = [_question(q) for q in questions]
    if not items:
        raise ValueError("a bank needs at least one question")
    document = {"bank": _Flow({"id": header.id, "title": header.title}), "questions": items}
    text: str = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text


@within_limits
def parse_yaml_bank(text: str) -> ImportResult:
    """Read a bank file into questions; every problem is reported with its line, nothing is raised."""
    builder = ImportBuilder()
    if len(text) > MAX_IMPORT_BYTES:
        builder.refuse(1, too_large(len(text.encode("utf-8", "surrogatepass")), "YAML text"))
    try:
        located = load(text, refuse_aliases_in="a question bank")
    except YamlRefused as exc:
        builder.refuse(exc.line, exc.message)
    except YamlError as exc:
        builder.problem(exc.line, None, exc.message)
        return builder.result()
    for line, message in located.duplicates:
        builder.problem(line, None, message)
    data = located.data
    if not isinstance(data, dict):
        builder.problem(1, None, "expected a mapping with 'bank' and 'questions' at the top")
        return builder.result()
    for key in data:
        if key not in ("bank", "questions"):
            builder.problem(located.line_for((key,)), None, f"unknown key {key!r}")
    try:
        header = model.BankHeader.model_validate(data.get("bank"))
        builder.category(header.title)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            builder.problem(located.line_for(("bank", *error["loc"])), None, f"bank{'.' + where if where else ''}: {message}")
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        builder.problem(located.line_for(("questions",)), None, "'questions' must be a list of at least one question")
        return builder.result()
    if len(questions) > MAX_QUESTIONS:
        builder.refuse(located.line_for(("questions", MAX_QUESTIONS)), too_many_questions())
    for index, raw in enumerate(questions):
        path = ("questions", index)
        line = located.line_for(path)
        label = None
        if isinstance(raw, dict):
            label = label_for(str(raw.get("name") or raw.get("id") or "") or None, str(raw.get("prompt") or ""))
        try:
            question = QUESTION_ADAPTER.validate_python(raw)
        except ValidationError as exc:
            for error in exc.errors():
                loc = [p for p in error["loc"] if not (isinstance(p, str) and p in model.QUESTION_TYPES)]
                where = ".".join(str(p) for p in loc)
                message = str(error["msg"]).removeprefix("Value error, ")
                if error["type"] == "union_tag_invalid":
                    message = f"unknown question type; expected one of: {', '.join(model.QUESTION_TYPES)}"
                builder.problem(located.line_for((*path, *loc)), label, f"{where}: {message}" if where else message)
            builder.skipped += 1
            continue
        if question.id in builder.used_ids:
            builder.skip(located.line_for((*path, "id")), label, f"question id {question.id!r} is used twice")
            continue
        builder.used_ids.add(question.id)
        builder.questions.append(question)
    return builder.result()
