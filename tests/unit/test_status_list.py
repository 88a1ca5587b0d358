"""The W3C Bitstring Status List used for revocation."""

from __future__ import annotations

import base64
import gzip
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu.certificates.credential import IssuerProfile, sign_credential, verify_credential
from edu.certificates.keys import KeyRing
from edu.certificates.status_list import (
    MIN_ENTRIES,
    StatusEntry,
    StatusListError,
    build_status_list_credential,
    decode_list,
    encode_list,
    get_bit,
    is_revoked,
    new_bitstring,
    random_free_index,
    set_bit,
)

ISSUER = IssuerProfile(id="https://ce.example.org/issuer", name="Needlepoint CE", url="https://ce.example.org")
LIST_URL = "https://ce.example.org/status/1"
# The example list from the W3C Bitstring Status List recommendation: 131,072 entries, none set.
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def gzip_b64(raw: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(raw)).rstrip(b"=").decode()


def test_new_list_has_the_minimum_size_and_nothing_set() -> None:
    bits = new_bitstring()
    assert MIN_ENTRIES == 131_072
    assert len(bits) == 16 * 1024
    assert not any(bits)


def test_smaller_lists_are_refused() -> None:
    with pytest.raises(ValueError):
        new_bitstring(MIN_ENTRIES - 1)
    with pytest.raises(StatusListError):
        encode_list(bytes(1024))


def test_larger_lists_round_up_to_whole_bytes() -> None:
    assert len(new_bitstring(MIN_ENTRIES + 1)) == 16 * 1024 + 1


def test_bit_zero_is_the_leftmost_bit() -> None:
    bits = new_bitstring()
    set_bit(bits, 0)
    set_bit(bits, 7)
    set_bit(bits, 9)
    assert bits[:2] == bytes([0b1000_0001, 0b0100_0000])


def test_set_get_and_clear() -> None:
    bits = new_bitstring()
    set_bit(bits, 94567)
    assert get_bit(bits, 94567)
    assert not get_bit(bits, 94566)
    assert not get_bit(bits, 94568)
    set_bit(bits, 94567, False)
    assert not get_bit(bits, 94567)
    assert not any(bits)


@pytest.mark.parametrize("index", [-1, MIN_ENTRIES, MIN_ENTRIES + 8])
def test_indexes_outside_the_list_are_errors_not_false(index: int) -> None:
    bits = new_bitstring()
    with pytest.raises(StatusListError):
        get_bit(bits, index)
    with pytest.raises(StatusListError):
        set_bit(bits, index)


def test_encoding_is_multibase_base64url_of_gzip() -> None:
    encoded = encode_list(new_bitstring())
    assert encoded.startswith("u")
    assert re.fullmatch(r"u[A-Za-z0-9_-]+", encoded)  # base64url, no padding
    body = encoded[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert len(raw) >= 16 * 1024
    assert len(encoded) < 200  # an empty list is tiny once compressed


def test_same_bits_same_encoding() -> None:
    bits = new_bitstring()
    set_bit(bits, 5)
    assert encode_list(bits) == encode_list(bytearray(bits))


def test_decodes_the_spec_example() -> None:
    bits = decode_list(SPEC_EXAMPLE)
    assert len(bits) * 8 == MIN_ENTRIES
    assert not any(bits)
    assert not is_revoked(SPEC_EXAMPLE, 94567)


@given(st.sets(st.integers(min_value=0, max_value=MIN_ENTRIES - 1), max_size=40), st.integers(0, MIN_ENTRIES - 1))
def test_round_trip_keeps_exactly_the_revoked_indexes(revoked: set[int], probe: int) -> None:
    bits = new_bitstring()
    for index in revoked:
        set_bit(bits, index)
    encoded = encode_list(bits)
    assert decode_list(encoded) == bits
    for index in revoked:
        assert is_revoked(encoded, index)
    assert is_revoked(encoded, probe) == (probe in revoked)


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA", "'u' prefix"),
        ("u" + base64.urlsafe_b64encode(b"not gzip at all").decode(), "not base64url GZIP"),
        (gzip_b64(bytes(1024)), "at least 131072 entries; this one has 8192"),
        ("u" + base64.urlsafe_b64encode(gzip.compress(bytes(16 * 1024))[:-8]).decode(), "truncated"),
    ],
    # named, not by value: a gzip header carries the time it was made, and pytest-xdist's workers must collect the
    # same test ids
    ids=["no-u-prefix", "not-gzip", "too-few-entries", "truncated"],
)
def test_lists_a_verifier_must_not_trust(encoded: str, message: str) -> None:
    with pytest.raises(StatusListError, match=re.escape(message)):
        decode_list(encoded)


def test_decompression_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip_b64(bytes(17 * 1024 * 1024))
    assert len(bomb) < 40_000
    with pytest.raises(StatusListError, match="beyond"):
        decode_list(bomb)


def test_random_free_index_avoids_used_indexes() -> None:
    used = set(range(MIN_ENTRIES - 3))
    for _ in range(20):
        index = random_free_index(used)
        assert MIN_ENTRIES - 3 <= index < MIN_ENTRIES
    with pytest.raises(StatusListError, match="full"):
        random_free_index(range(MIN_ENTRIES))


def test_random_indexes_are_spread_out() -> None:
    picks = {random_free_index(set()) for _ in range(200)}
    assert len(picks) > 190
    assert max(picks) > MIN_ENTRIES // 2 > min(picks)


def test_status_entry_round_trip() -> None:
    entry = StatusEntry(LIST_URL, 42)
    assert entry.as_dict() == {
        "id": f"{LIST_URL}#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": LIST_URL,
    }
    assert StatusEntry.from_dict(entry.as_dict()) == entry


@pytest.mark.parametrize(
    "value",
    [None, {}, {"type": "StatusList2021Entry"}, {**StatusEntry(LIST_URL, 1).as_dict(), "statusListIndex": 1}],
)
def test_status_entry_refuses_what_we_never_write(value: object) -> None:
    with pytest.raises(StatusListError):
        StatusEntry.from_dict(value)


def test_negative_index_is_refused() -> None:
    with pytest.raises(ValueError):
        StatusEntry(LIST_URL, -1)


def test_status_list_credential() -> None:
    bits = new_bitstring()
    set_bit(bits, 3)
    encoded = encode_list(bits)
    credential = build_status_list_credential(ISSUER, LIST_URL, encoded, datetime(2025, 3, 12, 9, 30, tzinfo=UTC))
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER.id,
        "validFrom": "2025-03-12T09:30:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }


def test_status_list_credential_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        build_status_list_credential(ISSUER, LIST_URL, SPEC_EXAMPLE, datetime(2025, 3, 12))
    with pytest.raises(StatusListError):
        build_status_list_credential(ISSUER, LIST_URL, "u", datetime(2025, 3, 12, tzinfo=UTC))


def test_status_list_credential_is_signed_and_verified_like_any_credential(tmp_path: Path) -> None:
    keyring = KeyRing.load_or_create(tmp_path / "keys")
    bits = new_bitstring()
    set_bit(bits, 77)
    credential = build_status_list_credential(ISSUER, LIST_URL, encode_list(bits), datetime(2025, 3, 12, tzinfo=UTC))
    result = verify_credential(sign_credential(credential, keyring), keyring.public_jwks(), datetime(2025, 3, 13, tzinfo=UTC))
    assert result.valid
    assert result.credential is not None
    assert is_revoked(result.credential["credentialSubject"]["encodedList"], 77)
