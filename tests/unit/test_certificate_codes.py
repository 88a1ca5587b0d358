"""Certificate identifiers: the unguessable public id, and the short code people type from paper."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu.certificates.snapshot import (
    CODE_ALPHABET,
    CertificateSnapshot,
    InvalidCode,
    is_valid_public_id,
    new_code,
    new_public_id,
    normalise_code,
)
from edu.presentation import format_hours

CODE_SHAPE = re.compile(rf"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{2}}")


def with_check(data: str) -> str:
    """The one code that `normalise_code` accepts for these 9 data characters."""
    accepted = []
    for check in CODE_ALPHABET:
        with contextlib.suppress(InvalidCode):
            accepted.append(normalise_code(data + check))
    assert len(accepted) == 1, f"{data}: {accepted}"
    return accepted[0]


data_chars = st.text(alphabet=CODE_ALPHABET, min_size=9, max_size=9)


# --- public id ------------------------------------------------------------------------------------------


def test_public_id_is_128_bits_of_hex() -> None:
    public_id = new_public_id()
    assert re.fullmatch(r"[0-9a-f]{32}", public_id)
    assert len(bytes.fromhex(public_id)) * 8 == 128
    assert is_valid_public_id(public_id)


def test_every_one_of_the_128_bits_varies() -> None:
    # A uuid4 would fail here: its 6 version and variant bits never change, leaving 122 random bits.
    samples = [int(new_public_id(), 16) for _ in range(512)]
    always_set = ~0
    ever_set = 0
    for value in samples:
        always_set &= value
        ever_set |= value
    assert ever_set == (1 << 128) - 1, "some bit is never 1"
    assert always_set == 0, "some bit is always 1"


def test_public_ids_do_not_repeat() -> None:
    assert len({new_public_id() for _ in range(10_000)}) == 10_000


@pytest.mark.parametrize("value", ["", "ABCDEF" * 6, "0" * 31, "g" * 32, "0" * 33, "0" * 31 + "\n"])
def test_malformed_public_ids_are_refused(value: str) -> None:
    assert not is_valid_public_id(value)


# --- codes: shape and normalisation -----------------------------------------------------------------------


def test_new_code_has_the_printed_shape_and_is_accepted() -> None:
    for _ in range(200):
        code = new_code()
        assert CODE_SHAPE.fullmatch(code), code
        assert normalise_code(code) == code


def test_alphabet_leaves_out_the_ambiguous_letters() -> None:
    assert len(CODE_ALPHABET) == 32
    assert not set("ILOU") & set(CODE_ALPHABET)


def test_known_code_pins_the_check_algorithm() -> None:
    # Codes are printed on paper for years: changing the check function would invalidate them all.
    assert normalise_code("DN7K-4QXM-21") == "DN7K-4QXM-21"
    with pytest.raises(InvalidCode, match="typing error"):
        normalise_code("DN7K-4QXM-2P")


@pytest.mark.parametrize(
    "typed",
    [
        "dn7k-4qxm-21",
        "DN7K4QXM21",
        "dn7k 4qxm 21",
        "  DN7K - 4QXM - 21  ",
        "DN7K\u20134QXM\u201421",  # en and em dashes from a word processor
        "Dn7k_4QxM.21",
        "DN7K-4QXM-2I",  # I read as 1
        "DN7K-4QXM-2l",  # l read as 1
    ],
)
def test_normalise_accepts_what_people_type(typed: str) -> None:
    assert normalise_code(typed) == "DN7K-4QXM-21"


def test_letter_o_reads_as_zero() -> None:
    code = with_check("00000000A")
    assert normalise_code(code.replace("0", "o")) == code


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the certificate code"),
        ("   - ", "Enter the certificate code"),
        ("DN7K-4QXM-2", "has 10 characters; this has 9"),
        ("DN7K-4QXM-211", "has 10 characters; this has 11"),
        ("DN7K-4QXM-2U", "does not contain 'U'"),
        ("DN7K-4QXM-2#", "does not contain '#'"),
        ("https://example.org/DN7K", "does not contain"),
    ],
)
def test_normalise_refuses_with_a_reason(typed: str, message: str) -> None:
    with pytest.raises(InvalidCode, match=re.escape(message)):
        normalise_code(typed)


def test_invalid_code_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalise_code("nope")


# --- codes: properties ------------------------------------------------------------------------------------


@given(data_chars)
def test_exactly_one_check_character_completes_any_data(data: str) -> None:
    code = with_check(data)
    assert code.replace("-", "")[:9] == data


@given(data_chars, st.integers(min_value=0, max_value=9), st.sampled_from(CODE_ALPHABET))
def test_any_single_character_typo_is_caught(data: str, position: int, replacement: str) -> None:
    raw = with_check(data).replace("-", "")
    if raw[position] == replacement:
        return
    typo = raw[:position] + replacement + raw[position + 1 :]
    with pytest.raises(InvalidCode):
        normalise_code(typo)


def test_every_single_character_typo_of_one_code_is_caught_exhaustively() -> None:
    raw = "DN7K4QXM21"
    for position in range(10):
        for replacement in CODE_ALPHABET:
            if replacement != raw[position]:
                with pytest.raises(InvalidCode):
                    normalise_code(raw[:position] + replacement + raw[position + 1 :])


@given(data_chars, st.integers(min_value=0, max_value=9), st.integers(min_value=0, max_value=9))
def test_any_swap_of_two_different_characters_is_caught(data: str, i: int, j: int) -> None:
    raw = list(with_check(data).replace("-", ""))
    if raw[i] == raw[j]:
        return
    raw[i], raw[j] = raw[j], raw[i]
    with pytest.raises(InvalidCode):
        normalise_code("".join(raw))


@given(data_chars, st.data())
def test_case_and_separators_never_change_the_code(data: str, draw: st.DataObject) -> None:
    code = with_check(data)
    noisy = ""
    for ch in code.replace("-", ""):
        noisy += draw.draw(st.sampled_from(["", " ", "-", "  ", " - "])) + draw.draw(st.sampled_from([ch.lower(), ch]))
    assert normalise_code(noisy) == code


@given(st.text(max_size=30))
def test_normalise_either_returns_canonical_or_raises_invalid_code(text: str) -> None:
    try:
        code = normalise_code(text)
    except InvalidCode:
        return
    assert CODE_SHAPE.fullmatch(code)
    assert normalise_code(code) == code


# --- the snapshot -----------------------------------------------------------------------------------------


def snapshot(**changes: object) -> CertificateSnapshot:
    fields: dict[str, object] = {
        "public_id": new_public_id(),
        "code": new_code(),
        "learner_name": "Jane Doe",
        "course_id": "dry-needling",
        "course_title": "Dry Needling Fundamentals",
        "course_version": "2025.1",
        "ce_hours": Decimal("12.5"),
        "completion_date": date(2025, 3, 10),
        "issue_date": date(2025, 3, 12),
        "provider": "Needlepoint CE",
        "signatory": "Dr. A. Smith, PT, DPT",
    }
    fields.update(changes)
    return CertificateSnapshot(**fields)  # type: ignore[arg-type]


def test_snapshot_is_frozen() -> None:
    snap = snapshot()
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.learner_name = "Someone Else"  # type: ignore[misc]


@pytest.mark.parametrize(
    "changes",
    [
        {"public_id": "not-hex"},
        {"code": "dn7k-4qxm-21"},  # right code, not canonical
        {"code": "DN7K-4QXM-2P"},  # wrong check character
        {"learner_name": "  "},
        {"ce_hours": Decimal(0)},
        {"ce_hours": Decimal("-1")},
        {"ce_hours": Decimal("NaN")},
        {"ce_hours": 1.5},
        {"completion_date": date(2025, 3, 13)},
        {"expiry_date": date(2025, 3, 12)},
    ],
)
def test_snapshot_refuses_what_no_certificate_could_state(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        snapshot(**changes)


def test_snapshot_accepts_optional_fields_absent_and_present() -> None:
    assert snapshot().expiry_date is None
    snap = snapshot(expiry_date=date(2027, 3, 12), approval_number="A-1", licence_number="PT1", jurisdiction="TX")
    assert snap.expiry_date == date(2027, 3, 12)


@pytest.mark.parametrize(("hours", "printed"), [("1.50", "1.5"), ("10", "10"), ("2.00", "2"), ("0.25", "0.25"), ("100", "100")])
def test_hours_print_without_noise(hours: str, printed: str) -> None:
    assert format_hours(Decimal(hours)) == printed
