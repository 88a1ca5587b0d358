"""GIFT import and export: Moodle's fixtures as EXPECTED.md describes them, the syntax, round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from edu.content import model
from edu.interchange.gift import MAX_GIFT_CHARS, gift_limitation, parse_gift, write_gift
from edu.interchange.report import ImportResult
from tests.property_budget import max_examples
from tests.shared_data import shared_path

ADAPTER: TypeAdapter[model.Question] = TypeAdapter(model.Question)


def gift_fixture(name: str) -> str:
    path: Path = shared_path("fixtures", "moodle", "question", "format", "gift", "tests", "fixtures", name)
    return path.read_text(encoding="utf-8")


def by_id(result: ImportResult) -> dict[str, model.Question]:
    return {q.id: q for q in result.questions}


def every_type() -> list[model.Question]:
    """Our own questions, one or more of every type, with every field set somewhere.

    Option, pair and item ids are the ones importers generate (a, b, …; p1, …; i1, …), so a round
    trip through a format that cannot carry them can still be compared field for field.
    """
    raw: list[dict[str, Any]] = [
        {
            "id": "ltr-single",
            "type": "single",
            "name": "Twitch: what is it?",
            "objective": "ltr.define",
            "difficulty": "hard",
            "tags": ["safety", "mechanism"],
            "prompt": 'A patient reports a brief "jump" as the needle enters a taut band.\n'
            "Which term fits? {braces} ~tilde =equals #hash \\backslash: colon -> arrow",
            "options": [
                {"id": "a", "text": "A local twitch response", "correct": True, "feedback": "Yes: that's it."},
                {"id": "b", "text": "A whole-muscle spasm", "feedback": "No = a spasm involves the whole muscle."},
                {"id": "c", "text": "%50% of cases", "feedback": "Not a weight, a distractor."},
                {"id": "d", "text": "[html] is not a format here", "feedback": "// not a comment either"},
            ],
            "rationale": "An LTR is local; a spasm is not.\nSecond paragraph.",
            "references": ["hong-1994", "simons-2019"],
            "feedback_wrong": "Review lesson 1.",
        },
        {
            "id": "ltr-multiple",
            "type": "multiple",
            "name": "Signs of an LTR",
            "objective": "ltr.signs",
            "difficulty": "easy",
            "scoring": "all_or_nothing",
            "prompt": "Which <b>three</b> are signs of a local twitch response?",
            "options": [
                {"id": "a", "text": "A visible twitch", "correct": True},
                {"id": "b", "text": "A palpable twitch", "correct": True, "feedback": "Yes."},
                {"id": "c", "text": "Change in EMG", "correct": True},
                {"id": "d", "text": "Bruising", "feedback": "That is a complication."},
                {"id": "e", "text": "Fever", "feedback": "Unrelated."},
            ],
            "rationale": "Visible, palpable and electrical.",
            "references": ["hong-1994"],
        },
        {
            "id": "ltr-true-false",
            "type": "true_false",
            "objective": "ltr.define",
            "prompt": "An LTR involves the whole muscle.",
            "answer": False,
            "feedback_wrong": "It is local to the taut band.",
            "rationale": "Local: hence the name.",
            "tags": ["myth"],
        },
        {
            "id": "ltr-true",
            "type": "true_false",
            "prompt": "TRUE",
            "answer": True,
        },
        {
            "id": "ltr-matching",
            "type": "matching",
            "name": "Match the terms",
            "prompt": "Match each term to its meaning.",
            "pairs": [
                {"id": "p1", "prompt": "LTR", "answer": "Local twitch response"},
                {"id": "p2", "prompt": "MTrP", "answer": "Myofascial trigger point"},
                {"id": "p3", "prompt": "EMG: the test", "answer": "Electromyography -> signals"},
            ],
            "extra_answers": ["Range of motion", "=equals{}"],
            "feedback_wrong": "See the glossary.",
            "rationale": "Glossary terms.",
            "references": ["simons-2019"],
        },
        {
            "id": "ltr-ordering",
            "type": "ordering",
            "name": "Steps",
            "difficulty": "hard",
            "prompt": "Put the steps in order.",
            "items": [
                {"id": "i1", "text": "Palpate the taut band"},
                {"id": "i2", "text": "Insert the needle: slowly =carefully"},
                {"id": "i3", "text": "Look for a twitch #1"},
                {"id": "i4", "text": "Withdraw"},
            ],
            "feedback_wrong": "Palpate first.",
            "rationale": "Palpation guides the needle.",
        },
        {
            "id": "ltr-short",
            "type": "short_answer",
            "name": "Name it",
            "prompt": "What is the brief contraction called?",
            "accepted": ["local twitch response", "LTR", "%twitch"],
            "feedback_wrong": "It is the local twitch response.",
            "rationale": "Terminology.",
        },
        {
            "id": "ltr-numeric",
            "type": "numeric",
            "name": "Depth",
            "prompt": "How deep, in cm?",
            "answer": 2.5,
            "tolerance": 0.25,
            "unit": "cm",
            "feedback_wrong": "About 2.5 cm.",
            "rationale": "Depends on the muscle.",
        },
        {
            "id": "ltr-numeric-negative",
            "type": "numeric",
            "prompt": "Temperature change, exactly?",
            "answer": -3.0,
        },
    ]
    return [ADAPTER.validate_python(item) for item in raw]


GIFT_CANNOT_CARRY: dict[str, tuple[str, ...]] = {
    "single": ("feedback_wrong",),
    "multiple": ("feedback_wrong",),
    "matching": ("feedback_wrong",),
    "ordering": ("feedback_wrong", "rationale"),
    "numeric": ("unit",),
}


def without(question: model.Question, fields: tuple[str, ...]) -> model.Question:
    return question.model_copy(update=dict.fromkeys(fields))


# --- Moodle's fixtures (EXPECTED.md) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def questions_gift() -> ImportResult:
    return parse_gift(gift_fixture("questions.gift.txt"))


def test_questions_gift_finds_nine_imports_eight_and_reports_the_essay(questions_gift: ImportResult) -> None:
    assert len(questions_gift.questions) + questions_gift.skipped == 9
    assert len(questions_gift.questions) == 8
    assert questions_gift.skipped == 1
    assert [(p.line, p.question, p.message) for p in questions_gift.errors] == [(2, "Q8", "unsupported question type: essay")]
    assert [q.type for q in questions_gift.questions] == [
        "matching", "single", "multiple", "numeric", "short_answer", "true_false", "true_false", "true_false",
    ]  # fmt: skip
    assert "What's between orange and green in the spectrum?" in [q.prompt for q in questions_gift.questions]
    assert "colours" in [q.name for q in questions_gift.questions]
    assert questions_gift.categories == ()


def test_matching_question_keeps_html_prompt_and_chat_is_an_extra_answer(questions_gift: ImportResult) -> None:
    q = by_id(questions_gift)["moodle-activities"]
    assert isinstance(q, model.MatchingQuestion)
    assert q.name == "Moodle activities"
    assert q.prompt == "Match the <b>activity</b> to the description."
    assert [(p.prompt, p.answer) for p in q.pairs] == [
        ("An activity supporting asynchronous discussions.", "Forum"),
        ("A teacher asks a question and specifies a choice of multiple responses.", "Choice"),
        ("A bank of record entries which participants can add to.", "Database"),
        ("A collection of web pages that anyone can add to or edit.", "Wiki"),
    ]
    assert q.extra_answers == ("Chat",)
    assert q.feedback_wrong is None and q.rationale is None


def test_q2_is_single_answer_with_per_option_feedback(questions_gift: ImportResult) -> None:
    q = by_id(questions_gift)["q2"]
    assert isinstance(q, model.SingleQuestion)
    assert q.prompt == "What's between orange and green in the spectrum?"
    assert [(o.text, o.correct, o.feedback) for o in q.options] == [
        ("yellow", True, "right; good!"),
        ("red", False, "wrong, it's yellow"),
        ("blue", False, "wrong, it's yellow"),
    ]


def test_colours_is_multiple_response_with_the_positive_answers_correct(questions_gift: ImportResult) -> None:
    q = by_id(questions_gift)["colours"]
    assert isinstance(q, model.MultipleQuestion)
    assert q.scoring == "partial"
    assert [(o.text, o.correct, o.feedback) for o in q.options] == [
        ("yellow", True, "right; good!"),
        ("red", False, "wrong"),
        ("off-beige", True, "right; good!"),
        ("blue", False, "wrong"),
    ]
    # 50% + 50% is an equal split: no warning (the -100% penalties are simplified as documented).
    assert not [p for p in questions_gift.problems if p.question == "colours"]


def test_q5_is_numeric_three_plus_or_minus_two(questions_gift: ImportResult) -> None:
    q = by_id(questions_gift)["q5"]
    assert isinstance(q, model.NumericQuestion)
    assert (q.prompt, q.answer, q.tolerance) == ("What is a number from 1 to 5?", 3.0, 2.0)
    assert q.feedback_wrong == "Completely wrong"
    assert [(p.line, p.severity) for p in questions_gift.problems if p.question == "Q5"] == [(31, "warning")]


def test_shortanswer_accepts_frog_and_warns_about_the_partial_cat(questions_gift: ImportResult) -> None:
    q = by_id(questions_gift)["shortanswer"]
    assert isinstance(q, model.ShortAnswerQuestion)
    assert q.prompt == "Which is the best animal?"
    assert q.accepted == ("Frog",)
    assert q.feedback_wrong == "Completely wrong"
    cat = [p for p in questions_gift.warnings if "Cat" in p.message]
    assert len(cat) == 1
    assert cat[0].line == 36 and cat[0].question == "Shortanswer" and "50%" in cat[0].message


def test_q1_is_false_with_general_feedback_and_wrong_answer_feedback(questions_gift: ImportResult) -> None:
    q = by_id(questions_gift)["q1"]
    assert isinstance(q, model.TrueFalseQuestion)
    assert q.prompt == "42 is the Absolute Answer to everything."
    assert q.answer is False
    assert q.feedback_wrong == "42 is the Ultimate Answer."
    assert q.rationale == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    messages = [p.message for p in questions_gift.problems if p.question == "Q1"]
    assert any("You gave the right answer." in m for m in messages)  # dropped, and said so
    assert any("ignored text after the closing brace" in m for m in messages)  # the stray ";


def test_both_tsl_forms_are_true_with_unique_ids_and_the_original_name(questions_gift: ImportResult) -> None:
    first, second = by_id(questions_gift)["2-08-tsl"], by_id(questions_gift)["2-08-tsl-2"]
    for q in (first, second):
        assert isinstance(q, model.TrueFalseQuestion)
        assert (q.name, q.prompt, q.answer, q.feedback_wrong) == ("2-08 TSL", "TSL is blablabla.", True, None)


def test_questions_in_category_gives_four_questions_and_the_category() -> None:
    result = parse_gift(gift_fixture("questions_in_category.gift.txt"))
    assert len(result.questions) == 4
    assert result.skipped == 0
    assert result.errors == ()
    assert result.categories == ("$course$/Default for New Features",)
    questions = by_id(result)
    matching = questions["moodle-activities"]
    assert isinstance(matching, model.MatchingQuestion)
    assert matching.prompt == "Match the activity to the description."
    assert [p.answer for p in matching.pairs] == ["Forum", "Choice", "Database", "Wiki"]
    assert matching.extra_answers == ("Chat",)
    greeting = questions["greeting"]
    assert isinstance(greeting, model.SingleQuestion)
    assert greeting.prompt == (
        '<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3">Listen to this greeting:</a>'
        "<br /><br />What language is being spoken?"
    )
    assert [(o.text, o.correct, o.feedback) for o in greeting.options] == [
        ("English", False, "Sorry, listen again."),
        ("French", True, "Yes, well done!"),
        ("German", False, "Sorry, listen again."),
        ("Spanish", False, "Sorry, listen again."),
    ]
    user = questions["moodle-user"]
    assert isinstance(user, model.ShortAnswerQuestion)
    assert user.accepted == ("Moodler",) and user.feedback_wrong is None
    acronym = questions["moodle-acronym"]
    assert isinstance(acronym, model.TrueFalseQuestion)
    assert acronym.answer is True
    assert '<span style="font-style: italic;">' in acronym.prompt


@pytest.mark.parametrize("name", ["questions.gift.txt", "questions_in_category.gift.txt"])
def test_fixture_import_is_a_fixed_point_of_export_then_import(name: str) -> None:
    first = parse_gift(gift_fixture(name))
    again = parse_gift(write_gift(first.questions, category=first.categories[0] if first.categories else None))
    assert again.questions == first.questions
    assert again.categories == first.categories
    assert again.problems == ()
    assert write_gift(again.questions) == write_gift(first.questions)


# --- syntax ----------------------------------------------------------------------------------------


def one(text: str) -> model.Question:
    result = parse_gift(text)
    assert result.errors == (), result.errors
    assert len(result.questions) == 1
    return result.questions[0]


def test_escapes_are_unescaped_everywhere() -> None:
    q = one(
        "::Esc\\:aped \\{name\\}::Use \\{braces\\}, \\~tilde, \\=equals, \\#hash, \\\\backslash and\\na new line{\n"
        "  =right \\= yes#fb \\# here\n"
        "  ~wrong\\: no\n"
        "}\n"
    )
    assert isinstance(q, model.SingleQuestion)
    assert q.name == "Esc:aped {name}"
    assert q.prompt == "Use {braces}, ~tilde, =equals, #hash, \\backslash and\na new line"
    assert [(o.text, o.feedback) for o in q.options] == [("right = yes", "fb # here"), ("wrong: no", None)]


def test_comments_are_ignored_and_carry_moodle_id_and_tags() -> None:
    q = one(
        "// a comment line\n"
        "// [id:my-question] [tag:Dry Needling] [tag:difficulty-hard]\n"
        "// [tag:objective-ltr.define] [tag:reference-hong-1994] [tag:safety]\n"
        "Is this a comment? // no, only whole lines are {T}\n"
    )
    assert q.id == "my-question"
    assert q.tags == ("dry-needling", "safety")
    assert (q.difficulty, q.objective, q.references) == ("hard", "ltr.define", ("hong-1994",))
    assert q.prompt == "Is this a comment? // no, only whole lines are"
    assert q.name is None


def test_format_prefixes_are_removed_and_the_text_kept_as_written() -> None:
    q = one("[markdown]Which is **bold**?{\n=[html]<b>this</b>#[plain]right\n~[moodle]that\n}")
    assert isinstance(q, model.SingleQuestion)
    assert q.prompt == "Which is **bold**?"
    assert [(o.text, o.feedback) for o in q.options] == [("<b>this</b>", "right"), ("that", None)]


def test_unnamed_questions_get_ids_from_the_first_words_made_unique() -> None:
    result = parse_gift("Grant is buried in Grant's tomb, is he not?{T}\n\nGrant is buried in Grant's tomb, is he?{F}\n")
    assert [q.id for q in result.questions] == ["grant-is-buried-in-grant-s", "grant-is-buried-in-grant-s-2"]
    assert [q.name for q in result.questions] == [None, None]


def test_numeric_forms() -> None:
    ranged = one("::R::Between 1 and 5?{#1..5}")
    assert isinstance(ranged, model.NumericQuestion) and (ranged.answer, ranged.tolerance) == (3.0, 2.0)
    exact = one("::E::Exactly?{#2.5}")
    assert isinstance(exact, model.NumericQuestion) and (exact.answer, exact.tolerance) == (2.5, 0.0)
    fractional = one("::F::Range?{#0.1..0.3}")
    assert isinstance(fractional, model.NumericQuestion) and (fractional.answer, fractional.tolerance) == (0.2, 0.1)
    result = parse_gift("::M::When was Grant born?{#\n=1822:0\n=%50%1822:2#close\n~#no}")
    q = result.questions[0]
    assert isinstance(q, model.NumericQuestion)
    assert (q.answer, q.tolerance, q.feedback_wrong) == (1822.0, 0.0, "no")
    assert [(p.line, p.severity) for p in result.problems] == [(3, "warning")]
    assert "only the first full-mark" in result.problems[0].message


def test_numeric_that_is_not_a_number_is_reported() -> None:
    result = parse_gift("::N::How many?{#three}")
    assert result.questions == () and result.skipped == 1
    assert "'three' is not a number" in result.errors[0].message


def test_unequal_multiple_response_weights_are_warned_about() -> None:
    result = parse_gift("::W::Pick{~%50%a ~%30%b ~%20%c ~%-100%d}")
    q = result.questions[0]
    assert isinstance(q, model.MultipleQuestion)
    assert [o.correct for o in q.options] == [True, True, True, False]
    assert len(result.warnings) == 1 and "not an equal split" in result.warnings[0].message


def test_single_answer_mode_partial_credit_is_dropped_with_a_warning() -> None:
    result = parse_gift("::P::Pick{=a ~%50%b ~c}")
    q = result.questions[0]
    assert isinstance(q, model.SingleQuestion)
    assert [o.correct for o in q.options] == [True, False, False]
    assert "partial credit (50%) for 'b' is dropped" in result.warnings[0].message


def test_two_full_mark_answers_become_multiple_response_with_a_warning() -> None:
    result = parse_gift("::T::Pick{=a =b ~c}")
    q = result.questions[0]
    assert isinstance(q, model.MultipleQuestion)
    assert [o.correct for o in q.options] == [True, True, False]
    assert "2 answers earn full marks" in result.warnings[0].message


def test_invalid_grade_is_an_error_and_the_question_is_skipped() -> None:
    result = parse_gift("::G::Pick\n{\n~%33%a\n~%67%b\n}\n")
    assert result.questions == () and result.skipped == 1
    assert result.errors[0].line == 3 and "invalid grade 33%" in result.errors[0].message


def test_unsupported_types_are_reported_with_their_lines_and_skipped() -> None:
    text = (
        "// essay\n::E::Tell me.{}\n\n"
        "::D::Just a description.\n\n"
        "::C::Cloze {1:SHORTANSWER:=Paris}\n\n"
        "::C2::Two {=a} blocks {=b}\n\n"
        "::B::Broken {=a\n\n"
        "::OK::Fine{T}\n"
    )
    result = parse_gift(text)
    assert [q.name for q in result.questions] == ["OK"]
    assert result.skipped == 5
    assert [(p.line, p.question, p.message) for p in result.errors] == [
        (2, "E", "unsupported question type: essay"),
        (4, "D", "unsupported question type: description"),
        (6, "C", "unsupported question type: cloze"),
        (8, "C2", "unsupported question type: cloze (more than one answer block)"),
        (10, "B", "the answer block is not enclosed in { and }"),
    ]


def test_missing_word_format_puts_a_blank_in_the_prompt() -> None:
    q = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert isinstance(q, model.SingleQuestion)
    assert q.prompt == "Grant is _____ in Grant's tomb."


def test_category_lines_are_collected_and_not_counted() -> None:
    result = parse_gift("$CATEGORY: $course$/One\n\n::A::a?{T}\n\n$CATEGORY: $course$/Two\n::B::b?{F}\n")
    assert result.categories == ("$course$/One", "$course$/Two")
    assert [q.name for q in result.questions] == ["A", "B"]
    assert result.skipped == 0


def test_true_false_feedback_and_matching_need_two_pairs() -> None:
    q = one("::TF::Sky is green.{F#It is blue.#Right!####Rayleigh scattering.}")
    assert isinstance(q, model.TrueFalseQuestion)
    assert (q.answer, q.feedback_wrong, q.rationale) == (False, "It is blue.", "Rayleigh scattering.")
    result = parse_gift("::M::Match{=a -> b}")
    assert result.skipped == 1 and "at least two" in result.errors[0].message


def test_validation_failures_become_problems_not_exceptions() -> None:
    result = parse_gift("::Dup::Match{=a -> same =b -> same}")
    assert result.questions == () and result.skipped == 1
    assert result.errors[0].question == "Dup" and "matching answers must be distinct" in result.errors[0].message


def test_ordering_questions_use_the_ordering_plugins_gift_form() -> None:
    result = parse_gift("::Order::Put in order.{>3 RANDOM VERTICAL RELATIVE_NEXT_EXCLUDE_LAST SHOW\nOne\nTwo\nThree\nFour\n}")
    q = result.questions[0]
    assert isinstance(q, model.OrderingQuestion)
    assert [i.text for i in q.items] == ["One", "Two", "Three", "Four"]
    messages = " ".join(p.message for p in result.warnings)
    assert "subset of 3 items" in messages and "RELATIVE_NEXT_EXCLUDE_LAST" in messages


def test_empty_and_comment_only_input_gives_nothing() -> None:
    for text in ("", "\n\n", "// only\n// comments\n"):
        result = parse_gift(text)
        assert (result.questions, result.problems, result.skipped) == ((), (), 0)


def test_oversized_text_is_refused_before_parsing() -> None:
    result = parse_gift("x" * (MAX_GIFT_CHARS + 1))
    assert result.questions == ()
    assert len(result.problems) == 1 and "limit is 10 MiB" in result.problems[0].message


def test_crlf_input_and_line_numbers() -> None:
    result = parse_gift("// c\r\n\r\n::A::a{}\r\n\r\n// c\r\n::B::b{\r\n=x\r\n=%50%y\r\n}\r\n")
    assert [(p.line, p.question) for p in result.problems] == [(3, "A"), (8, "B")]


# --- export and round trips ------------------------------------------------------------------------


def test_every_type_round_trips_through_gift_keeping_what_gift_carries() -> None:
    questions = every_type()
    text = write_gift(questions, category="$course$/Dry needling")
    result = parse_gift(text)
    assert result.problems == ()
    assert result.categories == ("$course$/Dry needling",)
    assert len(result.questions) == len(questions)
    for original, back in zip(questions, result.questions, strict=True):
        assert back == without(original, GIFT_CANNOT_CARRY.get(original.type, ())), original.id


def test_gift_output_looks_like_moodles() -> None:
    text = write_gift(every_type())
    assert "// [id:ltr-single] [tag:safety] [tag:mechanism] [tag:difficulty-hard] [tag:objective-ltr.define]" in text
    assert "::Twitch\\: what is it?::A patient reports" in text
    assert "\t~%33.33333%A visible twitch\n" in text and "\t~%-33.33333%Bruising#That is a complication.\n" in text
    assert "{FALSE#It is local to the taut band.####Local\\: hence the name.}" in text
    assert "{#2.5:0.25\n\t~#About 2.5 cm.\n" in text
    assert "{>4 ALL VERTICAL ABSOLUTE_POSITION SHOW\nPalpate the taut band\n" in text
    assert "\t~%0%%50% of cases#" in text and "\t~[moodle][html] is not a format here#[moodle]// not" in text


def test_questions_gift_cannot_represent_are_left_out_with_a_comment() -> None:
    arrow = ADAPTER.validate_python(
        {
            "id": "arrow",
            "type": "matching",
            "prompt": "Match",
            "pairs": [{"id": "p1", "prompt": "a -> b", "answer": "c"}, {"id": "p2", "prompt": "d", "answer": "e"}],
        }
    )
    assert gift_limitation(arrow) is not None
    text = write_gift([arrow, *every_type()[:1]])
    assert text.startswith("// not exported: question arrow (matching): pair prompt")
    assert [q.id for q in parse_gift(text).questions] == ["ltr-single"]


# --- property: any text survives write then parse --------------------------------------------------

_SPECIAL = st.sampled_from(list("~=#{}:\\[]%/->\n\t $"))
_ANY = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
_TEXT = st.text(alphabet=st.one_of(_SPECIAL, _SPECIAL, _ANY), min_size=1, max_size=30)


@st.composite
def single_questions(draw: st.DrawFn) -> model.SingleQuestion:
    texts = draw(st.lists(_TEXT, min_size=2, max_size=5))
    key = draw(st.integers(min_value=0, max_value=len(texts) - 1))
    feedback = draw(st.lists(st.one_of(st.none(), _TEXT), min_size=len(texts), max_size=len(texts)))
    try:
        return model.SingleQuestion(
            id="prop",
            type="single",
            name=draw(st.one_of(st.none(), _TEXT)),
            prompt=draw(_TEXT),
            options=tuple(
                model.Option(id=chr(97 + i), text=t, correct=i == key, feedback=f)
                for i, (t, f) in enumerate(zip(texts, feedback, strict=True))
            ),
        )
    except ValidationError:
        from hypothesis import reject

        reject()


@settings(max_examples=max_examples(300), deadline=None, database=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(single_questions())
def test_any_text_survives_write_then_parse(question: model.SingleQuestion) -> None:
    result = parse_gift(write_gift([question]))
    assert result.problems == ()
    assert result.questions == (question,)


def test_the_interchange_package_imports_no_flask_or_database_code() -> None:
    import ast

    import edu.interchange

    forbidden = ("flask", "flask_", "werkzeug", "sqlalchemy", "psycopg", "alembic", "redis", "config")
    for path in Path(edu.interchange.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert not name.split(".")[0].startswith(forbidden), f"{path.name} imports {name}"
                if name.split(".")[0] == "edu":
                    # edu.slugs: the one slug rule, itself pure (tests/unit/test_purity.py)
                    assert name in ("edu.content", "edu.content.yamlsource", "edu.slugs"), f"{path.name} imports {name}"


# --- mutation review (2026-12): error paths, edge forms and exact export text ----------------------


def problems(result: ImportResult) -> list[tuple[int, str | None, str, str]]:
    return [(p.line, p.question, p.message, p.severity) for p in result.problems]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("::N::Pick\n{\n~only\n}", 1, "a multiple-choice question needs at least two answers"),
        ("::N::How many?\n{#}", 1, "a numerical question needs at least one answer"),
        ("::N::How many?\n{#\n~#no}", 1, "a numerical question needs at least one answer"),
        ("::N::Pick{\n~a\n~%--50%b\n=c}", 3, "invalid answer weight %--50%"),
        ("::N::Say{\n=a\n=%--50%b}", 3, "invalid answer weight %--50%"),
        ("::N::How many?{#\n=3\n=%--50%4}", 3, "invalid answer weight %--50%"),
        ("::N::Match{\n=a -> 1\n=b\n}", 3, "matching answer 'b' has no '->'"),
        ("::N::Match{\n=a -> 1\n}", 1, "a matching question needs at least two '=' lines"),
    ],
)
def test_rejected_blocks_give_the_parsers_own_error_never_an_exception(text: str, line: int, message: str) -> None:
    result = parse_gift("// before\n\n" + text)
    assert result.questions == () and result.skipped == 1
    assert problems(result) == [(line + 2, "N", message, "error")]


def test_a_dropped_tag_is_a_warning_on_the_question_line() -> None:
    result = parse_gift("// [tag:!!!] [tag:kept]\n::N::Q{T}")
    assert [(q.id, q.tags) for q in result.questions] == [("question-n", ("kept",))]
    assert problems(result) == [(2, "N", "tag '!!!' has no letters or digits to keep; dropped", "warning")]


def test_an_escaped_bracket_in_an_id_token_is_kept() -> None:
    result = parse_gift("// [id:a\\]b]\n::N::Q{T}")
    assert problems(result) == [
        (2, "N", "id 'a]b' is not a valid id (lowercase letters, digits and hyphens); using 'question-n'", "warning")
    ]
    assert one("// [id: my-id ]\n::N::Q{T}").id == "my-id"


def test_true_false_short_forms_and_right_answer_feedback() -> None:
    for body, answer in (("T", True), ("TRUE", True), ("F", False), ("FALSE", False)):
        q = one(f"Q{{{body}}}")
        assert isinstance(q, model.TrueFalseQuestion) and q.answer is answer, body
    result = parse_gift("::N::Q{F#wrong#right#more}")
    q = result.questions[0]
    assert isinstance(q, model.TrueFalseQuestion) and (q.answer, q.feedback_wrong) == (False, "wrong")
    assert problems(result) == [
        (1, "N", "feedback for the right answer ('right#more') is not kept (the model has none)", "warning")
    ]
    q = one("Q{TRUE ####general}")
    assert isinstance(q, model.TrueFalseQuestion) and (q.answer, q.rationale, q.feedback_wrong) == (True, "general", None)


def test_a_byte_order_mark_before_a_name_is_dropped() -> None:
    q = one("\ufeff::Named::Text{T}")
    assert (q.name, q.prompt) == ("Named", "Text")
    assert one("::Named::Text{T}\ufeff").name == "Named"


def test_question_name_edge_cases() -> None:
    unclosed = one("::Unclosed name{=a}")
    assert (unclosed.name, unclosed.prompt) == (None, "Unclosed name")
    nested = one("::A::B::C{=a}")
    assert (nested.name, nested.prompt) == ("A", "B::C")
    result = parse_gift("$CATEGORY: top\n::N::Q\nmore\n{=a}")
    assert result.categories == ("top",)
    assert [(q.name, q.prompt) for q in result.questions] == [("N", "Q\nmore")]
    empty = one("::::Q{T}")
    assert (empty.name, empty.prompt) == (None, "Q")
    assert one("  ::N::  Q{T}").prompt == "Q"


def test_category_lines_alone_or_with_blank_text_after_them() -> None:
    assert parse_gift("$CATEGORY:  a/b  ").categories == ("a/b",)
    result = parse_gift("$CATEGORY: a\n// only a comment")
    assert (result.categories, result.questions, result.problems) == (("a",), (), ())


def test_a_closing_brace_without_an_opening_one_is_not_a_question() -> None:
    result = parse_gift("::N::Q } x")
    assert result.questions == () and problems(result) == [(1, "N", "the answer block is not enclosed in { and }", "error")]
    result = parse_gift("::N::Q } x {=a}")
    assert problems(result) == [(1, "N", "the answer block is not enclosed in { and }", "error")]


def test_answer_block_trimming() -> None:
    q = one("Q{=a b}")
    assert isinstance(q, model.ShortAnswerQuestion) and q.accepted == ("a b",)
    result = parse_gift("::N::Q{=a ####g1 ####g2}")
    q = result.questions[0]
    assert isinstance(q, model.ShortAnswerQuestion) and (q.accepted, q.rationale) == (("a",), "g2")
    q = one("Q{=a->b =c->d}")
    assert isinstance(q, model.MatchingQuestion)
    assert [(p.prompt, p.answer) for p in q.pairs] == [("a", "b"), ("c", "d")]
    q = one("Q{\n=X-ray\n=Xray\n}")
    assert isinstance(q, model.ShortAnswerQuestion) and q.accepted == ("X-ray", "Xray")
    q = one("M{=aXb -> 1 =c -> 2}")
    assert isinstance(q, model.MatchingQuestion) and [p.prompt for p in q.pairs] == ["aXb", "c"]
    q = one("Q{ =a -> 1 =b -> 2 = -> 3 =c -> }")
    assert isinstance(q, model.MatchingQuestion)
    assert [(p.id, p.prompt, p.answer) for p in q.pairs] == [("p1", "a", "1"), ("p2", "b", "2")]
    assert q.extra_answers == ("3",)


def test_a_matching_pair_without_an_answer_is_dropped_with_a_warning() -> None:
    result = parse_gift("::N::M{\n=a -> 1\n=b -> 2\n=c ->\n}")
    assert [p.prompt for p in result.questions[0].pairs] == ["a", "b"]  # type: ignore[attr-defined]
    assert problems(result) == [(4, "N", "pair 'c' has no answer; dropped", "warning")]


def test_numerical_edge_forms() -> None:
    q = one("Q ~ tilde{#3}")
    assert isinstance(q, model.NumericQuestion) and (q.prompt, q.answer, q.feedback_wrong) == ("Q ~ tilde", 3.0, None)
    q = one("Q{#3 ~wrong#no} then ~x")
    assert isinstance(q, model.NumericQuestion) and (q.answer, q.feedback_wrong) == (3.0, "no")
    assert q.prompt == "Q_____ then ~x"
    q = one("Q{#3:2}")
    assert isinstance(q, model.NumericQuestion) and (q.answer, q.tolerance) == (3.0, 2.0)
    q = one("Q{#30:12}")
    assert isinstance(q, model.NumericQuestion) and (q.answer, q.tolerance) == (30.0, 12.0)
    for text, bad in (
        ("Q{#..5}", "'..5'"),
        ("Q{#:5}", "':5'"),
        ("Q{#1..5..9}", "'5..9'"),
        ("Q{#1:2:3}", "'2:3'"),
        ("Q{#1..5:x}", "'5:x'"),
        ("Q{#1:2..5}", "'1:2'"),
    ):
        result = parse_gift(text)
        assert result.questions == () and len(result.errors) == 1, text
        assert f"{bad} is not a number" in result.errors[0].message, text
    result = parse_gift("::N::Q{#\n=%50%3\n=4\n}")
    q = result.questions[0]
    assert isinstance(q, model.NumericQuestion) and q.answer == 4.0
    assert problems(result) == [
        (2, "N", "answer 3 (50%) is not kept: only the first full-mark numerical answer is used", "warning")
    ]
    result = parse_gift("::N::Q{#\n=3#X right\n}")
    assert problems(result) == [(2, "N", "feedback on the right answer is not kept (the model has none)", "warning")]
    q = one("Q{#3\n~#Not X.}")
    assert isinstance(q, model.NumericQuestion) and q.feedback_wrong == "Not X."


def test_ordering_general_feedback_escapes_and_notes() -> None:
    result = parse_gift("::N::Order{>2 EXACT VERTICAL ABS SHOW\nA \\= B\n  C  \n####  Why: \\= so.\nnot an item\n}")
    q = result.questions[0]
    assert isinstance(q, model.OrderingQuestion)
    assert [(i.id, i.text) for i in q.items] == [("i1", "A \\= B"), ("i2", "C")]
    assert q.rationale == "Why: = so.\nnot an item"
    assert problems(result) == []
    q = one("Order{>2 ALL ABSOLUTE\nA\nB\n####\n}")
    assert isinstance(q, model.OrderingQuestion) and q.rationale is None
    result = parse_gift("::N::Order{>3\nA\nB\nC\n}")
    assert problems(result) == [
        (
            1,
            "N",
            "grading RELATIVE_NEXT_EXCLUDE_LAST (the default) is replaced by ours: the share of items in the right position",
            "warning",
        ),
    ]
    result = parse_gift("::N::Order\n{>1 ABSOLUTE_POSITION\nA\nB\nC\nD\nE\nF\nG\n}")
    assert problems(result) == [(2, "N", "Moodle shows a random subset of 6 items; here all 7 are used", "warning")]
    result = parse_gift("::N::Order{>007 REL ABS\nA\nB\nC\nD\nE\nF\nG\nH\n}")
    assert problems(result) == [(1, "N", "Moodle shows a random subset of 7 items; here all 8 are used", "warning")]
    for header in (">2 RANDOM ABS", ">9 ABS", ">4 ABS", ">3 ALL ABS", ">0000000000000000000000004 ABS"):
        result = parse_gift(f"::N::Order{{{header}\nA\nB\nC\nD\n}}")
        assert problems(result) == [], header
    result = parse_gift("::N::Order{>3 ABS\nA\nB\nC\nD\n}")
    assert problems(result) == [(1, "N", "Moodle shows a random subset of 3 items; here all 4 are used", "warning")]
    result = parse_gift("::N::Order{>99999999999 RANDOM H LONGEST_ORDERED_SUBSET\nA\nB\n}")
    assert problems(result) == [
        (1, "N", "grading LONGEST_ORDERED_SUBSET is replaced by ours: the share of items in the right position", "warning")
    ]


def test_plain_question_texts_are_written_without_a_format_prefix() -> None:
    q = ADAPTER.validate_python(
        {
            "id": "plain-q",
            "type": "single",
            "prompt": "Pick a & b",
            "options": [
                {"id": "a", "text": "A & B", "correct": True, "feedback": "x\ny"},
                {"id": "b", "text": "%c", "feedback": "<not html"},
            ],
            "rationale": "r & s",
        }
    )
    assert write_gift([q]) == ("// [id:plain-q]\nPick a & b{\n\t=A & B#x\\ny\n\t~%0%%c#<not html\n\t####r & s\n}\n")


def test_html_question_texts_get_format_prefixes_only_where_needed() -> None:
    single = {
        "id": "html-q",
        "type": "single",
        "prompt": "<p>Pick</p>",
        "options": [
            {"id": "a", "text": "A & B", "correct": True, "feedback": "x\ny"},
            {"id": "b", "text": "plain"},
            {"id": "c", "text": "%c", "feedback": "<i>i</i>"},
        ],
        "rationale": "r <b>b</b>",
    }
    expected = (
        "// [id:html-q]\n[html]<p>Pick</p>{\n\t=[moodle]A & B#[moodle]x\\ny\n\t~plain\n\t~%0%%c#<i>i</i>\n\t####<b>b</b>\n}\n"
    )
    single["rationale"] = "<b>b</b>"
    assert write_gift([ADAPTER.validate_python(single)]) == expected
    single["rationale"] = "plain & s"
    assert write_gift([ADAPTER.validate_python(single)]) == expected.replace("<b>b</b>", "[moodle]plain & s")
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {
                "id": "tq",
                "type": "true_false",
                "prompt": "<b>T</b>",
                "answer": True,
                "feedback_wrong": "a & b",
                "rationale": "x > y",
            },
            "// [id:tq]\n[html]<b>T</b>{TRUE#[moodle]a & b####[moodle]x > y}\n",
        ),
        (
            {
                "id": "nq",
                "type": "numeric",
                "prompt": "<i>N</i>",
                "answer": 2,
                "tolerance": 0.5,
                "feedback_wrong": "x<y",
                "rationale": "<b>r</b>",
            },
            "// [id:nq]\n[html]<i>N</i>{#2:0.5\n\t~#[moodle]x<y\n\t####<b>r</b>\n}\n",
        ),
        (
            {"id": "sq", "type": "short_answer", "prompt": "<i>S</i>", "accepted": ["%x", "a&b"], "feedback_wrong": "n\no"},
            "// [id:sq]\n[html]<i>S</i>{\n\t=%100%%x\n\t=[moodle]a&b\n\t=%0%*#[moodle]n\\no\n}\n",
        ),
        (
            {
                "id": "mq",
                "type": "matching",
                "prompt": "<i>M</i>",
                "pairs": [{"id": "p1", "prompt": "a\r\nb", "answer": "c\rd"}, {"id": "p2", "prompt": "e", "answer": "f"}],
                "extra_answers": ["g\r\nh"],
            },
            "// [id:mq]\n[html]<i>M</i>{\n\t=[moodle]a\\nb -> c\\nd\n\t=e -> f\n\t= -> g\\nh\n}\n",
        ),
        (
            {
                "id": "mu",
                "type": "multiple",
                "prompt": "<p>M</p>",
                "options": [
                    {"id": "a", "text": "a&", "correct": True},
                    {"id": "b", "text": "b", "correct": True},
                    {"id": "c", "text": "%c"},
                ],
            },
            "// [id:mu]\n[html]<p>M</p>{\n\t~%50%[moodle]a&\n\t~%50%b\n\t~%-50%%c\n}\n",
        ),
        (
            {"id": "sq2", "type": "short_answer", "prompt": "S", "accepted": ["%x", "a&b"], "feedback_wrong": "n&o"},
            "// [id:sq2]\nS{\n\t=%100%%x\n\t=a&b\n\t=%0%*#n&o\n}\n",
        ),
        (
            {"id": "tq2", "type": "true_false", "prompt": "T", "answer": False, "feedback_wrong": "a & b", "rationale": "x > y"},
            "// [id:tq2]\nT{FALSE#a & b####x > y}\n",
        ),
        (
            {"id": "nq2", "type": "numeric", "prompt": "N", "answer": 2, "feedback_wrong": "x<y", "rationale": "r&s"},
            "// [id:nq2]\nN{#2\n\t~#x<y\n\t####r&s\n}\n",
        ),
        (
            {
                "id": "mq2",
                "type": "matching",
                "prompt": "M",
                "pairs": [{"id": "p1", "prompt": "a & b", "answer": "c"}, {"id": "p2", "prompt": "e", "answer": "f"}],
                "rationale": "r&s",
            },
            "// [id:mq2]\nM{\n\t=a & b -> c\n\t=e -> f\n\t####r&s\n}\n",
        ),
    ]
    for raw, text in cases:
        question = ADAPTER.validate_python(raw)
        assert write_gift([question]) == text, raw["id"]
        if raw["id"] != "mq":  # \r\n and \r are written as new lines
            assert parse_gift(text).questions == (without(question, GIFT_CANNOT_CARRY.get(question.type, ())),)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (
            {"id": "sa", "type": "short_answer", "prompt": "S", "accepted": ["a", "b -> c"]},
            "an accepted answer or the feedback contains '->', which would make Moodle read a matching question",
        ),
        (
            {"id": "sa", "type": "short_answer", "prompt": "S", "accepted": ["a"], "feedback_wrong": "x -> y"},
            "an accepted answer or the feedback contains '->', which would make Moodle read a matching question",
        ),
        (
            {
                "id": "or",
                "type": "ordering",
                "prompt": "Put {these}",
                "items": [{"id": "i1", "text": "a"}, {"id": "i2", "text": "b"}],
            },
            "an ordering question's name and prompt cannot contain '{' in GIFT",
        ),
        (
            {
                "id": "or",
                "type": "ordering",
                "name": "N{",
                "prompt": "P",
                "items": [{"id": "i1", "text": "a"}, {"id": "i2", "text": "b"}],
            },
            "an ordering question's name and prompt cannot contain '{' in GIFT",
        ),
        *(
            (
                {"id": "or", "type": "ordering", "prompt": "P", "items": [{"id": "i1", "text": "a"}, {"id": "i2", "text": text}]},
                f"ordering item {text!r} cannot be written on one GIFT line",
            )
            for text in ("b\nc", "b\rc", "b}", "// b", "####b")
        ),
    ],
)
def test_gift_limitation_names_why_a_question_is_left_out(raw: dict[str, Any], reason: str) -> None:
    question = ADAPTER.validate_python(raw)
    assert gift_limitation(question) == reason
    text = write_gift([question])
    assert text == f"// not exported: question {question.id} ({question.type}): {reason}\n"


def test_questions_gift_can_write_have_no_limitation() -> None:
    for question in every_type():
        assert gift_limitation(question) is None, question.id
    ordering = ADAPTER.validate_python(
        {
            "id": "or",
            "type": "ordering",
            "prompt": "P",
            "items": [{"id": "i1", "text": "a // b"}, {"id": "i2", "text": "b #### c"}],
        }
    )
    assert gift_limitation(ordering) is None
    assert write_gift([ordering], category="  a \n b ") == (
        "$CATEGORY: a b\n\n// [id:or]\nP{>2 ALL VERTICAL ABSOLUTE_POSITION SHOW\na // b\nb #### c\n}\n"
    )


def test_oversized_text_is_refused_at_the_limit_exactly() -> None:
    result = parse_gift("x" * MAX_GIFT_CHARS)
    assert result.refused is None
    result = parse_gift("x" * (MAX_GIFT_CHARS + 1))
    assert result.refused is not None and (result.refused.line, result.refused.question) == (1, None)
    assert result.refused.message.startswith("GIFT text")


def test_only_phps_trim_characters_are_trimmed() -> None:
    """Moodle trims with PHP's trim(), which keeps characters Python's str.strip() removes (here U+001C)."""
    s = "\x1c"
    result = parse_gift(f"$CATEGORY: top{s}\n::N{s}::Q{s}{{=a{s} =b{s}#f{s}####g{s}}}")
    q = result.questions[0]
    assert isinstance(q, model.ShortAnswerQuestion)
    assert (q.name, q.prompt, q.accepted, q.rationale) == (f"N{s}", f"Q{s}", (f"a{s}", f"b{s}"), f"g{s}")
    q = one(f"::N::Q{{=a#f{s} ~b#{s}}}")
    assert isinstance(q, model.SingleQuestion) and [o.feedback for o in q.options] == [f"f{s}", s]
    q = one(f"::N::Q{{F#w{s}#r{s}}}")
    assert isinstance(q, model.TrueFalseQuestion) and q.feedback_wrong == f"w{s}"
    result = parse_gift(f"::N::Q{{F#w#r{s}}}")
    assert problems(result)[0][2] == f"feedback for the right answer ({'r' + s!r}) is not kept (the model has none)"
    q = one(f"::N::Q{{=a{s} -> 1{s} =b -> 2}}")
    assert isinstance(q, model.MatchingQuestion) and (q.pairs[0].prompt, q.pairs[0].answer) == (f"a{s}", f"1{s}")
    q = one(f"::N::Q{{T{s}#x}}")
    assert isinstance(q, model.ShortAnswerQuestion) and q.accepted == (f"T{s}",)
    q = one(f"::N::Q{{>2 ABS\nA{s}\nB\n####r{s}\n}}")
    assert isinstance(q, model.OrderingQuestion)
    assert ([i.text for i in q.items], q.rationale) == ([f"A{s}", "B"], f"r{s}")
    q = one(f"::N::Q{{T}}{s}")
    assert q.prompt == f"Q_____{s}"
    result = parse_gift(f"Q{s} {{~only}}")
    assert problems(result) == [(1, "Q", "a multiple-choice question needs at least two answers", "error")]
    result = parse_gift('::N::Q{T}\x00";')
    assert problems(result) == [(1, "N", "ignored text after the closing brace: '\";'", "warning")]


def test_stray_punctuation_after_the_block_is_reported_on_its_line() -> None:
    result = parse_gift("::N::Q{T\n};")
    assert problems(result) == [(2, "N", "ignored text after the closing brace: ';'", "warning")]
    result = parse_gift("::N::Q{T}\n;")
    assert problems(result) == [(1, "N", "ignored text after the closing brace: ';'", "warning")]


def test_braces_in_a_name_and_an_unclosed_name_after_a_category() -> None:
    assert [(q.name, q.prompt) for q in parse_gift("::a{b::Q{=x}").questions] == [("a{b", "Q")]
    assert [(q.name, q.prompt) for q in parse_gift("::a}b::Q{=x}").questions] == [("a}b", "Q")]
    result = parse_gift("$CATEGORY: c\n::Unclosed{=a}")
    assert [(q.name, q.prompt) for q in result.questions] == [(None, "Unclosed")]


def test_unnamed_questions_are_labelled_by_their_prompt() -> None:
    result = parse_gift("Just a description.\n\nPick one {~only} now\n\n{}")
    assert problems(result) == [
        (1, "Just a description.", "unsupported question type: description", "error"),
        (3, "Pick one", "a multiple-choice question needs at least two answers", "error"),
        (5, None, "unsupported question type: essay", "error"),
    ]


def test_tokens_after_a_tab_and_escaped_brackets_in_tags() -> None:
    q = one("//\t[id:my-id]\t[tag:a\\]b]\n::N::Q{T}")
    assert (q.id, q.tags) == ("my-id", ("a-b",))


def test_report_lines_of_answers_on_later_lines() -> None:
    for text, line, message in (
        ("::N::Say{=a =\n%--50%b}", 2, "invalid answer weight %--50%"),
        ("::N::Q{#\n=1..x}", 2, "'x' is not a number"),
        ("::N::Q{#\n=x..1}", 2, "'x' is not a number"),
        ("::N::Pick\n{\n~a\n~b\n}", 1, "no answer earns any marks, so there is no key"),
        ("::N::Q\n{#\n=%50%3\n}", 1, "no numerical answer earns full marks"),
    ):
        assert [(p.line, p.message) for p in parse_gift(text).errors] == [(line, message)], text


@pytest.mark.parametrize(
    "text",
    ["::N::Q{~%33.0%a ~%67.00%b}", "::N::Q{=%33.0%a =b}", "::N::Q{#\n=3\n=%33.0%4}"],
)
def test_invalid_grades_are_reported_as_written(text: str) -> None:
    result = parse_gift(text)
    assert result.questions == ()
    assert "invalid grade 33.0%" in result.errors[0].message, text


def test_numerical_tilde_positions() -> None:
    q = one("Q{#3} then ~x")
    assert isinstance(q, model.NumericQuestion) and (q.answer, q.prompt) == (3.0, "Q_____ then ~x")
    result = parse_gift("::N::Q{#3 ~a ~b}")
    assert [(q.answer, q.feedback_wrong) for q in result.questions] == [(3.0, None)]  # type: ignore[attr-defined]
    q = one("Q{#3#~#no}")
    assert isinstance(q, model.NumericQuestion) and (q.answer, q.feedback_wrong) == (3.0, "no")


def test_answer_and_item_limits_are_exact() -> None:
    from edu.interchange.report import MAX_ANSWERS

    accepted = " ".join(f"=a{i}" for i in range(MAX_ANSWERS))
    result = parse_gift("::N::Q\n{" + accepted + "}")
    assert result.errors == () or "more than" not in result.errors[0].message
    result = parse_gift("::N::Q\n{" + accepted + " =z}")
    assert problems(result) == [
        (2, "N", f"the question has more than {MAX_ANSWERS} answers (the limit is {MAX_ANSWERS})", "error")
    ]
    items = "\n".join(f"item {i}" for i in range(MAX_ANSWERS))
    result = parse_gift("::N::Q\n{>2 ALL ABS\n" + items + "\n}")
    assert result.errors == () or "more than" not in result.errors[0].message
    result = parse_gift("::N::Q\n{>2 ALL ABS\n" + items + "\nlast\n}")
    assert problems(result) == [(2, "N", f"the question has more than {MAX_ANSWERS} items (the limit is {MAX_ANSWERS})", "error")]


def test_ordering_counts() -> None:
    seven = "\n".join("ABCDEFG")
    for header, note in (
        (">7 ABS", None),
        (">0 ABS", "Moodle shows a random subset of 6 items; here all 7 are used"),
        (">000 ABS", "Moodle shows a random subset of 6 items; here all 7 are used"),
        (">" + "9" * 5000 + " ABS", "Moodle shows a random subset of 6 items; here all 7 are used"),
        (">3 EXACT ABS", None),
        (">3 ALL ABSOLUTE", None),
        (">3 ALL ABSOLUTE_POSITION", None),
    ):
        result = parse_gift(f"::N::Q{{{header}\n{seven}\n}}")
        assert [p.message for p in result.problems] == ([note] if note else []), header[:20]
    ten = "\n".join("ABCDEFGHIJ")
    assert parse_gift(f"::N::Q{{>10 ABS\n{ten}\n}}").problems == ()
    q = one("::N::Q{>2 ALL ABS\nA\nB\n####Why\n}")
    assert q.rationale == "Why"


def test_plain_text_with_an_x_in_an_html_question_has_no_prefix() -> None:
    q = ADAPTER.validate_python(
        {
            "id": "xq",
            "type": "single",
            "prompt": "<p>X?</p>",
            "options": [{"id": "a", "text": "X-ray", "correct": True}, {"id": "b", "text": "MRI"}],
        }
    )
    assert write_gift([q]) == "// [id:xq]\n[html]<p>X?</p>{\n\t=X-ray\n\t~MRI\n}\n"


def test_too_many_categories_are_refused_at_the_line_that_passes_the_limit() -> None:
    from edu.interchange.report import MAX_CATEGORIES

    text = "\n\n".join(f"$CATEGORY: c{i}" for i in range(MAX_CATEGORIES + 1))
    result = parse_gift(text)
    assert result.refused is not None and result.refused.line == 2 * MAX_CATEGORIES + 1
    assert len(parse_gift("\n\n".join(f"$CATEGORY: c{i}" for i in range(MAX_CATEGORIES))).categories) == MAX_CATEGORIES
