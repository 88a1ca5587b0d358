"""What a database column can hold, decided in one place: identifiers within the integer range, text without NUL or
lone surrogates, JSON of bounded depth.

Plain functions without Flask or SQLAlchemy: the request guard (edu/request_guard.py) refuses a request that breaks
these rules before any view runs, form fields that carry identifiers parse them with ``parse_id``, and the engine
reads JSON back through ``load_stored_json`` so that text stored before the guard existed (PostgreSQL's json type
and SQLite both keep ``"\\ud800"`` and ``"\\u0000"``) can never break a page, a CSV or a grade again.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

MAX_ID: Final = 2**31 - 1
"""The largest identifier an integer column holds on every database we run on (PostgreSQL's integer is 32 bits)."""
MAX_JSON_DEPTH: Final = 32
"""Deepest JSON accepted; what the application reads is a few levels deep (an autosaved answer: two)."""
REPLACEMENT: Final = "\ufffd"
"""What an unstorable character becomes when text stored before the guard is read back."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL (PostgreSQL's text and jsonb refuse it) and surrogates (no UTF-8 encoding exists for a lone one; a valid pair
decodes to one character, so any surrogate left in a Python string is lone)."""
_ID = re.compile(r"[0-9]{1,10}")


class UnusableJSON(ValueError):
    """JSON that parses but must not be used: nested too deeply, or holding text no column can store."""


def parse_id(value: object) -> int | None:
    """An identifier from a form field: 1..MAX_ID written in ASCII digits, else None; never raises."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ID.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def coerce_id(value: object) -> int:
    """WTForms ``coerce`` for choices that are identifiers: a bad one makes the field invalid, not a 500."""
    number = parse_id(value)
    if number is None:
        raise ValueError("not an identifier")
    return number


def unstorable(text: str) -> str | None:
    """What in ``text`` no column can hold, in words, or None when there is nothing."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    return "a NUL character" if found.group() == "\x00" else "a character that is not valid Unicode (a lone surrogate)"


def _json_problem(value: Any) -> str | None:
    """Walks a parsed value without recursion: too deep, or a key or string holding unstorable text."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"its JSON is nested more than {MAX_JSON_DEPTH} levels deep"
            if isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, depth))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and (what := unstorable(item)):
            return f"its JSON holds {what}"
    return None


def load_json(data: str | bytes) -> Any:
    """``json.loads`` for untrusted input; raises ValueError for bad JSON and UnusableJSON (a ValueError too) for
    JSON nested deeper than MAX_JSON_DEPTH or holding unstorable text. Input deep enough to exhaust the parser's
    recursion is refused the same way, never as a RecursionError."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise UnusableJSON(f"its JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
    problem = _json_problem(value)
    if problem is not None:
        raise UnusableJSON(problem)
    return value


def clean_stored(value: Any) -> Any:
    """``value`` with every unstorable character in its strings (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _UNSTORABLE.sub(REPLACEMENT, value)
    if isinstance(value, list):
        return [clean_stored(item) for item in value]
    if isinstance(value, dict):
        return {clean_stored(key): clean_stored(item) for key, item in value.items()}
    return value


def load_stored_json(data: str | bytes) -> Any:
    """The engine's JSON deserializer: what the database stored, with unstorable text replaced."""
    return clean_stored(json.loads(data))
