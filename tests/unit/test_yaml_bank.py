"""YAML banks: written exactly in the courses/ format, read back, and loadable by the course loader."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from edu.content import load_course, model
from edu.content.yamlsource import load
from edu.interchange.gift import parse_gift
from edu.interchange.moodle_xml import parse_moodle_xml
from edu.interchange.yaml_bank import parse_yaml_bank, write_yaml_bank
from tests.shared_data import shared_path
from tests.unit.test_gift import every_type

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "courses" / "mini"


def test_every_type_round_trips_through_yaml_keeping_every_field() -> None:
    questions = every_type()
    text = write_yaml_bank("dry-needling-basics", "Dry needling: basics", questions)
    result = parse_yaml_bank(text)
    assert result.problems == ()
    assert list(result.questions) == questions
    assert result.categories == ("Dry needling: basics",)
    # The loader's own schema reads it too.
    bank = model.BankFile.model_validate(load(text).data)
    assert list(bank.questions) == questions
    assert bank.bank == model.BankHeader(id="dry-needling-basics", title="Dry needling: basics")


def test_output_reads_like_the_readme_example() -> None:
    text = write_yaml_bank("b-1", "Bank", every_type())
    assert text.startswith("bank: {id: b-1, title: Bank}\nquestions:\n  - id: ltr-single\n    type: single\n")
    assert "    tags: [safety, mechanism]\n" in text
    assert "      - {id: a, text: A local twitch response, correct: true, feedback: 'Yes: that''s it.'}\n" in text
    assert "    rationale: |-\n      An LTR is local; a spasm is not.\n      Second paragraph.\n" in text
    assert "    answer: 2.5\n    tolerance: 0.25\n    unit: cm\n" in text
    assert "    difficulty: medium\n" in text  # written even though it is the default
    assert "correct: false" not in text and "scoring: partial" not in text  # other defaults are not


def test_saved_bank_loads_back_through_the_course_loader(tmp_path: Path) -> None:
    course = tmp_path / "mini"
    shutil.copytree(MINI, course)
    first = load_course(course)
    assert first.problems == [] and first.course is not None
    bank = first.course.modules[0].bank
    assert bank is not None
    (course / "modules/basics/questions.yaml").write_text(write_yaml_bank(bank.id, bank.title, bank.questions))
    again = load_course(course)
    assert again.problems == []
    assert again.course is not None and again.course.modules[0].bank is not None
    assert again.course.modules[0].bank.questions == bank.questions


def test_imported_moodle_banks_can_be_saved_as_yaml_and_read_back() -> None:
    gift = parse_gift(
        shared_path("fixtures", "moodle", "question", "format", "gift", "tests", "fixtures", "questions.gift.txt").read_text()
    )
    xml = parse_moodle_xml(
        shared_path("fixtures", "moodle", "question", "format", "xml", "tests", "fixtures", "truefalse.xml").read_bytes()
    )
    for imported in (gift, xml):
        text = write_yaml_bank("imported", "Imported", imported.questions)
        assert parse_yaml_bank(text).questions == imported.questions


@pytest.mark.parametrize("value", ["yes", "no", "null", "~", "3", "1e3", "true", "- dash", "a: b", "#hash", "'quote", '"dq', "@at", "%p", "*star", "&amp", "!bang", "{x}", "[y]", "tab\there", "trailing space \nline", "ünïcödé ✓"])  # fmt: skip
def test_awkward_strings_survive(value: str) -> None:
    [base] = [q for q in every_type() if q.id == "ltr-true"]
    question = base.model_copy(update={"prompt": f"{value} end", "name": value, "tags": ()})
    question = model.TrueFalseQuestion.model_validate(question.model_dump())
    result = parse_yaml_bank(write_yaml_bank("b-1", "Bank", [question]))
    assert result.questions == (question,)


def test_write_rejects_invalid_headers_and_empty_banks() -> None:
    with pytest.raises(ValidationError):
        write_yaml_bank("Not A Slug", "Bank", every_type())
    with pytest.raises(ValueError, match="at least one question"):
        write_yaml_bank("b-1", "Bank", [])


BANK = """\
bank: {id: b-1, title: Bank}
questions:
  - id: good
    type: true_false
    prompt: Fine.
    answer: true
  - id: bad
    type: single
    prompt: No key.
    options:
      - {id: a, text: One}
      - {id: b, text: Two}
  - id: good
    type: true_false
    prompt: Same id.
    answer: false
  - id: typo
    type: true_false
    prompt: Unknown key.
    answr: true
"""


def test_parse_reports_each_bad_question_with_its_line_and_keeps_the_rest() -> None:
    result = parse_yaml_bank(BANK)
    assert [q.id for q in result.questions] == ["good"]
    assert result.skipped == 3
    problems = [(p.line, p.question, p.message) for p in result.problems]
    assert problems[0] == (7, "bad", "a single-best-answer question needs exactly one correct option, found 0")
    assert problems[1] == (13, "good", "question id 'good' is used twice")
    assert (20, "typo", "answr: Extra inputs are not permitted") in problems


def test_parse_refuses_aliases_and_reports_yaml_errors_and_duplicates() -> None:
    aliased = "bank: &b {id: b-1, title: Bank}\nquestions:\n  - *b\n"
    [problem] = parse_yaml_bank(aliased).problems
    assert (problem.line, problem.message) == (3, "YAML aliases (*name) are not allowed in a question bank")
    [broken] = parse_yaml_bank("bank: {id: b-1, title: Bank}\nquestions: [unclosed\n").problems
    assert broken.line == 3 and broken.message.startswith("invalid YAML")
    duplicated = BANK.replace("    prompt: Fine.\n", "    prompt: Fine.\n    prompt: Again.\n")
    assert (6, None, "duplicate key 'prompt'") in [(p.line, p.question, p.message) for p in parse_yaml_bank(duplicated).problems]
    extra = parse_yaml_bank("bank: {id: b-1, title: Bank}\nextra: 1\nquestions: []\n")
    assert [(p.line, p.message) for p in extra.problems] == [
        (2, "unknown key 'extra'"),
        (3, "'questions' must be a list of at least one question"),
    ]


def test_parse_oversized_text_is_refused() -> None:
    result = parse_yaml_bank("#" * (10 * 1024 * 1024 + 1))
    assert "limit is 10 MiB" in result.problems[0].message


def test_written_yaml_has_no_tags_anchors_or_aliases_even_for_shared_values() -> None:
    [base] = [q for q in every_type() if q.id == "ltr-multiple"]
    twins = [base, base.model_copy(update={"id": "twin"})]  # the same option tuples, twice
    text = write_yaml_bank("b-1", "Bank", twins)
    events = list(yaml.parse(text))
    assert not [e for e in events if isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None)]
    assert "!!" not in text
    assert parse_yaml_bank(text).questions == tuple(twins)


def test_the_shipped_banks_round_trip_with_their_enemies_and_waivers() -> None:
    """A course bank exported to YAML and read back keeps `excludes` and `waive`, so nothing an editor declared is lost."""
    course = load_course(Path(__file__).resolve().parents[2] / "courses" / "dry-needling").course
    assert course is not None
    questions = [q for _m, q in course.questions()]
    assert any(q.excludes for q in questions)
    result = parse_yaml_bank(write_yaml_bank("all", "All", questions))
    assert result.problems == ()
    assert list(result.questions) == questions
