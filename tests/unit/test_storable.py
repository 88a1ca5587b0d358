"""What a database column can hold (edu/storable.py): identifiers, text, JSON depth, and stored text read back."""

from __future__ import annotations

import json

import pytest

from edu.storable import (
    MAX_ID,
    MAX_JSON_DEPTH,
    REPLACEMENT,
    UnusableJSON,
    clean_stored,
    coerce_id,
    load_json,
    load_stored_json,
    parse_id,
    unstorable,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(MAX_ID), MAX_ID),
        (MAX_ID, MAX_ID),
        (str(MAX_ID + 1), None),
        (2**63, None),
        ("0", None),
        ("-1", None),
        ("", None),
        ("abc", None),
        ("1.5", None),
        ("\u00b2", None),  # str.isdigit() says yes, int() raises
        ("\u0663", None),  # int() reads it as 3: one address per identifier, so refused
        ("9" * 5000, None),  # int() raises past 4,300 digits
        (True, None),
        (None, None),
        (["1"], None),
    ],
)
def test_parse_id_takes_only_ascii_digits_within_the_integer_range(raw, expected):
    assert parse_id(raw) == expected


def test_coerce_id_raises_value_error_for_what_parse_id_refuses():
    assert coerce_id("7") == 7
    with pytest.raises(ValueError):
        coerce_id(str(2**31))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("plain text, accents é, emoji \U0001f600, tab\tand newline\n", None),
        ("a\x00b", "a NUL character"),
        ("a\ud800b", "a character that is not valid Unicode (a lone surrogate)"),
        ("\udfff", "a character that is not valid Unicode (a lone surrogate)"),
    ],
)
def test_unstorable_names_nul_and_lone_surrogates_only(text, problem):
    assert unstorable(text) == problem


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_load_json_accepts_up_to_the_depth_limit_and_refuses_beyond_it():
    assert load_json(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(UnusableJSON, match="nested more than 32 levels"):
        load_json(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(UnusableJSON, match="nested more than 32 levels"):
        load_json('{"a": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1))


def test_load_json_refuses_input_that_would_exhaust_the_parser_as_a_value_error():
    for depth in (5_000, 200_000):
        with pytest.raises(ValueError, match="nested"):
            load_json(nested(depth))


@pytest.mark.parametrize(
    "body",
    ['"\\u0000"', '["\\ud800"]', '{"\\udc00": 1}', '{"a": {"b": ["ok", "x\\u0000"]}}', b'"\\ud800"'],
)
def test_load_json_refuses_unstorable_text_in_values_and_keys(body):
    with pytest.raises(UnusableJSON, match="its JSON holds"):
        load_json(body)


def test_load_json_keeps_honest_input_and_lets_bad_json_raise_value_error():
    assert load_json('{"response": {"p1": "Meow"}, "emoji": "\\ud83d\\ude00"}') == {
        "response": {"p1": "Meow"},
        "emoji": "\U0001f600",
    }
    with pytest.raises(ValueError) as raised:
        load_json("{not json")
    assert not isinstance(raised.value, UnusableJSON)


def test_stored_json_comes_back_with_unstorable_text_replaced_everywhere():
    stored = json.dumps({"a\ud800": ["x\x00y", {"k": "\udfff"}], "n": 1, "ok": "é\U0001f600"})
    assert load_stored_json(stored) == {
        f"a{REPLACEMENT}": [f"x{REPLACEMENT}y", {"k": REPLACEMENT}],
        "n": 1,
        "ok": "é\U0001f600",
    }
    assert load_stored_json(stored.encode()) == load_stored_json(stored)
    assert clean_stored(None) is None and clean_stored(2.5) == 2.5 and clean_stored(True) is True
