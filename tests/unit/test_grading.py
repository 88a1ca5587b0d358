"""Graders of edu/quizzes/grading.py: the rules of courses/README.md ("Per type"), one type at a time, then
normalise_response against hostile input, then properties over generated questions and responses."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edu.content.model import (
    MatchingQuestion,
    MultipleQuestion,
    NumericQuestion,
    Option,
    OrderingQuestion,
    OrderItem,
    Pair,
    Question,
    ShortAnswerQuestion,
    SingleQuestion,
    TrueFalseQuestion,
)
from edu.quizzes.grading import (
    MAX_FRACTION,
    UNANSWERED,
    Grade,
    _within,
    grade,
    key_for,
    max_fraction,
    normalise_response,
    option_feedback,
    parse_number,
)
from tests.property_budget import max_examples

WRONG = "Review the lesson on the local twitch response."

SINGLE = SingleQuestion(
    type="single",
    id="s-1",
    prompt="Which one?",
    options=(
        Option(id="a", text="Right", correct=True, feedback="Yes."),
        Option(id="b", text="Wrong with feedback", feedback="B confuses spasm with twitch."),
        Option(id="c", text="Wrong without feedback"),
    ),
    feedback_wrong=WRONG,
)
SINGLE_BARE = SINGLE.model_copy(update={"feedback_wrong": None})

MULTIPLE = MultipleQuestion(
    type="multiple",
    id="m-1",
    prompt="Which ones?",
    options=(
        Option(id="a", text="Right 1", correct=True),
        Option(id="b", text="Right 2", correct=True),
        Option(id="c", text="Right 3", correct=True),
        Option(id="d", text="Wrong 1", feedback="D is a contraindication."),
        Option(id="e", text="Wrong 2", feedback="E is outside the scope."),
        Option(id="f", text="Wrong 3"),
    ),
    feedback_wrong=WRONG,
)
MULTIPLE_AON = MULTIPLE.model_copy(update={"scoring": "all_or_nothing"})

TRUE_FALSE = TrueFalseQuestion(type="true_false", id="tf-1", prompt="True?", answer=False, feedback_wrong=WRONG)

MATCHING = MatchingQuestion(
    type="matching",
    id="mt-1",
    prompt="Match.",
    pairs=(
        Pair(id="p1", prompt="Trapezius", answer="Neck"),
        Pair(id="p2", prompt="Gluteus medius", answer="Hip"),
        Pair(id="p3", prompt="Gastrocnemius", answer="Calf"),
        Pair(id="p4", prompt="Infraspinatus", answer="Shoulder"),
    ),
    extra_answers=("Wrist",),
    feedback_wrong=WRONG,
)

ORDERING = OrderingQuestion(
    type="ordering",
    id="o-1",
    prompt="Order the steps.",
    items=(
        OrderItem(id="wash", text="Wash hands"),
        OrderItem(id="palpate", text="Palpate"),
        OrderItem(id="insert", text="Insert"),
        OrderItem(id="dispose", text="Dispose"),
    ),
    feedback_wrong=WRONG,
)

SHORT = ShortAnswerQuestion(
    type="short_answer",
    id="sa-1",
    prompt="Name it.",
    accepted=("Local twitch response", "LTR"),
    feedback_wrong=WRONG,
)

NUMERIC = NumericQuestion(
    type="numeric", id="n-1", prompt="How many mm?", answer=0.3, tolerance=0.1, unit="mm", feedback_wrong=WRONG
)
NUMERIC_EXACT = NumericQuestion(type="numeric", id="n-2", prompt="How many?", answer=30, feedback_wrong=WRONG)

ALL_QUESTIONS: tuple[Question, ...] = (
    SINGLE,
    SINGLE_BARE,
    MULTIPLE,
    MULTIPLE_AON,
    TRUE_FALSE,
    MATCHING,
    ORDERING,
    SHORT,
    NUMERIC,
    NUMERIC_EXACT,
)


def assert_grade(result: Grade, fraction: float, state: str, feedback: tuple[str, ...] = ()) -> None:
    assert result.fraction == pytest.approx(fraction, abs=1e-12)
    assert result.state == state
    assert result.feedback == feedback


# --- common ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q.id)
def test_none_is_unanswered_for_every_type(question: Question) -> None:
    assert normalise_response(question, None) is None
    assert grade(question, None) == UNANSWERED
    assert_grade(grade(question, None), 0.0, "unanswered")


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q.id)
def test_max_fraction_is_one(question: Question) -> None:
    assert max_fraction(question) == MAX_FRACTION == 1.0
    assert key_for(question)["max_fraction"] == 1.0


@pytest.mark.parametrize("question", ALL_QUESTIONS, ids=lambda q: q.id)
def test_key_grades_correct_and_is_canonical_json(question: Question) -> None:
    key = key_for(question)
    assert key["type"] == question.type
    assert normalise_response(question, key["response"]) == key["response"]
    assert_grade(grade(question, key["response"]), 1.0, "correct")
    json.dumps(key)


def test_grade_is_frozen() -> None:
    result = grade(SINGLE, "a")
    with pytest.raises(AttributeError):
        result.fraction = 0.5  # type: ignore[misc]


def test_not_a_question_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^not a question: str$"):
        normalise_response("not a question", "a")  # type: ignore[arg-type]


def test_normalise_swallows_objects_that_raise() -> None:
    class Hostile(str):
        def strip(self, chars: str | None = None) -> str:
            raise RuntimeError("boom")

    assert normalise_response(SINGLE, Hostile("a")) is None


# --- single ---------------------------------------------------------------------------------------------------------


def test_single_correct() -> None:
    assert_grade(grade(SINGLE, "a"), 1.0, "correct")


def test_single_wrong_option_gets_its_own_feedback() -> None:
    assert_grade(grade(SINGLE, "b"), 0.0, "incorrect", ("B confuses spasm with twitch.",))


def test_single_wrong_option_without_feedback_falls_back_to_feedback_wrong() -> None:
    assert_grade(grade(SINGLE, "c"), 0.0, "incorrect", (WRONG,))


def test_single_wrong_without_any_feedback() -> None:
    assert_grade(grade(SINGLE_BARE, "c"), 0.0, "incorrect", ())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a", "a"),
        ("  b\n", "b"),
        (["c"], "c"),
        (("a",), "a"),
        ("", None),
        ("   ", None),
        ("z", None),
        ("A", None),
        (["a", "b"], None),
        ([], None),
        (1, None),
        (True, None),
        ({"a": 1}, None),
        ("a" * 10_000, None),
        ([["a"]], None),
    ],
)
def test_single_normalise(raw: Any, expected: str | None) -> None:
    assert normalise_response(SINGLE, raw) == expected


# --- multiple -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "fraction", "state"),
    [
        (["a", "b", "c"], 1.0, "correct"),
        (["a", "b"], 2 / 3, "partial"),
        (["a"], 1 / 3, "partial"),
        (["a", "b", "c", "d"], 2 / 3, "partial"),
        (["a", "b", "d"], 1 / 3, "partial"),
        (["a", "d"], 0.0, "incorrect"),
        (["a", "d", "e"], 0.0, "incorrect"),
        (["d", "e", "f"], 0.0, "incorrect"),
        (["a", "b", "c", "d", "e", "f"], 0.0, "incorrect"),
    ],
)
def test_multiple_partial_scoring(chosen: list[str], fraction: float, state: str) -> None:
    result = grade(MULTIPLE, chosen)
    assert result.fraction == pytest.approx(fraction)
    assert result.state == state


def test_multiple_partial_is_floored_at_zero_not_negative() -> None:
    assert grade(MULTIPLE, ["a", "d", "e", "f"]).fraction == 0.0


def test_multiple_feedback_lists_each_wrong_choice_with_feedback_in_option_order() -> None:
    result = grade(MULTIPLE, ["f", "e", "d", "a"])
    assert result.feedback == ("D is a contraindication.", "E is outside the scope.")


def test_multiple_missed_option_gets_feedback_wrong() -> None:
    assert grade(MULTIPLE, ["a", "b"]).feedback == (WRONG,)


def test_multiple_wrong_option_without_feedback_gets_feedback_wrong() -> None:
    assert grade(MULTIPLE, ["a", "b", "c", "f"]).feedback == (WRONG,)


def test_multiple_correct_has_no_feedback() -> None:
    assert grade(MULTIPLE, ["c", "b", "a"]).feedback == ()


@pytest.mark.parametrize(
    ("chosen", "fraction", "state"),
    [
        (["a", "b", "c"], 1.0, "correct"),
        (["a", "b"], 0.0, "incorrect"),
        (["a", "b", "c", "f"], 0.0, "incorrect"),
    ],
)
def test_multiple_all_or_nothing(chosen: list[str], fraction: float, state: str) -> None:
    result = grade(MULTIPLE_AON, chosen)
    assert (result.fraction, result.state) == (fraction, state)


def test_multiple_with_one_key() -> None:
    question = MultipleQuestion(
        type="multiple",
        id="m-2",
        prompt="Which?",
        options=(Option(id="x", text="X", correct=True), Option(id="y", text="Y")),
    )
    assert_grade(grade(question, ["x"]), 1.0, "correct")
    assert_grade(grade(question, ["x", "y"]), 0.0, "incorrect")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["c", "a", "b"], ["a", "b", "c"]),
        (["a", "a", " a "], ["a"]),
        ("b", ["b"]),
        (("b", "a"), ["a", "b"]),
        ([], None),
        ("", None),
        (["a", "zz"], None),
        (["a", ""], None),
        (["a", 1], None),
        (["a", None], None),
        ({"a": True}, None),
        (True, None),
        (["a"] * 65, None),
        (["a" * 41], None),
    ],
)
def test_multiple_normalise(raw: Any, expected: list[str] | None) -> None:
    assert normalise_response(MULTIPLE, raw) == expected


# --- true/false -----------------------------------------------------------------------------------------------------


def test_true_false_correct_and_wrong() -> None:
    assert_grade(grade(TRUE_FALSE, False), 1.0, "correct")
    assert_grade(grade(TRUE_FALSE, True), 0.0, "incorrect", (WRONG,))
    assert_grade(grade(TRUE_FALSE, "false"), 1.0, "correct")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        ("False", False),
        (" TRUE ", True),
        ("yes", None),
        ("", None),
        ("1", None),
        (1, None),
        (0, None),
        (None, None),
        (["true"], None),
        ("true" * 100, None),
    ],
)
def test_true_false_normalise(raw: Any, expected: bool | None) -> None:
    assert normalise_response(TRUE_FALSE, raw) is expected


# --- matching -------------------------------------------------------------------------------------------------------


def test_matching_all_pairs() -> None:
    response = {"p1": "Neck", "p2": "Hip", "p3": "Calf", "p4": "Shoulder"}
    assert_grade(grade(MATCHING, response), 1.0, "correct")


def test_matching_share_of_pairs() -> None:
    response = {"p1": "Neck", "p2": "Calf", "p3": "Hip", "p4": "Shoulder"}
    assert_grade(grade(MATCHING, response), 0.5, "partial", (WRONG,))


def test_matching_unanswered_pairs_count_as_wrong() -> None:
    assert_grade(grade(MATCHING, {"p1": "Neck"}), 0.25, "partial", (WRONG,))


def test_matching_distractor_chosen_everywhere() -> None:
    response = {"p1": "Wrist", "p2": "Wrist", "p3": "Wrist", "p4": "Wrist"}
    assert_grade(grade(MATCHING, response), 0.0, "incorrect", (WRONG,))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"p2": " Hip ", "p1": "Neck"}, {"p1": "Neck", "p2": "Hip"}),
        ({"p1": "Neck", "nope": "Hip"}, {"p1": "Neck"}),
        ({"p1": "Neck", 7: "Hip"}, {"p1": "Neck"}),
        ({"p1": "Neck", "p2": ""}, {"p1": "Neck"}),
        ({"p1": "Wrist"}, {"p1": "Wrist"}),
        ({"p1": "neck"}, None),
        ({"p1": "Elbow"}, None),
        ({"p1": 3}, None),
        ({"p1": ["Neck"]}, None),
        ({"p1": "N" * 20_001}, None),
        ({}, None),
        ({"p1": ""}, None),
        ({"unknown": "Neck"}, None),
        (["p1", "Neck"], None),
        ("p1=Neck", None),
        ({f"k{i}": "Neck" for i in range(65)}, None),
    ],
)
def test_matching_normalise(raw: Any, expected: dict[str, str] | None) -> None:
    assert normalise_response(MATCHING, raw) == expected


# --- ordering -------------------------------------------------------------------------------------------------------


def test_ordering_correct() -> None:
    assert_grade(grade(ORDERING, ["wash", "palpate", "insert", "dispose"]), 1.0, "correct")


def test_ordering_share_in_position() -> None:
    assert_grade(grade(ORDERING, ["wash", "palpate", "dispose", "insert"]), 0.5, "partial", (WRONG,))


def test_ordering_nothing_in_place() -> None:
    assert_grade(grade(ORDERING, ["dispose", "insert", "palpate", "wash"]), 0.0, "incorrect", (WRONG,))


def test_ordering_rotation_scores_zero() -> None:
    assert grade(ORDERING, ["palpate", "insert", "dispose", "wash"]).fraction == 0.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (["insert", "wash", "palpate", "dispose"], ["insert", "wash", "palpate", "dispose"]),
        ("wash, palpate,insert ,dispose", ["wash", "palpate", "insert", "dispose"]),
        ((" wash", "palpate", "insert", "dispose"), ["wash", "palpate", "insert", "dispose"]),
        (["wash", "palpate", "insert"], None),
        (["wash", "palpate", "insert", "insert"], None),
        (["wash", "palpate", "insert", "dispose", "dispose"], None),
        (["wash", "palpate", "insert", "other"], None),
        (["wash", "palpate", "insert", 4], None),
        ("", None),
        ([], None),
        ({"wash": 1}, None),
        ("," * 10_000, None),
    ],
)
def test_ordering_normalise(raw: Any, expected: list[str] | None) -> None:
    assert normalise_response(ORDERING, raw) == expected


# --- short answer ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["Local twitch response", "local twitch response", "  LOCAL   twitch\tresponse ", "ltr", "LTR", "ＬＴＲ"],
)
def test_short_answer_accepted(typed: str) -> None:
    assert_grade(grade(SHORT, typed), 1.0, "correct")


@pytest.mark.parametrize("typed", ["local twitch", "LTRs", "L T R", "twitch response local"])
def test_short_answer_wrong(typed: str) -> None:
    assert_grade(grade(SHORT, typed), 0.0, "incorrect", (WRONG,))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  LTR \n", "LTR"),
        ("two  spaces kept", "two  spaces kept"),
        ("x" * 300, "x" * 300),
        (" " + "x" * 300 + " ", "x" * 300),
        ("x" * 301, None),
        ("x" * 2_000, None),
        ("", None),
        ("   ", None),
        ("bad\x00nul", None),
        ("bell\x07", None),
        ("line\nbreak", "line\nbreak"),
        (42, None),
        (["LTR"], None),
        (True, None),
    ],
)
def test_short_answer_normalise(raw: Any, expected: str | None) -> None:
    assert normalise_response(SHORT, raw) == expected


# --- numeric --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["0.3", "0.2", "0.4", "0,4", ".4", "+0.35", "3e-1", "4E-1", "0.4 mm", "0.4MM", "0.2mm"])
def test_numeric_within_tolerance(typed: str) -> None:
    assert_grade(grade(NUMERIC, typed), 1.0, "correct")


@pytest.mark.parametrize("typed", ["0.41", "0.19", "-0.3", "1", "4"])
def test_numeric_outside_tolerance(typed: str) -> None:
    assert_grade(grade(NUMERIC, typed), 0.0, "incorrect", (WRONG,))


def test_numeric_float_error_never_fails_a_correct_answer() -> None:
    # |0.4 - 0.3| is 0.10000000000000003 in binary floating point: without the epsilon this would be wrong.
    assert abs(0.4 - 0.3) > 0.1
    assert grade(NUMERIC, "0.4").state == "correct"
    point_three = NumericQuestion(type="numeric", id="n-3", prompt="0.1 + 0.2?", answer=0.1 + 0.2)
    assert grade(point_three, "0.3").state == "correct"
    big = NumericQuestion(type="numeric", id="n-4", prompt="?", answer=1e20, tolerance=0.5)
    assert grade(big, "100000000000000000000").state == "correct"


def test_numeric_zero_tolerance_is_exact() -> None:
    assert grade(NUMERIC_EXACT, "30").state == "correct"
    assert grade(NUMERIC_EXACT, "30,0").state == "correct"
    assert grade(NUMERIC_EXACT, "3e1").state == "correct"
    assert grade(NUMERIC_EXACT, "30.001").state == "incorrect"
    assert grade(NUMERIC_EXACT, "29.999999").state == "incorrect"


def test_numeric_tiny_answers_are_not_swamped_by_the_epsilon() -> None:
    tiny = NumericQuestion(type="numeric", id="n-5", prompt="?", answer=1e-12)
    assert grade(tiny, "1e-12").state == "correct"
    assert grade(tiny, "2e-12").state == "incorrect"
    assert grade(tiny, "0").state == "incorrect"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 3.5 ", "3.5"),
        ("3,5", "3,5"),
        ("-2", "-2"),
        ("+2.", "+2."),
        (",5", ",5"),
        ("1e5", "1e5"),
        ("1.5E+3", "1.5E+3"),
        ("0.3 mm", "0.3 mm"),
        (3, "3"),
        (3.5, "3.5"),
        (-0.0, "-0.0"),
        ("nan", None),
        ("NaN", None),
        ("inf", None),
        ("-Infinity", None),
        ("1e999", None),
        (float("nan"), None),
        (float("inf"), None),
        (10**400, None),
        (1e301, None),
        (True, None),
        ("", None),
        ("mm", None),
        ("3.5 cm", None),
        ("1,000.5", None),
        ("1.2.3", None),
        ("3 .5", None),
        ("0x10", None),
        ("1_000", None),
        ("٣", None),
        ("e5", None),
        ("+", None),
        (".", None),
        ("1" * 51, None),
        ("1" * 1_000, None),
        (["3"], None),
        ({"value": 3}, None),
    ],
)
def test_numeric_normalise(raw: Any, expected: str | None) -> None:
    assert normalise_response(NUMERIC, raw) == expected


def test_numeric_without_unit_rejects_a_unit() -> None:
    assert normalise_response(NUMERIC_EXACT, "30 mm") is None


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [("3,5", None, 3.5), ("-1e-3", None, -0.001), ("  7 kg", "kg", 7.0), ("7kg", "KG", 7.0), ("kg", "kg", None)],
)
def test_parse_number(text: str, unit: str | None, value: float | None) -> None:
    assert parse_number(text, unit) == value


def test_key_for_extras() -> None:
    assert key_for(SHORT) == {
        "type": "short_answer",
        "response": "Local twitch response",
        "max_fraction": 1.0,
        "accepted": ["Local twitch response", "LTR"],
    }
    assert key_for(NUMERIC) == {
        "type": "numeric",
        "response": "0.3",
        "max_fraction": 1.0,
        "tolerance": 0.1,
        "unit": "mm",
    }
    assert key_for(MULTIPLE)["response"] == ["a", "b", "c"]
    assert key_for(MATCHING)["response"] == {"p1": "Neck", "p2": "Hip", "p3": "Calf", "p4": "Shoulder"}
    assert key_for(ORDERING)["response"] == ["wash", "palpate", "insert", "dispose"]
    assert key_for(TRUE_FALSE)["response"] is False
    assert key_for(SINGLE)["response"] == "a"


# --- boundaries and orderings that `make mutation` found unpinned --------------------------------------------------


def test_matching_blank_first_pair_keeps_the_pairs_after_it() -> None:
    # The ordinary form post where the learner leaves the first pair blank: the rest is still graded.
    assert normalise_response(MATCHING, {"p1": "", "p2": "Hip"}) == {"p2": "Hip"}
    assert_grade(grade(MATCHING, {"p1": "", "p2": "Hip", "p3": "Calf"}), 0.5, "partial", (WRONG,))


def test_matching_unknown_pair_before_a_known_one_is_skipped_not_the_end() -> None:
    assert normalise_response(MATCHING, {"unknown": "Neck", "p2": "Hip"}) == {"p2": "Hip"}
    assert normalise_response(MATCHING, {7: "Neck", "p3": "Calf"}) == {"p3": "Calf"}


def test_matching_mapping_size_cap() -> None:
    at_cap = {"p1": "Neck"} | {f"k{i}": "Neck" for i in range(63)}
    over_cap = {"p1": "Neck"} | {f"k{i}": "Neck" for i in range(64)}
    assert (len(at_cap), len(over_cap)) == (64, 65)
    assert normalise_response(MATCHING, at_cap) == {"p1": "Neck"}
    assert normalise_response(MATCHING, over_cap) is None


LONG_IDS = SingleQuestion(
    type="single",
    id="s-long",
    prompt="Which one?",
    options=(
        Option(id="a" * 40, text="Right", correct=True),
        Option(id="b" * 11, text="Wrong"),
    ),
)


def test_option_ids_up_to_forty_characters_are_read() -> None:
    assert normalise_response(LONG_IDS, "a" * 40) == "a" * 40
    assert normalise_response(LONG_IDS, "b" * 11) == "b" * 11
    assert_grade(grade(LONG_IDS, "a" * 40), 1.0, "correct")
    assert_grade(grade(LONG_IDS, ["b" * 11]), 0.0, "incorrect")
    assert normalise_response(LONG_IDS, "a" * 41) is None


@pytest.mark.parametrize(
    ("question", "fits", "expected", "one_more"),
    [
        # _id: at most 4 * MAX_ID = 160 characters before stripping.
        (SINGLE, "a".center(160), "a", "a".center(161)),
        # true/false strings: at most 10 characters before stripping.
        (TRUE_FALSE, "true".center(10), True, "true".center(11)),
        # matching answers: at most MAX_ANSWER_TEXT = 20,000 characters before stripping.
        (MATCHING, {"p1": "Neck".ljust(20_000)}, {"p1": "Neck"}, {"p1": "Neck".ljust(20_001)}),
        # short answers: at most 4 * 300 = 1,200 characters before stripping.
        (SHORT, "twitch" + " " * 1_194, "twitch", "twitch" + " " * 1_195),
        # numeric entries: at most 4 * 50 = 200 characters before stripping, then at most 50.
        (NUMERIC, "3.5".center(200), "3.5", "3.5".center(201)),
        (NUMERIC_EXACT, "3." + "5" * 48, "3." + "5" * 48, "3." + "5" * 49),
    ],
    ids=["id", "true_false", "matching", "short_answer", "numeric_padded", "numeric_digits"],
)
def test_length_caps_accept_exactly_the_cap(question: Question, fits: Any, expected: Any, one_more: Any) -> None:
    assert normalise_response(question, fits) == expected
    assert normalise_response(question, one_more) is None


def test_id_list_of_sixty_four_is_read() -> None:
    assert normalise_response(MULTIPLE, ["a"] * 64) == ["a"]
    assert normalise_response(MULTIPLE, ["a"] * 65) is None


def test_parse_number_length_cap() -> None:
    assert parse_number("3." + "5" * 48) == pytest.approx(3.5555555555555554)
    assert parse_number("3." + "5" * 49) is None


def test_json_number_at_the_magnitude_cap() -> None:
    assert normalise_response(NUMERIC_EXACT, 1e300) == "1e+300"
    assert normalise_response(NUMERIC_EXACT, -1e300) == "-1e+300"
    assert normalise_response(NUMERIC_EXACT, 1e301) is None


@pytest.mark.parametrize(
    ("value", "answer", "tolerance"),
    [(2 + 1.5e-9, 1.0, 1.0), (1 - 1.5e-9, 2.0, 1.0), (-0.6 - 1e-9, 0.6, 1.2)],
)
def test_relative_slack_scales_with_the_largest_of_value_answer_and_tolerance(
    value: float, answer: float, tolerance: float
) -> None:
    # Each case is just outside the tolerance and inside 1e-9 of exactly one of |value|, |answer| and tolerance.
    assert abs(value - answer) > tolerance
    assert _within(value, answer, tolerance)
    assert not _within(value + math.copysign(2e-8, value - answer), answer, tolerance)


# --- properties -----------------------------------------------------------------------------------------------------

PROPERTY = settings(database=None, max_examples=max_examples(300), deadline=None)

option_ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,8}", fullmatch=True)
texts = st.text(alphabet="abcdefXYZ 0123-", min_size=1, max_size=20).filter(lambda s: s.strip() != "")


@st.composite
def choice_options(draw: st.DrawFn, exactly_one: bool) -> tuple[Option, ...]:
    ids = draw(st.lists(option_ids, min_size=2, max_size=12, unique=True))
    if exactly_one:
        key = draw(st.integers(0, len(ids) - 1))
        flags = [i == key for i in range(len(ids))]
    else:
        flags = draw(st.lists(st.booleans(), min_size=len(ids), max_size=len(ids)).filter(any))
    feedback = draw(st.lists(st.none() | texts, min_size=len(ids), max_size=len(ids)))
    return tuple(
        Option(id=i, text=f"option {i}", correct=c, feedback=None if c else f)
        for i, c, f in zip(ids, flags, feedback, strict=True)
    )


@st.composite
def single_questions(draw: st.DrawFn) -> SingleQuestion:
    return SingleQuestion(type="single", id="s-x", prompt="?", options=draw(choice_options(exactly_one=True)))


@st.composite
def multiple_questions(draw: st.DrawFn, scoring: str | None = None) -> MultipleQuestion:
    chosen_scoring = scoring or draw(st.sampled_from(["partial", "all_or_nothing"]))
    return MultipleQuestion(
        type="multiple",
        id="m-x",
        prompt="?",
        scoring=chosen_scoring,
        options=draw(choice_options(exactly_one=False)),
        feedback_wrong=draw(st.none() | texts),
    )


@st.composite
def matching_questions(draw: st.DrawFn) -> MatchingQuestion:
    ids = draw(st.lists(option_ids, min_size=2, max_size=12, unique=True))
    extras = draw(st.integers(0, 3))
    return MatchingQuestion(
        type="matching",
        id="mt-x",
        prompt="?",
        pairs=tuple(Pair(id=i, prompt=f"prompt {i}", answer=f"answer {n}") for n, i in enumerate(ids)),
        extra_answers=tuple(f"extra {n}" for n in range(extras)),
    )


@st.composite
def ordering_questions(draw: st.DrawFn) -> OrderingQuestion:
    ids = draw(st.lists(option_ids, min_size=2, max_size=12, unique=True))
    return OrderingQuestion(type="ordering", id="o-x", prompt="?", items=tuple(OrderItem(id=i, text=f"item {i}") for i in ids))


@st.composite
def short_questions(draw: st.DrawFn) -> ShortAnswerQuestion:
    accepted = draw(st.lists(texts, min_size=1, max_size=4))
    return ShortAnswerQuestion(type="short_answer", id="sa-x", prompt="?", accepted=tuple(accepted))


@st.composite
def numeric_questions(draw: st.DrawFn) -> NumericQuestion:
    return NumericQuestion(
        type="numeric",
        id="n-x",
        prompt="?",
        answer=draw(st.floats(allow_nan=False, allow_infinity=False)),
        tolerance=draw(st.just(0.0) | st.floats(min_value=0, max_value=1e6)),
        unit=draw(st.sampled_from([None, "mm", "kg", "%"])),
    )


questions = st.one_of(
    single_questions(),
    multiple_questions(),
    st.builds(TrueFalseQuestion, type=st.just("true_false"), id=st.just("tf-x"), prompt=st.just("?"), answer=st.booleans()),
    matching_questions(),
    ordering_questions(),
    short_questions(),
    numeric_questions(),
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=60),
    st.sampled_from(["a", "b", "true", "false", "3,5", "1e999", "nan", "answer 0", "extra 0", "option a"]),
    option_ids,
)
json_like = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=8) | st.dictionaries(st.text(max_size=10) | option_ids, children, max_size=8),
    max_leaves=30,
)


@st.composite
def question_and_plausible_response(draw: st.DrawFn) -> tuple[Question, Any]:
    """A question and a response built from its own ids and answers, so the valid branches get exercised too."""
    question = draw(questions)
    key = key_for(question)["response"]
    if isinstance(key, list):
        response: Any = draw(st.permutations(key)) if isinstance(question, OrderingQuestion) else None
        if isinstance(question, MultipleQuestion):
            ids = [o.id for o in question.options]
            response = draw(st.lists(st.sampled_from(ids), max_size=len(ids)))
    elif isinstance(key, dict):
        answers = list(key.values()) + list(getattr(question, "extra_answers", ()))
        response = draw(st.dictionaries(st.sampled_from(list(key)), st.sampled_from(answers)))
    elif isinstance(question, SingleQuestion):
        response = draw(st.sampled_from([o.id for o in question.options]))
    elif isinstance(question, NumericQuestion):
        response = draw(st.floats() | st.text(alphabet="0123456789.,-+eE m", max_size=12))
    else:
        response = draw(st.booleans() | texts)
    return question, draw(st.just(response) | json_like)


def _valid_grade(result: Grade) -> None:
    assert 0.0 <= result.fraction <= 1.0
    assert not math.isnan(result.fraction)
    expected_state = {1.0: "correct", 0.0: "incorrect"}.get(result.fraction, "partial")
    if result.state != "unanswered":
        assert result.state == expected_state
    else:
        assert result.fraction == 0.0 and result.feedback == ()
    if result.state == "correct":
        assert result.feedback == ()


@PROPERTY
@given(question_and_plausible_response())
def test_fraction_always_within_bounds(case: tuple[Question, Any]) -> None:
    question, response = case
    _valid_grade(grade(question, response))


@PROPERTY
@given(questions)
def test_grading_the_key_gives_full_marks(question: Question) -> None:
    key = key_for(question)["response"]
    result = grade(question, key)
    assert (result.fraction, result.state, result.feedback) == (1.0, "correct", ())


@PROPERTY
@given(question_and_plausible_response())
def test_normalise_never_raises_and_is_idempotent_json(case: tuple[Question, Any]) -> None:
    question, raw = case
    canonical = normalise_response(question, raw)
    if canonical is not None:
        assert normalise_response(question, canonical) == canonical
        assert json.loads(json.dumps(canonical)) == canonical


@PROPERTY
@given(st.sampled_from(ALL_QUESTIONS), json_like)
def test_normalise_never_raises_on_arbitrary_json(question: Question, raw: Any) -> None:
    canonical = normalise_response(question, raw)
    assert canonical is None or isinstance(canonical, str | bool | list | dict)
    _valid_grade(grade(question, raw))


@PROPERTY
@given(multiple_questions(scoring="partial"), st.data())
def test_adding_a_wrong_option_never_increases_the_fraction(question: MultipleQuestion, data: st.DataObject) -> None:
    ids = [o.id for o in question.options]
    chosen = data.draw(st.lists(st.sampled_from(ids), unique=True))
    wrong_left = [o.id for o in question.options if not o.correct and o.id not in chosen]
    if not wrong_left:
        return
    extra = data.draw(st.sampled_from(wrong_left))
    assert grade(question, [*chosen, extra]).fraction <= grade(question, chosen).fraction


@PROPERTY
@given(multiple_questions(scoring="partial"), st.data())
def test_partial_fraction_matches_the_readme_formula(question: MultipleQuestion, data: st.DataObject) -> None:
    chosen = set(data.draw(st.lists(st.sampled_from([o.id for o in question.options]), min_size=1, unique=True)))
    correct = {o.id for o in question.options if o.correct}
    expected = max(0.0, (len(chosen & correct) - len(chosen - correct)) / len(correct))
    assert grade(question, sorted(chosen)).fraction == pytest.approx(expected)


@PROPERTY
@given(numeric_questions(), st.floats(min_value=-1.0, max_value=1.0))
def test_numeric_inside_tolerance_is_correct(question: NumericQuestion, share: float) -> None:
    value = question.answer + share * question.tolerance
    if not math.isfinite(value) or abs(value) > 1e300:
        return
    assert grade(question, repr(value)).state == "correct"


# --- feedback that does not give the key away (review part 'option_feedback') ------------------------------------


def test_option_feedback_is_the_wrong_single_option_chosen_and_never_the_questions_fallback() -> None:
    assert option_feedback(SINGLE, "b") == ("B confuses spasm with twitch.",)
    assert option_feedback(SINGLE, "c") == (), "feedback_wrong may be the worked answer: no fallback to it"
    assert option_feedback(SINGLE, "a") == (), "a right choice needs none (and its feedback could confirm the key)"
    assert option_feedback(SINGLE, None) == () and option_feedback(SINGLE, "zz") == ()


def test_option_feedback_of_a_single_question_does_not_depend_on_which_other_option_is_right() -> None:
    other_key = SINGLE.model_copy(
        update={"options": tuple(o.model_copy(update={"correct": o.id == "c"}) for o in SINGLE.options)}
    )
    assert option_feedback(other_key, "b") == option_feedback(SINGLE, "b") == grade(SINGLE, "b").feedback


def test_option_feedback_of_true_false_is_feedback_wrong_on_a_wrong_answer() -> None:
    assert option_feedback(TRUE_FALSE, True) == (WRONG,) and option_feedback(TRUE_FALSE, False) == ()


@pytest.mark.parametrize(
    ("question", "wrong"),
    [
        (MULTIPLE, ["d"]),
        (MULTIPLE, ["a", "e"]),
        (MATCHING, {"p1": "Wrist"}),
        (ORDERING, ["dispose", "insert", "palpate", "wash"]),
        (SHORT, "dermis"),
        (NUMERIC, "9"),
    ],
    ids=lambda v: getattr(v, "id", ""),
)
def test_option_feedback_is_nothing_for_the_other_types(question: Question, wrong: Any) -> None:
    """A multiple-answer question's per-option feedback would say which chosen options were wrong (more than a partial
    mark says); the other types' feedback_wrong is often the worked answer."""
    assert grade(question, wrong).feedback, "the full review has feedback for this answer"
    assert option_feedback(question, wrong) == ()
