"""Moodle XML import and export: Moodle's fixtures, hostile input, mapping rules, round trips."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from edu.content import model
from edu.interchange import moodle_xml
from edu.interchange.gift import parse_gift, write_gift
from edu.interchange.moodle_xml import MAX_XML_BYTES, parse_moodle_xml, write_moodle_xml
from edu.interchange.report import ImportResult
from tests.shared_data import shared_path
from tests.unit.test_gift import GIFT_CANNOT_CARRY, every_type, without

FIXTURES = ("fixtures", "moodle", "question", "format", "xml", "tests", "fixtures")
ALL_FIXTURES = (
    "broken_cloze_questions.xml",
    "categories_reverse_order.xml",
    "category_with_description.xml",
    "deprecated_category.xml",
    "error_invalid_grades.xml",
    "export_category.xml",
    "html_chars_in_idnumbers.xml",
    "multianswer.xml",
    "multichoice.xml",
    "nested_categories.xml",
    "nested_categories_with_questions.xml",
    "old_format_file.xml",
    "sample_questions_with_old_image_tag.xml",
    "truefalse.xml",
)


def fixture_path(name: str) -> Path:
    return shared_path(*FIXTURES, name)


def load(name: str) -> ImportResult:
    return parse_moodle_xml(fixture_path(name).read_bytes())


def lines_with(name: str, needle: str) -> list[int]:
    text = fixture_path(name).read_text(encoding="utf-8")
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line]


def quiz(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{body}\n</quiz>\n'.encode()


# --- Moodle's fixtures -----------------------------------------------------------------------------


def test_multichoice_fixture() -> None:
    result = load("multichoice.xml")
    assert result.categories == ("$course$/Default for testhead/Multichoice",)
    assert (len(result.questions), result.skipped, result.errors) == (1, 0, ())
    q = result.questions[0]
    assert isinstance(q, model.SingleQuestion)
    assert (q.id, q.name) == ("greeting", "Greeting")
    assert "What language is being spoken?" in q.prompt
    assert [o.correct for o in q.options] == [False, True, False, False]
    assert ["English" in o.text for o in q.options] == [True, False, False, False]
    assert "French" in q.options[1].text
    assert q.options[1].feedback == "<p>Yes, well done!</p>"
    assert {o.feedback for o in q.options if not o.correct} == {"<p>Sorry, listen again.</p>"}
    # The five embedded files (an mp3 and four flags) give one warning for the question.
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert (warning.line, warning.question) == (12, "Greeting")
    assert "bonjour.mp3" in warning.message and "flag-denmark.jpg" in warning.message


def test_truefalse_fixture() -> None:
    result = load("truefalse.xml")
    assert result.categories == ("$course$/Default for testhead/TrueFalse",)
    assert [(q.id, q.type) for q in result.questions] == [
        ("moodle-acronym-false", "true_false"),
        ("moodle-acronym-true", "true_false"),
    ]
    false_q, true_q = result.questions
    assert isinstance(false_q, model.TrueFalseQuestion) and isinstance(true_q, model.TrueFalseQuestion)
    assert (false_q.answer, true_q.answer) == (False, True)
    for q in (false_q, true_q):
        assert q.feedback_wrong is not None and "Your answer is incorrect." in q.feedback_wrong
        assert q.rationale is not None and "For further information" in q.rationale
        assert "Modular Object-Oriented Dynamic Learning" in q.prompt
    assert "Learning Education</span>" in false_q.prompt and "Learning Environment</span>" in true_q.prompt
    assert [w.line for w in result.warnings] == [12, 12, 40, 40]  # right-answer feedback, embedded files


def test_nested_categories_with_questions_fixture() -> None:
    result = load("nested_categories_with_questions.xml")
    assert result.categories == (
        "$module$/Iota",
        "$module$/Iota/Kappa",
        "$module$/Iota/Kappa/Lambda",
        "$module$/Iota/Mu",
    )
    assert [q.id for q in result.questions] == ["iota-question", "kappa-question", "lambda-question", "mu-question"]
    assert all(isinstance(q, model.TrueFalseQuestion) and q.answer for q in result.questions)
    assert result.skipped == 1
    [essay] = result.errors
    assert (essay.line, essay.question, essay.message) == (55, "Kappa Essay Question", "unsupported question type: essay")
    assert lines_with("nested_categories_with_questions.xml", '<question type="essay">') == [55]


def test_html_chars_in_idnumbers_fixture() -> None:
    result = load("html_chars_in_idnumbers.xml")
    assert result.categories == ("$course$/Alpha",)
    [q] = result.questions
    assert (q.id, q.name, q.prompt, q.type) == ("alpha-question", "Alpha Question", "<p>Testing Alpha Question</p>", "true_false")
    [warning] = result.warnings
    assert "'T & F' is not a valid id" in warning.message


@pytest.mark.parametrize(
    ("name", "categories", "ids"),
    [
        ("category_with_description.xml", ("$module$/Alpha",), ["alpha-question"]),
        ("deprecated_category.xml", ("$course$/Alpha",), ["alpha-question"]),
        ("export_category.xml", ("$course$/Alpha",), ["alpha-question"]),
        ("nested_categories.xml", ("$course$/Delta", "$course$/Delta/Epsilon", "$course$/Delta/Epsilon/Zeta"), ["zeta-question"]),
        ("old_format_file.xml", ("$course$/Pi", "$course$/Pi/Rho"), ["pi-question", "rho-question"]),
    ],
)
def test_category_fixtures(name: str, categories: tuple[str, ...], ids: list[str]) -> None:
    result = load(name)
    assert result.categories == categories
    assert [q.id for q in result.questions] == ids
    assert all(isinstance(q, model.TrueFalseQuestion) and q.answer is True for q in result.questions)
    assert (result.problems, result.skipped) == ((), 0)


def test_categories_reverse_order_fixture() -> None:
    result = load("categories_reverse_order.xml")
    assert result.categories == ("$course$/Sigma/Tau", "$course$/Sigma")
    [q] = result.questions
    assert isinstance(q, model.ShortAnswerQuestion)
    assert (q.name, q.prompt, q.accepted) == ("Sigma Question", "Testing Sigma Question", ("yes",))
    assert [(p.line, p.message) for p in result.errors] == [(14, "unsupported question type: essay")]
    assert result.skipped == 1


def test_error_invalid_grades_gives_a_problem_at_the_bad_answer_and_imports_nothing() -> None:
    result = load("error_invalid_grades.xml")
    assert result.questions == ()
    assert result.skipped == 1
    [error] = result.errors
    assert error.line == lines_with("error_invalid_grades.xml", 'fraction="33"')[0]
    assert error.question == "Question with <strong>invalid grades</strong> : x > 1 & x < 2"
    assert error.message.startswith("invalid grade 33% for answer '2'")


def test_broken_cloze_questions_are_unsupported_each_with_its_line() -> None:
    result = load("broken_cloze_questions.xml")
    assert result.questions == ()
    assert result.skipped == 5
    assert [p.line for p in result.errors] == lines_with("broken_cloze_questions.xml", '<question type="cloze">')
    assert [p.line for p in result.errors] == [4, 20, 36, 52, 68]
    assert {p.message for p in result.errors} == {"unsupported question type: cloze"}
    assert result.errors[0].question == "Multianswer question without subquestions"


def test_multianswer_fixture_is_one_unsupported_cloze() -> None:
    result = load("multianswer.xml")
    assert result.questions == ()
    assert result.categories == ("$course$/Default for Test images in backup",)
    assert [(p.line, p.question, p.message) for p in result.problems] == [
        (12, "cloze with images", "unsupported question type: cloze")
    ]


def test_old_image_tag_fixture() -> None:
    result = load("sample_questions_with_old_image_tag.xml")
    [q] = result.questions
    assert isinstance(q, model.SingleQuestion)
    assert [(o.text, o.correct, o.feedback) for o in q.options] == [
        ("wrong answer", False, None),
        ("another wrong answer", False, None),
        ("right answer", True, None),
    ]
    assert [(p.line, p.severity) for p in result.problems] == [(16, "error"), (36, "warning")]
    assert "moodle.png" in result.problems[1].message


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_fixture_import_is_a_fixed_point_of_xml_export(name: str) -> None:
    first = load(name)
    category = first.categories[0] if first.categories else None
    again = parse_moodle_xml(write_moodle_xml(first.questions, category=category))
    assert again.questions == first.questions
    assert again.problems == ()


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_fixture_import_is_a_fixed_point_of_gift_export(name: str) -> None:
    first = load(name)
    again = parse_gift(write_gift(first.questions))
    expected = tuple(without(q, GIFT_CANNOT_CARRY.get(q.type, ())) for q in first.questions)
    assert again.questions == expected
    assert again.problems == ()


# --- hostile and broken input ----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<quiz><question type="shortanswer"><name><text>&lol9;</text></name></question></quiz>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="truefalse"><questiontext><text>&xxe;</text></questiontext></question></quiz>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://example.invalid/quiz.dtd">
<quiz/>
"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "xxe", "dtd"])
def test_hostile_documents_are_refused_with_a_clear_message(document: bytes) -> None:
    started = time.perf_counter()
    result = parse_moodle_xml(document)
    assert time.perf_counter() - started < 1
    assert result.questions == ()
    [problem] = result.problems
    assert problem.severity == "error" and problem.message.startswith("refused: the file declares a DTD")
    assert problem.line == 2
    assert "root:" not in str(result)


def test_undeclared_entity_is_malformed_xml_with_its_line() -> None:
    result = parse_moodle_xml(b"<quiz>\n<question type='truefalse'>\n<name><text>&nope;</text></name>\n</question>\n</quiz>")
    [problem] = result.problems
    assert problem.line == 3 and problem.message.startswith("malformed XML: undefined entity")


def test_malformed_xml_gives_one_problem_at_the_parsers_line() -> None:
    result = parse_moodle_xml(b"<quiz>\n  <question type='truefalse'>\n    <name><text>x</name>\n  </question>\n</quiz>")
    [problem] = result.problems
    assert problem.line == 3
    assert problem.message.startswith("malformed XML: mismatched tag")
    assert result.questions == ()


def test_oversized_input_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_parse(data: bytes) -> None:
        raise AssertionError("the parser was called")

    monkeypatch.setattr(moodle_xml, "_parse", must_not_parse)
    result = parse_moodle_xml(b"<" * (MAX_XML_BYTES + 1))
    [problem] = result.problems
    assert problem.line == 1 and "the limit is 10 MiB" in problem.message


def test_a_file_that_is_not_a_quiz_is_reported() -> None:
    result = parse_moodle_xml(b"<?xml version='1.0'?>\n<html><body/></html>")
    assert [p.message for p in result.problems] == ["not a Moodle XML question file: the root element is <html>, not <quiz>"]


# --- mapping rules ---------------------------------------------------------------------------------


def test_shortanswer_usecase_and_partial_answers_are_warned_about() -> None:
    result = parse_moodle_xml(
        quiz(
            """<question type="shortanswer">
    <name><text>Capital</text></name>
    <questiontext format="html"><text>Capital of France?</text></questiontext>
    <usecase>1</usecase>
    <answer fraction="100"><text>Paris</text><feedback><text>Yes</text></feedback></answer>
    <answer fraction="50"><text>Lutetia</text></answer>
    <answer fraction="0"><text>*</text><feedback><text>No.</text></feedback></answer>
  </question>"""
        )
    )
    [q] = result.questions
    assert isinstance(q, model.ShortAnswerQuestion)
    assert (q.accepted, q.feedback_wrong) == (("Paris",), "No.")
    messages = [w.message for w in result.warnings]
    assert any("case-sensitive" in m for m in messages)
    assert any("'Lutetia' (50%) is not accepted" in m for m in messages)
    assert [w.line for w in result.warnings if "Lutetia" in w.message] == [8]


def test_numerical_with_units_and_extra_answers() -> None:
    result = parse_moodle_xml(
        quiz(
            """<question type="numerical">
    <name><text>Depth</text></name>
    <questiontext><text>How deep?</text></questiontext>
    <answer fraction="100"><text>2.5</text><tolerance>0.5</tolerance></answer>
    <answer fraction="50"><text>3</text><tolerance>1</tolerance></answer>
    <answer fraction="0"><text>*</text><feedback><text>Too far off.</text></feedback></answer>
    <units>
      <unit><multiplier>1</multiplier><unit_name>cm</unit_name></unit>
      <unit><multiplier>10</multiplier><unit_name>mm</unit_name></unit>
    </units>
  </question>"""
        )
    )
    [q] = result.questions
    assert isinstance(q, model.NumericQuestion)
    assert (q.answer, q.tolerance, q.unit, q.feedback_wrong) == (2.5, 0.5, "cm", "Too far off.")
    assert len(result.warnings) == 2


def test_matching_with_an_empty_subquestion_gives_an_extra_answer() -> None:
    result = parse_moodle_xml(
        quiz(
            """<question type="matching">
    <name><text>Match</text></name>
    <questiontext><text>Match them.</text></questiontext>
    <subquestion><text>Cat</text><answer><text>Meow</text></answer></subquestion>
    <subquestion><text>Dog</text><answer><text>Woof</text></answer></subquestion>
    <subquestion><text></text><answer><text>Moo</text></answer></subquestion>
    <incorrectfeedback><text>Listen again.</text></incorrectfeedback>
  </question>"""
        )
    )
    [q] = result.questions
    assert isinstance(q, model.MatchingQuestion)
    assert [(p.id, p.prompt, p.answer) for p in q.pairs] == [("p1", "Cat", "Meow"), ("p2", "Dog", "Woof")]
    assert (q.extra_answers, q.feedback_wrong) == (("Moo",), "Listen again.")


def test_ordering_keeps_document_order_and_warns_about_other_grading() -> None:
    result = parse_moodle_xml(
        quiz(
            """<question type="ordering">
    <name><text>Moodle</text></name>
    <questiontext format="html"><text>Put these words in order.</text></questiontext>
    <selecttype>ALL</selecttype><selectcount>0</selectcount><gradingtype>RELATIVE_TO_CORRECT</gradingtype>
    <answer fraction="1.0000000"><text>Modular</text></answer>
    <answer fraction="2.0000000"><text>Object</text></answer>
    <answer fraction="3.0000000"><text>Oriented</text></answer>
  </question>"""
        )
    )
    [q] = result.questions
    assert isinstance(q, model.OrderingQuestion)
    assert [i.text for i in q.items] == ["Modular", "Object", "Oriented"]
    [warning] = result.warnings
    assert "RELATIVE_TO_CORRECT" in warning.message


def test_tags_idnumbers_and_duplicates() -> None:
    question = """<question type="truefalse">
    <name><text>{name}</text></name>
    <questiontext><text>Statement.</text></questiontext>
    <idnumber>{idnumber}</idnumber>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
    <tags><tag><text>Dry Needling</text></tag><tag><text>difficulty-easy</text></tag>
      <tag><text>objective-ltr.define</text></tag><tag><text>reference-hong-1994</text></tag><tag><text>???</text></tag></tags>
  </question>"""
    result = parse_moodle_xml(
        quiz(question.format(name="First", idnumber="tf-1") + question.format(name="Second", idnumber="tf-1"))
    )
    first, second = result.questions
    assert (first.id, second.id) == ("tf-1", "tf-1-2")
    assert first.tags == ("dry-needling",)
    assert (first.difficulty, first.objective, first.references) == ("easy", "ltr.define", ("hong-1994",))
    messages = [w.message for w in result.warnings]
    assert "id 'tf-1' is already used in this file; this question gets 'tf-1-2'" in messages
    assert sum("'???' has no letters or digits" in m for m in messages) == 2


def test_a_question_the_model_rejects_is_a_problem_not_an_exception() -> None:
    result = parse_moodle_xml(
        quiz(
            """<question type="matching">
    <name><text>Same answers</text></name>
    <questiontext><text>Match.</text></questiontext>
    <subquestion><text>A</text><answer><text>X</text></answer></subquestion>
    <subquestion><text>B</text><answer><text>X</text></answer></subquestion>
  </question>
  <question type="truefalse">
    <name><text>Fine</text></name>
    <questiontext><text>Fine.</text></questiontext>
    <answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
  </question>"""
        )
    )
    assert [q.name for q in result.questions] == ["Fine"]
    assert result.skipped == 1
    [error] = result.errors
    assert (error.line, error.question) == (3, "Same answers")
    assert "matching answers must be distinct" in error.message


@pytest.mark.parametrize("qtype", ["essay", "description", "calculated", "calculatedmulti", "ddwtos", "multianswer", ""])
def test_unsupported_types_are_skipped_with_the_question_line(qtype: str) -> None:
    result = parse_moodle_xml(quiz(f'<question type="{qtype}">\n<name><text>N</text></name>\n</question>'))
    assert result.questions == () and result.skipped == 1
    [error] = result.errors
    assert (error.line, error.question) == (3, "N")
    assert error.message == f"unsupported question type: {qtype or '(none)'}"


def test_unequal_multiple_response_fractions_are_warned_about() -> None:
    answers = "".join(
        f'<answer fraction="{f}"><text>{t}</text></answer>' for f, t in [(50, "a"), (30, "b"), (20, "c"), (-100, "d")]
    )
    result = parse_moodle_xml(
        quiz(
            f'<question type="multichoice"><questiontext><text>Pick</text></questiontext><single>false</single>{answers}</question>'
        )
    )
    [q] = result.questions
    assert isinstance(q, model.MultipleQuestion) and [o.correct for o in q.options] == [True, True, True, False]
    assert q.id == "pick" and q.name is None
    assert "not an equal split" in result.warnings[0].message


# --- export and round trips ------------------------------------------------------------------------


def test_every_type_round_trips_through_moodle_xml_keeping_every_field() -> None:
    questions = every_type()
    data = write_moodle_xml(questions, category="$course$/Dry needling")
    result = parse_moodle_xml(data)
    assert result.problems == ()
    assert result.categories == ("$course$/Dry needling",)
    assert list(result.questions) == questions


def test_xml_output_uses_moodles_structure() -> None:
    text = write_moodle_xml(every_type()).decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n  <question type="multichoice">')
    assert "<idnumber>ltr-single</idnumber>" in text
    assert '<answer fraction="33.33333" format="moodle_auto_format">' in text
    assert '<answer fraction="-33.33333" format="moodle_auto_format">' in text
    assert '<questiontext format="html">' in text  # the <b>three</b> prompt
    assert "<tag>\n        <text>scoring-all-or-nothing</text>" in text
    assert '<correctfeedback format="moodle_auto_format">\n      <text></text>' in text
    assert "<unit_name>cm</unit_name>" in text
    assert "<gradingtype>ABSOLUTE_POSITION</gradingtype>" in text


def test_unnamed_questions_are_written_with_their_id_as_name_and_read_back_unnamed() -> None:
    unnamed = [q for q in every_type() if q.name is None]
    assert unnamed
    text = write_moodle_xml(unnamed).decode()
    assert f"<name>\n      <text>{unnamed[0].id}</text>" in text
    assert [q.name for q in parse_moodle_xml(text.encode()).questions] == [None] * len(unnamed)


def test_characters_xml_cannot_hold_are_removed() -> None:
    [q] = [q for q in every_type() if q.id == "ltr-true"]
    odd = q.model_copy(update={"prompt": "bell\x07 and\x00 null"})
    [back] = parse_moodle_xml(write_moodle_xml([odd])).questions
    assert back.prompt == "bell and null"


def test_a_name_equal_to_an_invalid_idnumber_is_kept() -> None:
    result = parse_moodle_xml(
        quiz(
            """<question type="truefalse"><name><text>T &amp; F</text></name><idnumber>T &amp; F</idnumber>
    <questiontext><text>Both?</text></questiontext>
    <answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question>"""
        )
    )
    [q] = result.questions
    assert (q.id, q.name) == ("t-f", "T & F")
