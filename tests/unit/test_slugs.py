"""The one slug rule (edu/slugs.py) that names banks, clinics, imported questions and tags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu.interchange.report import id_from_prompt
from edu.slugs import slugify


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Trigger points: upper body", "trigger-points-upper-body"),
        ("  Ångström   Physio ", "angstrom-physio"),  # accents folded, not dropped
        ("Müller & Söhne", "muller-sohne"),
        ("C--D__E", "c-d-e"),  # one hyphen between words, none at the ends
        ("Tom &amp; Jerry", "tom-amp-jerry"),  # taken as written: stripping HTML is the caller's job
        ("— · —", ""),
        ("", ""),
        ("日本語", ""),  # nothing to fold to ASCII; the caller picks 'bank', 'clinic' or 'question'
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_a_long_slug_is_cut_between_words() -> None:
    assert slugify("alpha beta gamma delta", 13) == "alpha-beta"
    assert slugify("supercalifragilistic", 5) == "super"  # one long word: cut inside it, there is no other place


@given(st.text(max_size=200), st.integers(min_value=1, max_value=80))
def test_a_slug_is_always_a_slug(text: str, max_length: int) -> None:
    slug = slugify(text, max_length)
    assert len(slug) <= max_length
    assert slug == slug.strip("-") and "--" not in slug
    assert all(ch in "abcdefghijklmnopqrstuvwxyz0123456789-" for ch in slug)
    assert slugify(slug, max_length) == slug  # a slug is its own slug


@pytest.mark.parametrize(
    ("prompt", "question_id"),
    [
        ("<p>Which <b>muscle</b> is needled most often in the upper trapezius region?</p>", "which-muscle-is-needled-most-often"),
        ("What is 2 + 2?", "what-is-2-2"),
        ("X?", "question-x"),
        ("???", "question"),
    ],
)
def test_a_question_without_an_id_or_a_name_is_named_after_its_prompt(prompt: str, question_id: str) -> None:
    assert id_from_prompt(prompt) == question_id
