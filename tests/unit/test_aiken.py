"""Aiken import and export, checked against Moodle's fixtures and its own test's expectations."""

from __future__ import annotations

from edu.content import model
from edu.interchange.aiken import aiken_limitation, parse_aiken, write_aiken
from tests.shared_data import shared_path
from tests.unit.test_gift import every_type


def aiken_fixture(name: str) -> str:
    return shared_path("fixtures", "moodle", "question", "format", "aiken", "tests", "fixtures", name).read_text(encoding="utf-8")


def test_aiken_errors_fixture_reports_moodles_problems_at_moodles_lines() -> None:
    result = parse_aiken(aiken_fixture("aiken_errors.txt"))
    assert [(p.line, p.question) for p in result.problems] == [
        (3, "A question with too few answers"),
        (5, None),
        (7, None),
        (18, "A question started but not finished"),
    ]
    assert "at least 2 answers" in result.problems[0].message
    assert result.problems[1].message.startswith("question not started")
    assert result.problems[2].message.startswith("question not started")
    assert result.problems[3].message.startswith("question not completed before the next question starts")
    assert "line 14" in result.problems[3].message
    assert all(p.severity == "error" for p in result.problems)
    assert result.skipped == 2
    good, second = result.questions
    assert isinstance(good, model.SingleQuestion) and isinstance(second, model.SingleQuestion)
    assert good.prompt == "A good question"
    assert [(o.text, o.correct) for o in good.options] == [("Correct", True), ("Incorrect", False)]
    assert second.prompt == "A second good question"
    assert [(o.text, o.correct) for o in second.options] == [("Incorrect (No space)", False), ("Correct (No space)", True)]


def test_questions_aiken_fixture() -> None:
    result = parse_aiken(aiken_fixture("questions.aiken.txt"))
    assert (result.problems, result.skipped) == ((), 0)
    first, second = result.questions
    assert isinstance(first, model.SingleQuestion) and isinstance(second, model.SingleQuestion)
    assert first.prompt == "The Moodle project was started by:"
    assert [o.text for o in first.options if o.correct] == ["Martin Dougiamas"]
    assert len(first.options) == 4
    assert first.id == "the-moodle-project-was-started-by" and first.name is None
    assert second.prompt == 'Moodle\'s abilities include handling user input that includes <html class="cool"> & images:'
    assert [(o.text, o.correct) for o in second.options] == [("True", True), ("False", False)]


def test_answer_letter_out_of_range_and_unfinished_last_question() -> None:
    result = parse_aiken("Q one\nA) a\nB) b\nANSWER: C\n\nQ two\nA. x\nB. y\n")
    assert result.questions == ()
    assert [(p.line, p.message) for p in result.problems] == [
        (4, "ANSWER 'C' does not name one of the 2 choices"),
        (6, "question not completed: no ANSWER line before the end of the file"),
    ]
    assert result.skipped == 2


def test_crlf_and_period_labels() -> None:
    [q] = parse_aiken("Which?\r\nA. one\r\nB. two\r\nANSWER: A\r\n").questions
    assert isinstance(q, model.SingleQuestion)
    assert [(o.text, o.correct) for o in q.options] == [("one", True), ("two", False)]


def test_write_aiken_round_trips_single_questions_and_leaves_out_the_rest() -> None:
    questions = every_type()
    text = write_aiken(questions)
    result = parse_aiken(text)
    singles = [q for q in questions if isinstance(q, model.SingleQuestion)]
    assert len(result.questions) == len(singles) == 1
    [back], [original] = result.questions, singles
    assert isinstance(back, model.SingleQuestion)
    assert back.prompt == original.prompt.replace("\n", " ")
    assert [(o.text, o.correct) for o in back.options] == [(o.text, o.correct) for o in original.options]
    assert text.splitlines()[-1] == "ANSWER: A"
    assert all(aiken_limitation(q) for q in questions if not isinstance(q, model.SingleQuestion))


def test_a_prompt_that_reads_as_a_choice_cannot_be_written() -> None:
    [single] = [q for q in every_type() if isinstance(q, model.SingleQuestion)]
    tricky = single.model_copy(update={"prompt": "A) trick"})
    assert aiken_limitation(tricky) == "the prompt would be read as a choice or an ANSWER line"
    assert write_aiken([tricky]) == ""
